import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { RequestHandler } from "express";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { callerOf } from "./auth.ts";

/**
 * RATE_LIMIT requests per minute per API key, counted in Redis so every API instance shares
 * the budget (BullMQ's limiter is per queue, so fairness between keys belongs here). A batch
 * is one request. Answers carry RateLimit-* headers; a refusal is 429 with Retry-After.
 * If Redis cannot count, the request goes through: the enqueue that follows answers 503.
 */
export function rateLimitPerKey(
  redis: Redis,
  options: { prefix: string; perMinute: number; logger: Logger },
): RequestHandler {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${options.prefix}:rl:key`,
    points: options.perMinute,
    duration: 60,
  });
  const headers = (res: Parameters<RequestHandler>[1], r: RateLimiterRes) => {
    res.set({
      "RateLimit-Limit": String(options.perMinute),
      "RateLimit-Remaining": String(Math.max(0, r.remainingPoints)),
      "RateLimit-Reset": String(Math.ceil(r.msBeforeNext / 1000)),
    });
  };
  return async (req, res, next) => {
    const { keyId } = callerOf(req);
    try {
      headers(res, await limiter.consume(keyId));
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        options.logger.warn(
          { err: (rejection as Error).message },
          "rate limiter unavailable; request let through",
        );
        next();
        return;
      }
      headers(res, rejection);
      res.set("Retry-After", String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))));
      next(
        new AppError(
          "RATE_LIMITED",
          `more than ${options.perMinute} requests in a minute for this key; retry after the Retry-After seconds`,
        ),
      );
    }
  };
}
