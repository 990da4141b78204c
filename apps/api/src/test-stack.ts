import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { type ApiKeyEntry, loadConfig, modelOffer } from "@nanobanana/config";
import { createChangeListener, createRedisChangeFeed } from "@nanobanana/live";
import { createLogger } from "@nanobanana/logger";
import { createDrawer } from "@nanobanana/pipeline";
import { createSketchProvider, SKETCH_MODEL } from "@nanobanana/providers";
import {
  connectRedis,
  createConsumer,
  createProducer,
  generationQueue,
  webhookQueue,
} from "@nanobanana/queue";
import { loadReferences } from "@nanobanana/references";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, testRedisUrl, uniquePrefix } from "@nanobanana/testing";
import { generationHandlers } from "@nanobanana/worker";
import type { Worker } from "bullmq";
import { type AppDeps, createApp } from "./app.ts";

/**
 * For the API's integration tests: the app on a real Redis under its own key prefix, with the
 * sketch provider and, when asked, an in-process generation worker, and how to close it all.
 */
export function apiUnderTest(options: {
  label: string;
  apiKeys: ApiKeyEntry[];
  withWorker?: boolean;
  overrides?: Partial<AppDeps>;
}) {
  const logger = createLogger({ service: "test", level: "silent" });
  const prefix = uniquePrefix(options.label);
  const storeRedis = testRedis();
  const producerRedis = connectRedis(testRedisUrl(), "producer", () => undefined);
  const workerRedis = options.withWorker ? testRedis({ forWorker: true }) : undefined;
  const store = createRedisStore(storeRedis, prefix);
  const blobs = createFsBlobStore(mkdtempSync(join(tmpdir(), `nb-${options.label}-blobs-`)));
  // As the API opens them: generation jobs on the Store's connection, sent behind their records.
  const producer = createProducer(generationQueue, storeRedis, prefix);
  const webhookProducer = createProducer(webhookQueue, producerRedis, prefix);
  // Live status on the same Redis, as in production: the worker publishes, the API listens.
  const changes = createRedisChangeFeed(storeRedis, prefix);
  const listener = createChangeListener(testRedis(), prefix);
  const worker: Worker | undefined = workerRedis
    ? createConsumer(
        generationQueue,
        generationHandlers(
          {
            store,
            draw: createDrawer({
              store,
              blobs,
              provider: createSketchProvider(),
              cacheTtlSeconds: 3600,
              maxProviderCalls: 6,
              loadReferences: (userId, sources) =>
                loadReferences({ blobs, fetchOptions: { allowPrivate: false } }, userId, sources),
            }),
            notify: {
              store,
              baseUrl: "",
              dispatcher: { enqueueDelivery: async () => undefined },
              changes,
            },
            maxProviderCalls: 6,
          },
          logger,
        ),
        // Jobs finished per minute, as the worker records them in production.
        {
          connection: workerRedis,
          prefix,
          concurrency: 2,
          worker: { metrics: { maxDataPoints: 60 } },
        },
      )
    : undefined;
  const deps: AppDeps = {
    store,
    blobs,
    producer,
    enqueueBehindWrite: true,
    webhookProducer,
    apiKeys: options.apiKeys,
    batchMaxItems: 50,
    idempotencyTtlSeconds: 3600,
    webhooks: { allowPrivate: false },
    models: [SKETCH_MODEL],
    // What a deployment without a model maker offers: the sketch renderer.
    offer: modelOffer(loadConfig({})),
    changes,
    listener,
    logger,
    publicUrl: undefined,
    publicBaseUrl: "",
    checkHealth: async () => ({
      redis: (await producerRedis.ping()) === "PONG" ? "ok" : "down",
      store: "ok",
    }),
    ...options.overrides,
  };
  return {
    app: createApp(deps),
    deps,
    logger,
    prefix,
    store,
    storeRedis,
    blobs,
    producer,
    worker,
    ready: async () => {
      await worker?.waitUntilReady();
    },
    close: async () => {
      await worker?.close();
      await producer.close();
      await webhookProducer.close();
      await listener.close();
      await Promise.all([storeRedis.quit(), producerRedis.quit(), workerRedis?.quit()]);
    },
  };
}

/** The app with its log lines kept, each as written (raw) and parsed (lines). */
export function appLoggingLines(deps: AppDeps) {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const app = createApp({ ...deps, logger: createLogger({ service: "api", level: "info" }, sink) });
  return { app, lines, raw };
}
