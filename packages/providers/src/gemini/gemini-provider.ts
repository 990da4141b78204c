import { ApiError, GoogleGenAI } from "@google/genai";
import type { ImageSize } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { ImageProvider, ImageRequest, ImageResult } from "../image-provider.ts";
import type { ModelRateLimiter } from "../rate-limit.ts";
import { callWithRetries, ModelUnavailable, TransientError } from "../retry.ts";
import { describe, parseRetryAfter, TRANSIENT_STATUS } from "./api-errors.ts";
import { createGeminiBatch, GEMINI_BATCH_INLINE_LIMIT_BYTES } from "./gemini-batch.ts";
import { interpretResponse } from "./interpret.ts";
import { imageContentRequest } from "./request.ts";

export { parseRetryAfter };

export interface GeminiProviderOptions {
  apiKey?: string | undefined;
  vertex?: { project: string; location: string } | undefined;
  baseUrl?: string | undefined;
  /** Draws what the request does not name a model for. */
  model: string;
  /** Takes over when the chosen model keeps failing or is gone (unless the caller named one). */
  premiumModel: string;
  fallback: boolean;
  /** The models this deployment may draw with. */
  models: readonly string[];
  timeoutMs: number;
  /** Retries per model within one job attempt; BullMQ's job retries come on top. */
  maxRetries: number;
  retryBaseMs: number;
  /** USD for one image of a model at a size. */
  priceOf: (model: string, imageSize: ImageSize) => number;
  /** USD for one image of a model at a size in Batch Mode; half of priceOf when absent. */
  batchPriceOf?: ((model: string, imageSize: ImageSize) => number) | undefined;
  /** Batch requests whose create call would be larger than this go as a JSONL file (20 MB). */
  batchInlineLimitBytes?: number | undefined;
  rateLimiter?: ModelRateLimiter;
  logger?: Logger;
  random?: () => number;
}

/**
 * Google's Gemini image models through the official SDK, API-key or Vertex AI mode.
 *
 * Who retries: this provider, not the SDK (its own retries are switched off so attempts are
 * not multiplied). Transient failures (408/429/5xx, timeouts, resets, unreadable answers)
 * are retried `maxRetries` times with exponential backoff and jitter, honouring Retry-After;
 * then, if the default model keeps failing, once more on the premium model; then the job
 * fails retryably and BullMQ's backoff decides. Client errors and safety blocks never retry.
 */
export function createGeminiProvider(options: GeminiProviderOptions): ImageProvider {
  const client = new GoogleGenAI({
    ...(options.vertex
      ? { vertexai: true, project: options.vertex.project, location: options.vertex.location }
      : { apiKey: options.apiKey ?? "" }),
    httpOptions: {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      timeout: options.timeoutMs,
      retryOptions: { attempts: 1 },
    },
  });
  const log = options.logger;

  async function callOnce(model: string, request: ImageRequest, signal: AbortSignal | undefined) {
    let retryAfterMs: number | undefined;
    // The SDK's ApiError carries no headers, so Retry-After is read on the way through.
    const capturingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      return response;
    };
    try {
      // The same request batch mode sends: the brief, then the reference images in order.
      const { contents, generationConfig } = imageContentRequest(request);
      const response = await client.models.generateContent({
        model,
        contents,
        config: {
          ...generationConfig,
          httpOptions: {
            fetch: capturingFetch,
            timeout: options.timeoutMs,
            retryOptions: { attempts: 1 },
          },
          ...(signal ? { abortSignal: signal } : {}),
        },
      });
      // Which model drew: the fallback's answer is priced as the fallback's.
      return { model, ...interpretResponse(response, model) };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (signal?.aborted) throw error;
      if (error instanceof ApiError) {
        if (error.status === 404) {
          throw new ModelUnavailable(
            `${model} is not available (404: ${describe(error)}); change the setting that names it (GEMINI_MODEL, GEMINI_PREMIUM_MODEL or MODEL_ROUTES) to a current model: ${options.models.join(", ")}`,
          );
        }
        if (TRANSIENT_STATUS.has(error.status)) {
          throw new TransientError(
            `${model} answered ${error.status}: ${describe(error)}`,
            retryAfterMs,
          );
        }
        throw new AppError(
          "PROVIDER_ERROR",
          `${model} refused the request (${error.status}): ${describe(error)}`,
        );
      }
      // Timeouts, connection resets and unreadable bodies: worth another try.
      throw new TransientError(`${model} call failed: ${describe(error)}`, undefined);
    }
  }

  // Batch Mode with an API key only: on Vertex AI a batch reads and writes Cloud Storage or
  // BigQuery, which this provider is not given.
  const batch = options.vertex
    ? undefined
    : createGeminiBatch({
        client,
        batchPriceOf:
          options.batchPriceOf ??
          ((model, size) => Math.round((options.priceOf(model, size) / 2) * 1e6) / 1e6),
        inlineLimitBytes: options.batchInlineLimitBytes ?? GEMINI_BATCH_INLINE_LIMIT_BYTES,
        rateLimiter: options.rateLimiter,
        logger: log,
      });

  return {
    name: "gemini",
    models: options.models,
    defaultModel: options.model,
    ...(batch ? { batch } : {}),
    async checkModels(models) {
      return Promise.all(
        models.map(async (model) => {
          try {
            await client.models.get({ model });
            return { model, ok: true };
          } catch (error) {
            return { model, ok: false, problem: describe(error) };
          }
        }),
      );
    },
    async generate(
      request,
      { signal, maxCalls = Number.POSITIVE_INFINITY } = {},
    ): Promise<ImageResult> {
      const primary = request.model ?? options.model;
      // A model the caller named explicitly is not swapped behind their back.
      const fallbackModels =
        options.fallback && request.modelChoice !== "requested" && options.premiumModel !== primary
          ? [options.premiumModel]
          : [];
      const { value: drawn, calls } = await callWithRetries(
        (model) => callOnce(model, request, signal),
        {
          maker: "Gemini",
          model: primary,
          fallbackModels,
          policy: options,
          maxCalls,
          signal,
          rateLimiter: options.rateLimiter,
          logger: log,
        },
      );
      return {
        bytes: drawn.bytes,
        mimeType: drawn.mimeType,
        provider: "gemini",
        model: drawn.model,
        costUsd: options.priceOf(drawn.model, request.imageSize ?? "1K"),
        ...(drawn.note ? { note: drawn.note } : {}),
        ...(drawn.usage ? { usage: drawn.usage } : {}),
        calls,
      };
    },
  };
}
