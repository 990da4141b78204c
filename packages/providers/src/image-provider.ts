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
