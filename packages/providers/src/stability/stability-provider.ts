import { nearestAspectRatio, STABILITY_ASPECT_RATIOS } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type {
  ImageProvider,
  ImageRequest,
  ImageResult,
  PricedImage,
  ReferenceBytes,
} from "../image-provider.ts";
import type { ModelRateLimiter } from "../rate-limit.ts";
import { EXTENSION_OF, inFormatTaken, PNG_JPEG_WEBP } from "../reference-formats.ts";
import { callWithRetries, TransientError } from "../retry.ts";
import { classifyStatus } from "./api-errors.ts";

export { stabilityRetryAfterMs } from "./api-errors.ts";

export interface StabilityProviderOptions {
  /** STABILITY_API_KEY. */
  apiKey: string;
  /** STABILITY_BASE_URL; Stability's own when absent. */
  baseUrl?: string | undefined;
  /** Draws what the request does not name a model for. */
  model: string;
  /** The models this deployment may draw with. */
  models: readonly string[];
  timeoutMs: number;
  /** Retries within one job attempt; BullMQ's job retries come on top. */
  maxRetries: number;
  retryBaseMs: number;
  /** USD for one image of a model as asked for. */
  priceOf: (model: string, image: PricedImage) => number;
  /**
   * How far a drawing from a reference may stray from it: 0 gives the reference back, 1 ignores
   * it (Stability's `strength`). 0.5 by default: its composition kept, its content redrawn.
   */
  referenceStrength?: number | undefined;
  /**
   * How long to wait after a 429 that names no Retry-After. Stability times a client out for
   * 60 s after it passes its rate limit (150 requests in 10 s), so sooner only spends calls.
   */
  rateLimitWaitMs?: number | undefined;
  outputFormat?: "png" | "jpeg" | "webp" | undefined;
  rateLimiter?: ModelRateLimiter | undefined;
  logger?: Logger | undefined;
  random?: (() => number) | undefined;
  /** The fetch to call Stability with (tests may wrap it). */
  fetch?: typeof fetch | undefined;
}

export const STABILITY_BASE_URL = "https://api.stability.ai";

/**
 * Where a model is drawn: Stable Image Ultra and Core have endpoints of their own; every other
 * name (sd3.5-large, sd3.5-large-turbo, sd3.5-medium, and whatever Stability adds) is the sd3
 * endpoint's `model`, which refuses a name it does not know with a 400.
 */
function endpointOf(model: string): { path: string; sd3Model?: string; takesImage: boolean } {
  const own = model.match(/^stable-image-(ultra|core)$/)?.[1];
  if (own) return { path: `/v2beta/stable-image/generate/${own}`, takesImage: own === "ultra" };
  return { path: "/v2beta/stable-image/generate/sd3", sd3Model: model, takesImage: true };
}

/**
 * Stability AI's Stable Image models over its REST API with plain fetch (Stability publishes
 * no Node SDK; npm has community wrappers only): multipart/form-data in, the image's bytes out
 * (Accept: image/*), its finish-reason in a header. A reference goes as the `image` to draw
 * from, with a strength: one at most, and none for Core, which draws from text alone.
 *
 * Transient failures (408, 429, 5xx, timeouts, resets) are retried `maxRetries` times with
 * backoff, a 429 after Retry-After or `rateLimitWaitMs`; content moderation (a 403, or an image
 * that came back CONTENT_FILTERED), a used-up account and other client errors never are.
 */
export function createStabilityProvider(options: StabilityProviderOptions): ImageProvider {
  const baseUrl = (options.baseUrl ?? STABILITY_BASE_URL).replace(/\/+$/, "");
  const doFetch = options.fetch ?? fetch;
  const outputFormat = options.outputFormat ?? "png";
  const strength = options.referenceStrength ?? 0.5;
  const rateLimitWaitMs = options.rateLimitWaitMs ?? 60_000;

  function formFor(
    model: string,
    request: ImageRequest,
    reference: ReferenceBytes | undefined,
  ): FormData {
    const endpoint = endpointOf(model);
    const form = new FormData();
    form.append("prompt", request.prompt);
    form.append("output_format", outputFormat);
    if (endpoint.sd3Model) form.append("model", endpoint.sd3Model);
    if (reference) {
      if (endpoint.sd3Model) form.append("mode", "image-to-image");
      const blob = new Blob([new Uint8Array(reference.bytes)], { type: reference.mimeType });
      form.append("image", blob, `reference.${EXTENSION_OF[reference.mimeType]}`);
      form.append("strength", String(strength));
      // No aspect_ratio: an image-to-image drawing keeps its reference's shape.
    } else {
      const ratio = nearestAspectRatio(request.aspectRatio, STABILITY_ASPECT_RATIOS);
      form.append("aspect_ratio", ratio ?? "1:1");
    }
    return form;
  }

  async function callOnce(
    model: string,
    request: ImageRequest,
    reference: ReferenceBytes | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ bytes: Buffer; mimeType: string }> {
    const body = formFor(model, request, reference);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    let bytes: Buffer;
    try {
      response = await doFetch(`${baseUrl}${endpointOf(model).path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${options.apiKey}`, accept: "image/*" },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      if (signal?.aborted) throw error;
      if (timeout.aborted) {
        throw new TransientError(
          `${model} did not answer within ${options.timeoutMs} ms`,
          undefined,
        );
      }
      const cause = (error as { cause?: { code?: string } }).cause;
      throw new TransientError(
        `${model} call failed: ${(error as Error).message}${cause?.code ? ` (${cause.code})` : ""}`,
        undefined,
      );
    }
    if (!response.ok) {
      throw classifyStatus(response, bytes.toString("utf8"), model, {
        rateLimitWaitMs,
        models: options.models,
      });
    }
    if (response.headers.get("finish-reason") === "CONTENT_FILTERED") {
      throw new AppError(
        "SAFETY_BLOCKED",
        `${model} would not draw this: Stability AI's content filter blurred the image it drew (finish-reason CONTENT_FILTERED). Rephrase the prompt without the flagged content and submit again.`,
        // The prompt passed and the picture drawn from it did not: a plainer brief may pass.
        { details: { refusedImage: true } },
      );
    }
    const mimeType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!mimeType.startsWith("image/") || bytes.length === 0) {
      throw new TransientError(
        `${model} answered 200 without an image (${mimeType || "no content-type"}, ${bytes.length} bytes)`,
        undefined,
      );
    }
    return { bytes, mimeType };
  }

  return {
    name: "stability",
    models: options.models,
    defaultModel: options.model,
    async generate(
      request,
      { signal, maxCalls = Number.POSITIVE_INFINITY } = {},
    ): Promise<ImageResult> {
      const model = request.model ?? options.model;
      const imageSize = request.imageSize ?? "1K";
      const references = request.references?.length ?? 0;
      const refused = (message: string) =>
        new AppError("INVALID_REQUEST", message, { details: { calls: 0, model } });
      if (imageSize !== "1K") {
        throw refused(`${model} draws about 1 megapixel (1K) only, not ${imageSize}`);
      }
      if (references > 0 && !endpointOf(model).takesImage) {
        throw refused(`${model} draws from text alone; it takes no reference image`);
      }
      if (references > 1) {
        throw refused(`${model} draws from one reference image at most (got ${references})`);
      }
      // Converted once, before any call: a reference that cannot be sent spends none.
      const [first] = request.references ?? [];
      const reference = first && (await inFormatTaken(first, PNG_JPEG_WEBP, "Stability AI"));
      const { value, calls } = await callWithRetries(
        () => callOnce(model, request, reference, signal),
        {
          maker: "Stability AI",
          model,
          policy: options,
          maxCalls,
          signal,
          rateLimiter: options.rateLimiter,
          logger: options.logger,
        },
      );
      return {
        bytes: value.bytes,
        mimeType: value.mimeType,
        provider: "stability",
        model,
        costUsd: options.priceOf(model, {
          imageSize,
          quality: request.quality,
          aspectRatio: request.aspectRatio,
        }),
        calls,
      };
    },
  };
}
