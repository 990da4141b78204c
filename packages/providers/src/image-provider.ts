import type { AspectRatio, Label, Quality } from "@nanobanana/domain";

export interface ImageRequest {
  /** The enhanced specification the model draws from. */
  prompt: string;
  /** What the user typed; the sketch renderer seeds from it so the same prompt gives the same picture. */
  subject: string;
  label: Label;
  quality: Quality;
  aspectRatio: AspectRatio;
  /** A model the caller asked for; the provider's default when absent. */
  model?: string;
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
}

/** Pixel size for an aspect ratio with the given long side. */
export function dimensionsFor(
  aspectRatio: AspectRatio,
  longSide = 1024,
): { width: number; height: number } {
  const [w = 1, h = 1] = aspectRatio.split(":").map(Number);
  return w >= h
    ? { width: longSide, height: Math.round((longSide * h) / w) }
    : { width: Math.round((longSide * w) / h), height: longSide };
}
