import { AppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import { coalesce } from "@nanobanana/store";
import type { RequestHandler } from "express";
import type { Redis } from "ioredis";
import { callerOf } from "./auth.ts";

const IMAGE_READ = /^\/generation\/[^/]+\/(image|thumbnail)$/;
const IMAGE_READS_FACTOR = 10;
const WINDOW_MS = 60_000;

/**
 * Fixed windows of a minute: each key's count goes up by one, and the window starts at a
 * key's first request (as rate-limiter-flexible counted before). Any number of keys at once:
 * the requests that arrive together are counted in one call. Answers each key's count and the
 * milliseconds left in its window, one after the other.
 */
const COUNT_HITS = `
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out`;

type CountingRedis = Redis & {
  nbCountHits(keys: number, ...args: Array<string | number>): Promise<number[]>;
};

/** What counting a request decided: the RateLimit-* headers, and the refusal when over. */
export interface RateVerdict {
  headers: Record<string, string>;
  /** RATE_LIMITED, when this request is over the key's budget (headers then hold Retry-After). */
  refusal?: AppError;
}

/**
 * Counts one request of a key and says whether it may go on; undefined when Redis could not
 * count, and the request goes through (the enqueue that follows answers 503).
 */
export type RateLimiter = (
  keyId: string,
  kind: "requests" | "images",
) => Promise<RateVerdict | undefined>;

/**
 * RATE_LIMIT requests per minute per API key, counted in Redis so every API instance shares
 * the budget (BullMQ's limiter is per queue, so fairness between keys belongs here). A batch
 * is one request. Image and thumbnail downloads count apart, ten times as many (a gallery
 * shows dozens at once, each cached for a year once fetched), so browsing never uses up the
 * budget for creating. Answers carry RateLimit-* headers; a refusal is 429 with Retry-After.
 */
export function rateLimitPerKey(
  redis: Redis,
  options: { prefix: string; perMinute: number; logger: Logger },
): RateLimiter {
  const redisWithScript = redis as CountingRedis;
  if (!redisWithScript.nbCountHits) redis.defineCommand("nbCountHits", { lua: COUNT_HITS });
  const count = coalesce(async (keys: string[]) => {
    const flat = await redisWithScript.nbCountHits(keys.length, ...keys, WINDOW_MS);
    return keys.map((_, i) => ({ hits: flat[2 * i] as number, msLeft: flat[2 * i + 1] as number }));
  });
  return async (keyId, kind) => {
    const image = kind === "images";
    const limit = image ? options.perMinute * IMAGE_READS_FACTOR : options.perMinute;
    let counted: { hits: number; msLeft: number };
    try {
      counted = await count(`${options.prefix}:rl:${image ? "images" : "key"}:${keyId}`);
    } catch (error) {
      options.logger.warn(
        { err: (error as Error).message },
        "rate limiter unavailable; request let through",
      );
      return undefined;
    }
    const headers: Record<string, string> = {
      "RateLimit-Limit": String(limit),
      "RateLimit-Remaining": String(Math.max(0, limit - counted.hits)),
      "RateLimit-Reset": String(Math.ceil(counted.msLeft / 1000)),
    };
    if (counted.hits <= limit) return { headers };
    headers["Retry-After"] = String(Math.max(1, Math.ceil(counted.msLeft / 1000)));
    return {
      headers,
      refusal: new AppError(
        "RATE_LIMITED",
        `more than ${limit} ${image ? "image downloads" : "requests"} in a minute for this key; retry after the Retry-After seconds`,
      ),
    };
  };
}

/** The limiter as Express middleware, after authenticate. */
export function rateLimited(limiter: RateLimiter): RequestHandler {
  return async (req, res, next) => {
    const image = req.method === "GET" && IMAGE_READ.test(req.path);
    const verdict = await limiter(callerOf(req).keyId, image ? "images" : "requests");
    if (!verdict) {
      next();
      return;
    }
    res.set(verdict.headers);
    next(verdict.refusal);
  };
}
