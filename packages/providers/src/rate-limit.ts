import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

/** Admits calls to a model at a rate shared by every worker process. */
export interface ModelRateLimiter {
  /** Resolves when a call to `model` may go out; waits for the window otherwise. */
  acquire(model: string, signal?: AbortSignal): Promise<void>;
}

/**
 * Requests per minute per model, counted in Redis so that any number of workers together
 * stay inside the project's quota (BullMQ's own limiter is per queue, not per model).
 */
export function createModelRateLimiter(
  redis: Redis,
  options: { prefix: string; rpm: number; windowSeconds?: number },
): ModelRateLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${options.prefix}:rl:model`,
    points: options.rpm,
    duration: options.windowSeconds ?? 60,
  });
  return {
    async acquire(model, signal) {
      for (;;) {
        try {
          await limiter.consume(model);
          return;
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          await sleep(Math.max(50, rejection.msBeforeNext), undefined, { signal });
        }
      }
    },
  };
}
