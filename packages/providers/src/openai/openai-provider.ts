import { type Orientation, orientationOf, type Quality } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import OpenAI, { toFile } from "openai";
import type { ImagesResponse } from "openai/resources/images";
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
import { classify } from "./api-errors.ts";

export { openAIRetryAfterMs, parseResetDuration } from "./api-errors.ts";

export interface OpenAIProviderOptions {
  /** OPENAI_API_KEY. */
  apiKey: string;
  /** OPENAI_BASE_URL (with its /v1); OpenAI's own when absent. */
  baseUrl?: string | undefined;
  /** Draws what the request does not name a model for. */
  model: string;
  /** The models this deployment may draw with. */
  models: readonly string[];
  timeoutMs: number;
  /** Retries within one job attempt; BullMQ's job retries come on top. */
  maxRetries: number;
  retryBaseMs: number;
  /** USD for one image of a model as asked for (its quality and orientation change the price). */
  priceOf: (model: string, image: PricedImage) => number;
  /** The format OpenAI returns: png (lossless) unless a deployment wants smaller files. */
  outputFormat?: "png" | "webp" | "jpeg" | undefined;
  rateLimiter?: ModelRateLimiter | undefined;
  logger?: Logger | undefined;
  random?: (() => number) | undefined;
}

export const OPENAI_BASE_URL = "https://api.openai.com/v1";

/**
 * The standard sizes, one per orientation: the only sizes every GPT Image model draws and the
 * only ones OpenAI prices per image. A ratio between them is drawn at its orientation's size
 * (16:9 and 5:4 as 1536x1024), which the catalog says by listing 1:1, 3:2 and 2:3 alone.
 */
export const OPENAI_SIZES: Readonly<Record<Orientation, string>> = {
  square: "1024x1024",
  landscape: "1536x1024",
  portrait: "1024x1536",
};

export const OPENAI_QUALITY: Readonly<Record<Quality, "low" | "medium" | "high">> = {
  draft: "low",
  standard: "medium",
  premium: "high",
};

/**
 * OpenAI's GPT Image models through the official SDK: `images.generate` from the prompt alone,
 * `images.edit` when the request carries references (sent as image files, in order).
 *
 * Who retries: this provider, not the SDK. The SDK's own retries (2 by default) are switched
 * off: they would be invisible to maxCalls, the generation's budget of provider calls, and to
 * the calls a result reports, and would multiply with ours and BullMQ's. Transient failures
 * (408, 429, 5xx, timeouts, resets) are retried `maxRetries` times, after OpenAI's
 * retry-after-ms / retry-after / x-ratelimit-reset-* where it gave one, else with backoff;
 * refusals, a used-up quota and other client errors never are.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): ImageProvider {
  const log = options.logger;
  // Everything the SDK would otherwise read from the environment is passed in: the one config
  // module names every variable.
  const client = new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? OPENAI_BASE_URL,
    organization: null,
    project: null,
    webhookSecret: null,
    maxRetries: 0,
    timeout: options.timeoutMs,
    ...(log
      ? {
          logger: {
            error: (message: string) => log.error(message),
            warn: (message: string) => log.warn(message),
            info: (message: string) => log.info(message),
            debug: (message: string) => log.debug(message),
          },
          logLevel: "warn" as const,
        }
      : { logLevel: "off" as const }),
  });
  const outputFormat = options.outputFormat ?? "png";

  async function callOnce(
    model: string,
    request: ImageRequest,
    references: readonly ReferenceBytes[],
    signal: AbortSignal | undefined,
  ): Promise<{ bytes: Buffer; mimeType: string; response: ImagesResponse }> {
    const common = {
      model,
      prompt: request.prompt,
      size: OPENAI_SIZES[orientationOf(request.aspectRatio)],
      quality: OPENAI_QUALITY[request.quality],
      output_format: outputFormat,
      n: 1,
    } as const;
    let response: ImagesResponse;
    try {
      response =
        references.length > 0
          ? await client.images.edit(
              {
                ...common,
                image: await Promise.all(
                  references.map((reference, i) =>
                    toFile(
                      reference.bytes,
                      `reference-${i + 1}.${EXTENSION_OF[reference.mimeType]}`,
                      {
                        type: reference.mimeType,
                      },
                    ),
                  ),
                ),
              },
              { signal },
            )
          : await client.images.generate(common, { signal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw classify(error, model, { timeoutMs: options.timeoutMs, models: options.models });
    }
    const b64 = response.data?.[0]?.b64_json;
    if (!b64) {
      throw new TransientError(
        `${model} answered without an image (${response.data?.length ?? 0} images in data)`,
        undefined,
      );
    }
    const format = response.output_format ?? outputFormat;
    return { bytes: Buffer.from(b64, "base64"), mimeType: `image/${format}`, response };
  }

  return {
    name: "openai",
    models: options.models,
    defaultModel: options.model,
    async generate(
      request,
      { signal, maxCalls = Number.POSITIVE_INFINITY } = {},
    ): Promise<ImageResult> {
      const model = request.model ?? options.model;
      const imageSize = request.imageSize ?? "1K";
      if (imageSize !== "1K") {
        throw new AppError(
          "INVALID_REQUEST",
          `${model} draws about 1K only (${Object.values(OPENAI_SIZES).join(", ")}), not ${imageSize}; ask for 1K or another model`,
          { details: { calls: 0, model } },
        );
      }
      // Converted once, before any call: a reference that cannot be sent spends none.
      const references = await Promise.all(
        (request.references ?? []).map((r) => inFormatTaken(r, PNG_JPEG_WEBP, "OpenAI")),
      );
      const { value, calls } = await callWithRetries(
        () => callOnce(model, request, references, signal),
        {
          maker: "OpenAI",
          model,
          policy: options,
          maxCalls,
          signal,
          rateLimiter: options.rateLimiter,
          logger: log,
        },
      );
      const usage = value.response.usage;
      return {
        bytes: value.bytes,
        mimeType: value.mimeType,
        provider: "openai",
        model,
        costUsd: options.priceOf(model, {
          imageSize,
          quality: request.quality,
          aspectRatio: request.aspectRatio,
        }),
        ...(usage
          ? {
              usage: {
                inputTokens: usage.input_tokens,
                outputTokens: usage.output_tokens,
                totalTokens: usage.total_tokens,
              },
            }
          : {}),
        calls,
      };
    },
  };
}
