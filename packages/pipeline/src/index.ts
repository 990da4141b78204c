export {
  createDrawer,
  drawGeneration,
  imageKeyFor,
  imagePathFor,
  type PipelineDeps,
  type PipelineStore,
} from "./draw-generation.ts";
export { type ProcessedImage, postProcessImage } from "./post-process.ts";
