import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createModelRateLimiter } from "./rate-limit.ts";

const redis = testRedis();
afterAll(() => redis.quit());

describe("model rate limiter", () => {
  it("shares one budget per model across workers and makes the excess wait for the next window", async () => {
    const prefix = uniquePrefix("rl");
    // Two limiters on one Redis stand for two worker processes.
    const workers = [0, 1].map(() =>
      createModelRateLimiter(redis, { prefix, rpm: 3, windowSeconds: 1 }),
    );
    const started = Date.now();
    const admitted: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        await workers[i % 2]?.acquire("gemini-2.5-flash-image");
        admitted.push(Date.now() - started);
      }),
    );
    admitted.sort((a, b) => a - b);
    expect(admitted.filter((t) => t < 500)).toHaveLength(3);
    expect(admitted[3]).toBeGreaterThanOrEqual(500);
    // Another model has a budget of its own.
    const other = Date.now();
    await workers[0]?.acquire("gemini-3-pro-image-preview");
    expect(Date.now() - other).toBeLessThan(500);
  });

  it("stops waiting when the job is aborted", async () => {
    const limiter = createModelRateLimiter(redis, {
      prefix: uniquePrefix("rl"),
      rpm: 1,
      windowSeconds: 60,
    });
    await limiter.acquire("m");
    const controller = new AbortController();
    const waiting = limiter.acquire("m", controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});
