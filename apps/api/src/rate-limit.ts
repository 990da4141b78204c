import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { RequestHandler } from "express";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { callerOf } from "./auth.ts";

const IMAGE_READ = /^\/generation\/[^/]+\/(image|thumbnail)$/;
const IMAGE_READS_FACTOR = 10;

/**
 * RATE_LIMIT requests per minute per API key, counted in Redis so every API instance shares
 * the budget (BullMQ's limiter is per queue, so fairness between keys belongs here). A batch
 * is one request. Image and thumbnail downloads count apart, ten times as many (a gallery
 * shows dozens at once, each cached for a year once fetched), so browsing never uses up the
 * budget for creating. Answers carry RateLimit-* headers; a refusal is 429 with Retry-After.
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
  const imageReads = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${options.prefix}:rl:images`,
    points: options.perMinute * IMAGE_READS_FACTOR,
    duration: 60,
  });
  const headers = (res: Parameters<RequestHandler>[1], r: RateLimiterRes, limit: number) => {
    res.set({
      "RateLimit-Limit": String(limit),
      "RateLimit-Remaining": String(Math.max(0, r.remainingPoints)),
      "RateLimit-Reset": String(Math.ceil(r.msBeforeNext / 1000)),
    });
  };
  return async (req, res, next) => {
    const { keyId } = callerOf(req);
    const image = req.method === "GET" && IMAGE_READ.test(req.path);
    const limit = image ? options.perMinute * IMAGE_READS_FACTOR : options.perMinute;
    try {
      headers(res, await (image ? imageReads : limiter).consume(keyId), limit);
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
      headers(res, rejection, limit);
      res.set("Retry-After", String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))));
      next(
        new AppError(
          "RATE_LIMITED",
          `more than ${limit} ${image ? "image downloads" : "requests"} in a minute for this key; retry after the Retry-After seconds`,
        ),
      );
    }
  };
}
