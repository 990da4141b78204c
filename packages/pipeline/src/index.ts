export { deliveryIdFor, type NotifyDeps, notifySettled } from "./notify.ts";
export { type ProcessedImage, postProcessImage } from "./post-process.ts";
export {
  type AttemptContext,
  type GenerationOutcome,
  imageKeyFor,
  imagePathFor,
  type PipelineDeps,
  recordAttemptFailure,
  runGeneration,
} from "./run-generation.ts";
