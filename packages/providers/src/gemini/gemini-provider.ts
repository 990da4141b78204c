import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, GoogleGenAI } from "@google/genai";
import type { ImageSize } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { ImageProvider, ImageRequest, ImageResult } from "../image-provider.ts";
import type { ModelRateLimiter } from "../rate-limit.ts";
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

// A Retry-After longer than this is not waited out inside a job: the job fails retryably
// and BullMQ's backoff takes over, so a worker slot is not held for minutes.
const MAX_INLINE_WAIT_MS = 30_000;

/** The model is gone (404): no retry can bring it back, but the fallback model may draw. */
class ModelNotFound extends Error {}

class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
  }
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
  const random = options.random ?? Math.random;
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
      return interpretResponse(response, model);
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (signal?.aborted) throw error;
      if (error instanceof ApiError) {
        if (error.status === 404) {
          throw new ModelNotFound(
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

  const backoffMs = (retry: number) => {
    const exp = Math.min(60_000, options.retryBaseMs * 2 ** retry);
    return Math.round(exp / 2 + (random() * exp) / 2); // "equal jitter"
  };

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
      const chain =
        options.fallback && request.modelChoice !== "requested" && options.premiumModel !== primary
          ? [primary, options.premiumModel]
          : [primary];
      const imageSize = request.imageSize ?? "1K";
      let calls = 0;
      let last: TransientError | undefined;
      let budgetSpent = false;
      for (const model of chain) {
        for (let retry = 0; retry <= options.maxRetries; retry++) {
          if (calls >= maxCalls) {
            budgetSpent = true;
            break;
          }
          await options.rateLimiter?.acquire(model, signal);
          calls++;
          try {
            const drawn = await callOnce(model, request, signal);
            if (model !== primary)
              log?.warn({ model, primary, calls }, "drawn by the fallback model");
            return {
              bytes: drawn.bytes,
              mimeType: drawn.mimeType,
              provider: "gemini",
              model,
              costUsd: options.priceOf(model, imageSize),
              ...(drawn.note ? { note: drawn.note } : {}),
              ...(drawn.usage ? { usage: drawn.usage } : {}),
              calls,
            };
          } catch (error) {
            if (error instanceof ModelNotFound) {
              if (model === primary && chain.length > 1) {
                log?.error({ model, fallback: options.premiumModel }, error.message);
                break;
              }
              throw new AppError("PROVIDER_ERROR", error.message, {
                retryable: false,
                details: { calls, model },
              });
            }
            if (!(error instanceof TransientError)) {
              if (error instanceof AppError)
                throw new AppError(error.code, error.message, {
                  retryable: error.retryable,
                  details: { ...(error.details as object | undefined), calls, model },
                });
              throw error;
            }
            last = error;
            if (error.retryAfterMs !== undefined && error.retryAfterMs > MAX_INLINE_WAIT_MS) break;
            if (retry < options.maxRetries && calls < maxCalls) {
              const wait = error.retryAfterMs ?? backoffMs(retry);
              log?.warn(
                { model, retry: retry + 1, waitMs: wait, err: error.message },
                "transient Gemini error; retrying",
              );
              await sleep(wait, undefined, { signal });
            }
          }
        }
        if (budgetSpent) break;
        if (chain.length > 1 && model === primary)
          log?.warn({ model, fallback: options.premiumModel }, "model keeps failing; falling back");
      }
      throw new AppError(
        "PROVIDER_ERROR",
        `${last?.message ?? "Gemini failed"} (gave up after ${calls} calls${chain.length > 1 && calls > options.maxRetries + 1 ? `, fallback to ${options.premiumModel} included` : ""}${budgetSpent ? ", all the provider calls it was allowed" : ""})`,
        {
          // Out of budget, another job attempt could not call the provider anyway.
          retryable: !budgetSpent,
          details: { calls, retryAfterMs: last?.retryAfterMs },
        },
      );
    },
  };
}
