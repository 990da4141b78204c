import { type BlobStore, openBlobStore } from "@nanobanana/blob-store";
import {
  type Config,
  imagePriceOf,
  modelOffer,
  priceOf,
  requireRedisUrl,
  whyOfferedModelCannotDraw,
} from "@nanobanana/config";
import { type ChangeListener, createChangeListener, createRedisChangeFeed } from "@nanobanana/live";
import type { Logger } from "@nanobanana/logger";
import { getMetrics } from "@nanobanana/metrics";
import {
  createFallbackProvider,
  createGeminiProvider,
  createModelRateLimiter,
  createOpenAIProvider,
  createSketchProvider,
  createStabilityProvider,
  type ImageProvider,
  type PricedImage,
} from "@nanobanana/providers";
import {
  connectRedis,
  createProducer,
  economyQueue,
  generationQueue,
  maintenanceQueue,
  type Producer,
  webhookQueue,
} from "@nanobanana/queue";
import { createSecondOpinion, type SecondOpinion } from "@nanobanana/second-opinion";
import { openStore, type Store } from "@nanobanana/store";
import type { Redis } from "ioredis";

/** What an entry point is: each opens only what it uses, on connections made for it. */
export type Role = "api" | "worker" | "script";

/**
 * Where the service says it lives when no request tells it (webhook bodies, the start-up
 * banner): PUBLIC_URL, else http://localhost:PORT. Not "" (relative URLs), which the API once
 * used for the webhooks a cancel sends: a webhook body is read by another server, which has no
 * request of ours to resolve a relative URL against, and localhost:PORT is right for
 * `npm start`, the one setup where PUBLIC_URL is usually unset.
 */
export function publicBaseUrl(config: Pick<Config, "publicUrl" | "port">): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

/**
 * The makers PROVIDER names, behind one provider that falls back across them in order, each
 * with its circuit breaker (one maker is wrapped too: its open circuit fails jobs fast, for
 * BullMQ to retry later); or the offline sketch renderer. With `redis`, each model's requests
 * per minute are limited across every worker sharing it; without (a one-off script), not at all.
 */
export function createImageProvider(config: Config, logger: Logger, redis?: Redis): ImageProvider {
  if (config.provider === "sketch") {
    return createSketchProvider({
      delayMs: config.sketchDelayMs,
      batchDelayMs: config.sketchBatchDelayMs,
      drawing: config.sketchDrawing,
    });
  }
  const rateLimiter = (rpm: number) =>
    redis ? { rateLimiter: createModelRateLimiter(redis, { prefix: config.keyPrefix, rpm }) } : {};
  const offered = modelOffer(config).models;
  const modelsOf = (maker: string) => offered.filter((m) => m.provider === maker).map((m) => m.id);
  const priced = {
    priceOf: (model: string, image: PricedImage) => imagePriceOf(config.prices, model, image),
  };
  const providers: ImageProvider[] = config.makers.flatMap((maker): ImageProvider[] => {
    if (maker === "gemini" && config.gemini) {
      return [
        createGeminiProvider({
          ...config.gemini,
          models: modelsOf("gemini"),
          priceOf: (model, size) => priceOf(config.prices, model, size),
          batchPriceOf: (model, size) => priceOf(config.prices, model, size, "batch"),
          ...rateLimiter(config.gemini.rpm),
          logger,
        }),
      ];
    }
    if (maker === "openai" && config.openai) {
      return [
        createOpenAIProvider({
          ...config.openai,
          models: modelsOf("openai"),
          ...priced,
          ...rateLimiter(config.openai.rpm),
          logger,
        }),
      ];
    }
    if (maker === "stability" && config.stability) {
      return [
        createStabilityProvider({
          ...config.stability,
          models: modelsOf("stability"),
          ...priced,
          ...rateLimiter(config.stability.rpm),
          logger,
        }),
      ];
    }
    return [];
  });
  const breakerState = getMetrics().breakerState;
  for (const provider of providers) breakerState.set({ maker: provider.name }, 0);
  return createFallbackProvider(
    providers.map((provider) => ({
      provider,
      cannotDraw: (request, model) =>
        whyOfferedModelCannotDraw(offered, model, {
          imageSize: request.imageSize ?? "1K",
          aspectRatio: request.aspectRatio,
          references: request.references?.length ?? 0,
        }),
    })),
    {
      breaker: config.breaker,
      onBreakerChange: (maker, state, reason) => {
        breakerState.set({ maker }, BREAKER_GAUGE[state]);
        logger[state === "open" ? "warn" : "info"](
          { maker, state, reason },
          `${maker}'s circuit is ${state}`,
        );
      },
    },
  );
}

/** nanobanana_provider_circuit: 0 closed, 1 open, 0.5 half-open (one trial call). */
const BREAKER_GAUGE = { closed: 0, open: 1, "half-open": 0.5 } as const;

/**
 * The classifier's second opinion when CLASSIFIER_SECOND_OPINION=gemini: the worker's pipeline
 * and the API's POST /classify ask it, and keep its answers in the Store.
 */
function createConfiguredSecondOpinion(
  config: Config,
  store: Store,
  logger: Logger,
): SecondOpinion | undefined {
  if (!config.secondOpinion) return undefined;
  return createSecondOpinion({
    ...config.secondOpinion,
    store,
    // As long as a drawn image serves identical requests.
    cacheTtlSeconds: config.cacheTtlSeconds,
    logger,
  });
}

interface Common {
  store: Store;
  blobs: BlobStore;
  /** {@link publicBaseUrl} of the config. */
  publicBaseUrl: string;
  /** Producers first (they flush), then the connections and the Store. */
  close(): Promise<void>;
}

/** Live status: the feed the lifecycle publishes changes on. */
type ChangeFeed = ReturnType<typeof createRedisChangeFeed>;

export interface ApiAdapters extends Common {
  /**
   * `queue` fails fast (a Redis outage is a 503, not a hung request): the producers, the rate
   * limit and the health check use it. `store` is the Store's own.
   */
  redis: { queue: Redis; store: Redis };
  producers: {
    /** On the Store's connection when the Store is Redis: see `enqueueBehindWrite`. */
    generation: Producer<typeof generationQueue>;
    /** Economy: a cancel asks the worker to release a maker's job none of whose images wait. */
    economy: Producer<typeof economyQueue>;
    webhooks: Producer<typeof webhookQueue>;
  };
  /** Publishes changes (a cancel); `listener` hears every process's, on its own connection. */
  changes: ChangeFeed;
  listener: ChangeListener;
  /** Set when CLASSIFIER_SECOND_OPINION=gemini (POST /classify's `secondOpinion`). */
  secondOpinion: SecondOpinion | undefined;
  /**
   * True when the Store is Redis: its writes and the generation jobs then share one
   * connection, so an acceptance may send its enqueue right behind its write (AcceptDeps).
   */
  enqueueBehindWrite: boolean;
}

export interface WorkerAdapters extends Common {
  /**
   * Both wait Redis out (maxRetriesPerRequest: null) rather than drop a result: `queue` for the
   * consumers, `store` for the Store, the producers, Gemini's rate limit and the health probe.
   */
  redis: { queue: Redis; store: Redis };
  producers: {
    generation: Producer<typeof generationQueue>;
    economy: Producer<typeof economyQueue>;
    webhooks: Producer<typeof webhookQueue>;
    maintenance: Producer<typeof maintenanceQueue>;
  };
  provider: ImageProvider;
  changes: ChangeFeed;
  /** Set when CLASSIFIER_SECOND_OPINION=gemini: asked about unsure labels. */
  secondOpinion: SecondOpinion | undefined;
}

export interface ScriptAdapters extends Common {
  /** Opened only when there is a REDIS_URL; with STORE=firestore a script needs none. */
  redis: { store: Redis | undefined };
}

export interface AdaptersFor {
  api: ApiAdapters;
  worker: WorkerAdapters;
  script: ScriptAdapters;
}

/** The adapters the configuration names, opened for one entry point's role. */
export function openAdapters<R extends Role>(
  config: Config,
  logger: Logger,
  role: R,
): AdaptersFor[R] {
  const onRedisError = (error: Error) =>
    logger.warn({ err: error.message }, "redis connection error");
  const redisUrl =
    role === "script" && config.store !== "redis"
      ? config.redisUrl
      : requireRedisUrl(config, role === "api" ? "API" : role);
  const storeRedis = redisUrl
    ? connectRedis(redisUrl, role === "worker" ? "worker" : "store", onRedisError)
    : undefined;
  const queueRedis =
    role === "script" || !redisUrl
      ? undefined
      : connectRedis(redisUrl, role === "api" ? "producer" : "worker", onRedisError);
  const { store, close: closeStore } = openStore({
    kind: config.store,
    redis: storeRedis,
    keyPrefix: config.keyPrefix,
    retentionSeconds: config.retentionSeconds,
    firestore: config.firestore,
  });
  const blobs = openBlobStore({ kind: config.blobStore, dataDir: config.dataDir, gcs: config.gcs });

  // The API's producers fail fast with its requests; the worker's wait with its jobs.
  const producerRedis = role === "api" ? queueRedis : storeRedis;
  // Except the API's generation jobs when the Store is Redis: they go on the Store's
  // connection, behind the records they are for (Redis keeps one connection's order).
  const enqueueBehindWrite = role === "api" && config.store === "redis";
  const generationRedis = enqueueBehindWrite ? storeRedis : producerRedis;
  const producers: Partial<WorkerAdapters["producers"]> =
    role === "script" || !producerRedis || !generationRedis
      ? {}
      : {
          generation: createProducer(generationQueue, generationRedis, config.keyPrefix),
          economy: createProducer(economyQueue, producerRedis, config.keyPrefix),
          webhooks: createProducer(webhookQueue, producerRedis, config.keyPrefix),
          ...(role === "worker"
            ? { maintenance: createProducer(maintenanceQueue, producerRedis, config.keyPrefix) }
            : {}),
        };

  // A subscribed connection can do nothing else: the API's event streams get their own.
  const listener =
    role === "api" && redisUrl
      ? createChangeListener(connectRedis(redisUrl, "store", onRedisError), config.keyPrefix)
      : undefined;
  const adapters = {
    redis: role === "script" ? { store: storeRedis } : { queue: queueRedis, store: storeRedis },
    ...(role !== "script" && producerRedis
      ? { changes: createRedisChangeFeed(producerRedis, config.keyPrefix) }
      : {}),
    ...(listener ? { listener } : {}),
    store,
    blobs,
    publicBaseUrl: publicBaseUrl(config),
    ...(role === "script" ? {} : { producers }),
    ...(role === "worker" ? { provider: createImageProvider(config, logger, storeRedis) } : {}),
    ...(role === "script"
      ? {}
      : { secondOpinion: createConfiguredSecondOpinion(config, store, logger) }),
    ...(role === "api" ? { enqueueBehindWrite } : {}),
    async close() {
      await Promise.all(Object.values(producers).map((p) => p?.close()));
      await Promise.allSettled([
        listener?.close(),
        queueRedis?.quit(),
        storeRedis?.quit(),
        closeStore(),
      ]);
    },
  };
  // The branches above follow `role`; TypeScript cannot narrow a generic to match them.
  return adapters as unknown as AdaptersFor[R];
}
