import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { ModelRateLimiter } from "./rate-limit.ts";

// 408, 429 and 5xx may succeed later; every other status is the request's own fault.
export const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * A Retry-After longer than this is not waited out inside a job: the job fails retryably and
 * BullMQ's backoff takes over, so a worker slot is not held for minutes.
 */
export const MAX_INLINE_WAIT_MS = 30_000;

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A failure another call may not repeat: 408, 429, 5xx, a timeout, a reset, an unreadable answer. */
export class TransientError extends Error {
  constructor(
    message: string,
    /** How long the maker asked us to wait, when it said. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = "TransientError";
  }
}

export interface RetryPolicy {
  /** Retries within one job attempt; BullMQ's job retries come on top. */
  maxRetries: number;
  retryBaseMs: number;
  random?: (() => number) | undefined;
}

/**
 * The model is gone (404): no retry can bring it back, but a fallback model may draw. Without
 * one the failure is final, and its message should say which setting to change.
 */
export class ModelUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelUnavailable";
  }
}

export interface RetryContext {
  /** "OpenAI", "Stability AI", "Gemini": how messages name the maker. */
  maker: string;
  model: string;
  /** Tried in turn, each with its own retries, when the model before keeps failing or is gone. */
  fallbackModels?: readonly string[] | undefined;
  policy: RetryPolicy;
  /** Calls this generation may still make (GenerateOptions.maxCalls). */
  maxCalls: number;
  signal?: AbortSignal | undefined;
  rateLimiter?: ModelRateLimiter | undefined;
  logger?: Logger | undefined;
}

/**
 * Makes `call` until it answers: a TransientError is retried `maxRetries` times with
 * exponential backoff and equal jitter, or after the maker's Retry-After when it gave one;
 * a Retry-After longer than MAX_INLINE_WAIT_MS gives the model up without waiting. A model
 * given up, or gone (ModelUnavailable), hands over to the next of `fallbackModels`; when none
 * is left the last failure ends it, retryably unless the model was gone. Anything else ends it
 * at once, an AppError with `{calls, model}` added to its details. Never more than `maxCalls`
 * calls over all the models: a failure that spent the whole budget is final (retryable: false),
 * since another job attempt could not call.
 */
export async function callWithRetries<T>(
  call: (model: string) => Promise<T>,
  context: RetryContext,
): Promise<{ value: T; calls: number }> {
  const { maker, policy, maxCalls, signal, logger } = context;
  const chain = [context.model, ...(context.fallbackModels ?? [])];
  const random = policy.random ?? Math.random;
  const backoffMs = (retry: number) => {
    const exp = Math.min(60_000, policy.retryBaseMs * 2 ** retry);
    return Math.round(exp / 2 + (random() * exp) / 2); // "equal jitter"
  };
  let calls = 0;
  let last: Error | undefined;
  let budgetSpent = false;
  const fallbacksCalled: string[] = [];
  models: for (const [index, model] of chain.entries()) {
    const next = chain[index + 1];
    for (let retry = 0; retry <= policy.maxRetries; retry++) {
      if (calls >= maxCalls) {
        budgetSpent = true;
        break models;
      }
      signal?.throwIfAborted();
      await context.rateLimiter?.acquire(model, signal);
      calls++;
      if (index > 0 && retry === 0) fallbacksCalled.push(model);
      try {
        const value = await call(model);
        if (index > 0) {
          logger?.warn({ model, primary: context.model, calls }, "drawn by the fallback model");
        }
        return { value, calls };
      } catch (error) {
        if (signal?.aborted) throw error;
        if (error instanceof AppError) {
          throw new AppError(error.code, error.message, {
            retryable: error.retryable,
            details: { ...(error.details as object | undefined), calls, model },
            cause: error.cause,
          });
        }
        if (error instanceof ModelUnavailable) {
          if (!next) {
            throw new AppError("PROVIDER_ERROR", error.message, {
              retryable: false,
              details: { calls, model },
            });
          }
          logger?.error({ model, fallback: next }, error.message);
          last = error;
          continue models;
        }
        if (!(error instanceof TransientError)) throw error;
        last = error;
        if (error.retryAfterMs !== undefined && error.retryAfterMs > MAX_INLINE_WAIT_MS) break;
        if (retry < policy.maxRetries && calls < maxCalls) {
          const wait = error.retryAfterMs ?? backoffMs(retry);
          logger?.warn(
            { model, retry: retry + 1, waitMs: wait, err: error.message },
            `transient ${maker} error; retrying`,
          );
          await sleep(wait, undefined, { signal });
        }
      }
    }
    if (next) logger?.warn({ model, fallback: next }, "model keeps failing; falling back");
  }
  const model = fallbacksCalled.at(-1) ?? context.model;
  const why = last
    ? `${last.message} (gave up after ${calls} call${calls === 1 ? "" : "s"}${fallbacksCalled.length ? `, fallback to ${fallbacksCalled.join(", ")} included` : ""}${budgetSpent ? ", all the provider calls it was allowed" : ""})`
    : `${model} was not called: the generation's budget of provider calls is spent`;
  const retryAfterMs = last instanceof TransientError ? last.retryAfterMs : undefined;
  throw new AppError("PROVIDER_ERROR", why, {
    retryable: !budgetSpent,
    details: { calls, model, retryAfterMs },
  });
}
