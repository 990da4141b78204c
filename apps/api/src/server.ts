import type { Server } from "node:http";
import { openBlobStore } from "@nanobanana/blob-store";
import { type Config, requireRedisUrl } from "@nanobanana/config";
import { failpointFor } from "@nanobanana/lifecycle";
import type { Logger } from "@nanobanana/logger";
import { connectRedis, createProducer, generationQueue, webhookQueue } from "@nanobanana/queue";
import { openStore } from "@nanobanana/store";
import { createApp } from "./app.ts";
import { rateLimitPerKey } from "./rate-limit.ts";

export interface RunningApi {
  port: number;
  /** Stops accepting, lets in-flight requests finish, then closes connections. */
  close(): Promise<void>;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wires the adapters named by config into the app and listens. */
export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const redisUrl = requireRedisUrl(config, "API");
  const onRedisError = (error: Error) =>
    logger.warn({ err: error.message }, "redis connection error");
  const queueRedis = connectRedis(redisUrl, "producer", onRedisError);
  const storeRedis = connectRedis(redisUrl, "store", onRedisError);
  const { store, close: closeStore } = openStore({
    kind: config.store,
    redis: storeRedis,
    keyPrefix: config.keyPrefix,
    retentionSeconds: config.retentionSeconds,
    firestore: config.firestore,
  });
  const producer = createProducer(generationQueue, queueRedis, config.keyPrefix);
  const webhookProducer = createProducer(webhookQueue, queueRedis, config.keyPrefix);
  const blobs = openBlobStore({ kind: config.blobStore, dataDir: config.dataDir, gcs: config.gcs });

  const check = async (fn: () => Promise<unknown>) => {
    try {
      await withTimeout(fn(), 1_000);
      return "ok";
    } catch (error) {
      return `unavailable: ${(error as Error).message}`;
    }
  };
  const app = createApp({
    store,
    blobs,
    producer,
    webhookProducer,
    apiKeys: config.apiKeys,
    batchMaxItems: config.batchMaxItems,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    idempotencyPendingSeconds: config.idempotencyPendingSeconds,
    webhooks: {
      allowPrivate: config.webhooks.allowPrivate,
      extraPorts: config.webhooks.extraPorts,
    },
    webhookSecretOverlapSeconds: config.webhooks.secretOverlapSeconds,
    failpoint: failpointFor(config.failpoint),
    rateLimit: rateLimitPerKey(queueRedis, {
      prefix: config.keyPrefix,
      perMinute: config.rateLimitPerMinute,
      logger,
    }),
    models: config.models,
    logger,
    publicUrl: config.publicUrl,
    publicBaseUrl: config.publicUrl ?? "",
    trustProxy: config.trustProxy,
    checkHealth: async () => ({
      redis: await check(() => queueRedis.ping()),
      store: await check(() => store.ping()),
    }),
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info({ port, store: store.name, blobs: blobs.name }, "api listening");

  return {
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        server.closeIdleConnections();
      });
      await Promise.all([producer.close(), webhookProducer.close()]);
      await Promise.allSettled([queueRedis.quit(), storeRedis.quit(), closeStore()]);
      logger.info("api stopped");
    },
  };
}
