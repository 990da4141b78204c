import {
  type AspectRatio,
  type ImageSize,
  type Label,
  LONG_SIDE,
  type Quality,
} from "@nanobanana/domain";

export interface ImageRequest {
  /** The enhanced specification the model draws from. */
  prompt: string;
  /** What the user typed; the sketch renderer seeds from it so the same prompt gives the same picture. */
  subject: string;
  label: Label;
  quality: Quality;
  aspectRatio: AspectRatio;
  /** Output size (long side 512 px, ~1K, ~2K, ~4K); 1K when absent. */
  imageSize?: ImageSize;
  /** Images to draw from or edit, in the order the request named them. */
  references?: ReadonlyArray<ReferenceBytes>;
  /** The model to draw with: chosen by the pipeline's routing, or the provider's default. */
  model?: string;
  /** "requested": the caller named the model, so it is never swapped for the fallback. */
  modelChoice?: "requested" | "routed";
}

/** A reference image as the provider receives it. */
export interface ReferenceBytes {
  bytes: Buffer;
  mimeType: string;
}

export interface ImageResult {
  bytes: Buffer;
  mimeType: string;
  provider: string;
  /** The model that actually drew the image (after any fallback). */
  model: string;
  costUsd: number;
  /** Any text the model said alongside the image. */
  note?: string;
  usage?: { inputTokens: number; outputTokens: number; totalTokens: number };
  /** Calls made to the model for this result, retries and fallback included. */
  calls: number;
  /** When another maker drew it: why the makers before it did not (the fallback provider). */
  fallbackReason?: string;
}

/** What one image's price turns on: its size, and for some makers (OpenAI) its quality and orientation. */
export interface PricedImage {
  imageSize: ImageSize;
  quality: Quality;
  aspectRatio: AspectRatio;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /**
   * Calls this generation may still make (its budget across every layer of retries). A
   * provider that would need more stops and fails with retryable: false.
   */
  maxCalls?: number;
}

/** The port every image model sits behind. */
export interface ImageProvider {
  readonly name: string;
  readonly models: readonly string[];
  readonly defaultModel: string;
  generate(request: ImageRequest, options?: GenerateOptions): Promise<ImageResult>;
  /** Asks the maker whether each model exists (at start); absent where there is nothing to ask. */
  checkModels?(models: readonly string[]): Promise<ModelCheck[]>;
  /**
   * The maker's batch mode (the economy tier): many requests as one job, drawn within a day
   * at the model's batch price. Absent where the maker has none.
   */
  batch?: BatchDrawing;
}

/** One request of a provider batch job; `key` ties its answer back (a generation id). */
export interface BatchImageRequest extends ImageRequest {
  key: string;
}

/** A provider batch job as this service remembers it (kept in the Store, crash-safe). */
export interface BatchJobRef {
  /** The maker's name for the job ("batches/123…"). */
  id: string;
  model: string;
  /** Our own name for it (also its display name at the maker), unique per submission. */
  name: string;
  submittedAt: string;
}

/** Where a batch job is, in the maker's words mapped onto ours. */
export type BatchJobState =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "expired";

/** One request's answer inside a succeeded job: an image (at the batch price) or an error. */
export type BatchItemResult =
  | { key: string; ok: true; image: ImageResult }
  | {
      key: string;
      ok: false;
      /** SAFETY_BLOCKED, PROVIDER_ERROR, … as `generate` would have failed. */
      code: string;
      message: string;
      retryable: boolean;
    };

export interface BatchJobStatus {
  state: BatchJobState;
  /** Once succeeded: one per request (a request the maker did not answer is an error). */
  results?: BatchItemResult[];
  /** What the maker said of a failed, cancelled or expired job. */
  message?: string;
}

export interface BatchDrawing {
  /**
   * Submits the requests (one model, one size) as one job named `name`. Requests over the
   * maker's inline limit go as a file. The job's images cost the model's batch price.
   */
  submit(
    model: string,
    requests: readonly BatchImageRequest[],
    options: { name: string; signal?: AbortSignal },
  ): Promise<BatchJobRef>;
  /** The job's state and, once it succeeded, every request's answer. */
  check(
    job: BatchJobRef,
    requests: readonly BatchImageRequest[],
    options?: { signal?: AbortSignal },
  ): Promise<BatchJobStatus>;
  /** Asks the maker to stop the job (nothing happens to one already ended). */
  cancel(job: BatchJobRef): Promise<void>;
  /**
   * The job submitted under `name`, if the maker has one: after a crash between submitting
   * and remembering, the job is found instead of submitted (and paid for) twice.
   */
  find(name: string, model: string): Promise<BatchJobRef | null>;
}

export interface ModelCheck {
  model: string;
  ok: boolean;
  /** Why not, as the maker said it. */
  problem?: string;
}

/** Pixel size for an aspect ratio at an image size (its long side; 1K = 1024 px). */
export function dimensionsFor(
  aspectRatio: AspectRatio,
  imageSize: ImageSize = "1K",
): { width: number; height: number } {
  const longSide = LONG_SIDE[imageSize];
  const [w = 1, h = 1] = aspectRatio.split(":").map(Number);
  return w >= h
    ? { width: longSide, height: Math.round((longSide * h) / w) }
    : { width: Math.round((longSide * w) / h), height: longSide };
}
