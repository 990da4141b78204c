import type { Server } from "node:http";
import { openAdapters } from "@nanobanana/composition";
import { type Config, modelOffer } from "@nanobanana/config";
import { failpointFor } from "@nanobanana/entrypoint";
import type { Logger } from "@nanobanana/logger";
import type { Redis } from "ioredis";
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

/** Resolves when `redis` is ready, or after `ms` if it is not by then. */
function untilReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once("ready", done);
  });
}

/** Wires the adapters named by config into the app and listens. */
export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const adapters = openAdapters(config, logger, "api");
  const { store, blobs, producers } = adapters;
  const queueRedis = adapters.redis.queue;

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
    producer: producers.generation,
    enqueueBehindWrite: adapters.enqueueBehindWrite,
    webhookProducer: producers.webhooks,
    // The economy tier needs the first maker's batch mode: the sketch's, or Gemini's with an
    // API key (Vertex AI's batch jobs read and write Cloud Storage; OpenAI and Stability have
    // none here).
    ...(config.provider === "sketch" || (config.provider === "gemini" && !config.gemini?.vertex)
      ? { economyProducer: producers.economy }
      : {}),
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
    offer: modelOffer(config),
    monthlyBudgetUsd: config.monthlyBudgetUsd,
    consoleDir: config.consoleDir,
    changes: adapters.changes,
    listener: adapters.listener,
    logger,
    publicUrl: config.publicUrl,
    publicBaseUrl: adapters.publicBaseUrl,
    trustProxy: config.trustProxy,
    secondOpinion: adapters.secondOpinion,
    cacheScope: config.cacheScope,
    checkHealth: async () => ({
      redis: await check(() => queueRedis.ping()),
      store: await check(() => store.ping()),
    }),
  });

  // No request before the fail-fast connection is up: until then the rate limiter cannot
  // count, and lets requests through. If Redis does not come, listen anyway (/health says 503).
  await untilReady(queueRedis, 5_000);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info({ port, store: store.name, blobs: blobs.name }, "api listening");

  return {
    port,
    async close() {
      // An event stream never ends by itself: end them, so their clients reconnect elsewhere.
      for (const stream of app.locals.openStreams as Set<{ end(): void }>) stream.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        server.closeIdleConnections();
      });
      await adapters.close();
      logger.info("api stopped");
    },
  };
}
