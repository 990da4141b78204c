export { type ProcessedImage, postProcessImage } from "./post-process.ts";
export {
  type AttemptContext,
  callsLeft,
  type GenerationOutcome,
  imageKeyFor,
  imagePathFor,
  type PipelineDeps,
  recordAttemptFailure,
  runGeneration,
} from "./run-generation.ts";
