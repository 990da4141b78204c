export {
  dimensionsFor,
  type ImageProvider,
  type ImageRequest,
  type ImageResult,
} from "./image-provider.ts";
export {
  createSketchProvider,
  SKETCH_MODEL,
  type SketchOptions,
  sketchSvg,
} from "./sketch/sketch-provider.ts";
