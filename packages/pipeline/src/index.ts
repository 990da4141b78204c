export {
  createDrawer,
  drawGeneration,
  imageKeyFor,
  imagePathFor,
  type PipelineDeps,
  type PipelineStore,
} from "./draw-generation.ts";
export { createEconomyDrawer } from "./economy-drawer.ts";
export { type ProcessedImage, postProcessImage } from "./post-process.ts";
