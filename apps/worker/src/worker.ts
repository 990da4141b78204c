import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { type Config, requireRedisUrl } from "@nanobanana/config";
import type { Logger } from "@nanobanana/logger";
import {
  createGeminiProvider,
  createModelRateLimiter,
  createSketchProvider,
  type ImageProvider,
} from "@nanobanana/providers";
import { connectRedis, createConsumer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import type { Redis } from "ioredis";
import { generationHandlers } from "./handlers.ts";

/** The provider config names: the offline sketch renderer, or Gemini with a shared rate limit. */
function createImageProvider(config: Config, redis: Redis, logger: Logger): ImageProvider {
  if (config.provider === "gemini" && config.gemini) {
    return createGeminiProvider({
      ...config.gemini,
      prices: config.prices,
      rateLimiter: createModelRateLimiter(redis, {
        prefix: config.keyPrefix,
        rpm: config.gemini.rpm,
      }),
      logger,
    });
  }
  return createSketchProvider({ delayMs: config.sketchDelayMs });
}

export interface RunningWorker {
  close(): Promise<void>;
}

/** Wires the adapters named by config into a consumer of the generation queue. */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  const redisUrl = requireRedisUrl(config, "worker");
  const onRedisError = (error: Error) =>
    logger.warn({ err: error.message }, "redis connection error");
  // The worker waits Redis out (maxRetriesPerRequest: null) rather than dropping a result.
  const queueRedis = connectRedis(redisUrl, "worker", onRedisError);
  const storeRedis = connectRedis(redisUrl, "worker", onRedisError);
  const store = createRedisStore(storeRedis, config.keyPrefix);
  const blobs = createFsBlobStore(join(config.dataDir, "blobs"));
  const provider = createImageProvider(config, storeRedis, logger);

  const worker = createConsumer(
    generationQueue,
    generationHandlers({ store, blobs, provider }, logger),
    {
      connection: queueRedis,
      prefix: config.keyPrefix,
      concurrency: config.workerConcurrency,
    },
  );
  worker.on("error", (error) => logger.error({ err: error }, "worker error"));
  worker.on("failed", (job, error) =>
    logger.warn(
      { jobId: job?.id, attemptsMade: job?.attemptsMade, err: error.message },
      "job failed",
    ),
  );
  await worker.waitUntilReady();
  logger.info(
    {
      provider: provider.name,
      model: provider.defaultModel,
      concurrency: config.workerConcurrency,
    },
    "worker ready",
  );

  return {
    async close() {
      // Let running jobs finish; past the deadline, force-close: their locks lapse and
      // BullMQ hands them to another worker as stalled jobs, so none is lost.
      const graceful = worker.close();
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) =>
          setTimeout(() => resolve(true), config.shutdownTimeoutMs).unref(),
        ),
      ]);
      if (timedOut) {
        logger.warn(
          { timeoutMs: config.shutdownTimeoutMs },
          "jobs still running at the deadline; returning them to the queue",
        );
        await worker.close(true);
      }
      await Promise.allSettled([queueRedis.quit(), storeRedis.quit()]);
      logger.info("worker stopped");
    },
  };
}
