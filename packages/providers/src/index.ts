export { type BreakerState, CircuitBreaker } from "./fallback/circuit-breaker.ts";
export {
  createFallbackProvider,
  type FallbackOptions,
  type Maker,
  type MakerStates,
} from "./fallback/fallback-provider.ts";
export {
  createGeminiProvider,
  type GeminiProviderOptions,
  parseRetryAfter,
} from "./gemini/gemini-provider.ts";
export { interpretResponse, SAFETY_REASONS } from "./gemini/interpret.ts";
export {
  type BatchDrawing,
  type BatchImageRequest,
  type BatchItemResult,
  type BatchJobRef,
  type BatchJobState,
  type BatchJobStatus,
  dimensionsFor,
  type ImageProvider,
  type ImageRequest,
  type ImageResult,
  type ModelCheck,
  type PricedImage,
  type ReferenceBytes,
} from "./image-provider.ts";
export {
  createOpenAIProvider,
  OPENAI_BASE_URL,
  OPENAI_QUALITY,
  OPENAI_SIZES,
  type OpenAIProviderOptions,
} from "./openai/openai-provider.ts";
export { createModelRateLimiter, type ModelRateLimiter } from "./rate-limit.ts";
export {
  createSketchProvider,
  SKETCH_MODEL,
  type SketchOptions,
  sketchSvg,
} from "./sketch/sketch-provider.ts";
export { withDrawingSlots } from "./slots/drawing-slots.ts";
export {
  createStabilityProvider,
  STABILITY_BASE_URL,
  type StabilityProviderOptions,
} from "./stability/stability-provider.ts";
