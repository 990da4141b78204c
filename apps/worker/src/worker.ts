import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { checkConfiguredModels, createImageProvider, openAdapters } from "@nanobanana/composition";
import { type Config, imagePriceOf, modelOffer, priceOf } from "@nanobanana/config";
import {
  createWebhookDispatcher,
  economyLifecycle,
  failAbandoned,
  preparationLine,
} from "@nanobanana/generations";
import type { Logger } from "@nanobanana/logger";
import { getMetrics, register } from "@nanobanana/metrics";
import { createDrawer, createEconomyDrawer, type PipelineDeps } from "@nanobanana/pipeline";
import { withDrawingSlots } from "@nanobanana/providers";
import {
  createConsumer,
  economyQueue,
  generationQueue,
  maintenanceQueue,
  webhookQueue,
} from "@nanobanana/queue";
import { loadReferences } from "@nanobanana/references";
import type { Redis } from "ioredis";
import {
  economyHandlers,
  generationHandlers,
  maintenanceHandlers,
  webhookHandlers,
} from "./handlers.ts";

/** A worker's own small HTTP face: GET /health (Redis reachable) and GET /metrics. */
function serveHealth(port: number, redis: Redis, logger: Logger): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.url === "/health") {
      // The worker's connection waits outages out, so the probe needs its own deadline.
      const ok = await Promise.race([
        redis.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_000).unref()),
      ]);
      res.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          status: ok ? "ok" : "unavailable",
          checks: { redis: ok ? "ok" : "unavailable" },
        }),
      );
    } else if (req.url === "/metrics") {
      res.writeHead(200, { "Content-Type": register.contentType });
      res.end(await register.metrics());
    } else {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url}` },
        }),
      );
    }
  });
  return new Promise((resolve) =>
    server.listen(port, () => {
      logger.info(
        { port: (server.address() as AddressInfo).port },
        "worker health endpoint listening",
      );
      resolve(server);
    }),
  );
}

export interface RunningWorker {
  close(): Promise<void>;
}

/** Wires the adapters named by config into a consumer of the generation queue. */
export async function startWorker(config: Config, logger: Logger): Promise<RunningWorker> {
  // A model Google no longer serves fails every job: find out now, before anything is opened.
  await checkConfiguredModels(config, createImageProvider(config, logger), logger);
  const adapters = openAdapters(config, logger, "worker");
  const { store, blobs, producers } = adapters;
  // WORKER_CONCURRENCY is the images drawn at once; the generation consumer holds
  // WORKER_PREFETCH jobs more (0 by default), made ready while the model draws, each waiting
  // for a slot. Jobs get ready in the order they were taken, a few at a time (the line).
  const provider = withDrawingSlots(adapters.provider, config.workerConcurrency);
  const line = preparationLine();
  const queueRedis = adapters.redis.queue;
  if (config.webhooks.allowPrivate) {
    logger.warn(
      "WEBHOOK_ALLOW_PRIVATE=1: webhooks may reach loopback and private addresses; for local testing only",
    );
  }
  const dispatcher = createWebhookDispatcher(producers.webhooks);
  const notify = {
    store,
    baseUrl: adapters.publicBaseUrl,
    dispatcher,
    changes: adapters.changes,
  };
  const pipeline: PipelineDeps = {
    store,
    blobs,
    provider,
    cacheTtlSeconds: config.cacheTtlSeconds,
    monthlyBudgetUsd: config.monthlyBudgetUsd,
    priceOf: (model, image) => imagePriceOf(config.prices, model, image),
    routing: modelOffer(config),
    // Reference URLs are fetched through the same SSRF guard as webhooks.
    loadReferences: (userId, sources) =>
      loadReferences(
        {
          blobs,
          fetchOptions: {
            allowPrivate: config.webhooks.allowPrivate,
            extraPorts: config.webhooks.extraPorts,
          },
        },
        userId,
        sources,
      ),
    cacheScope: config.cacheScope,
    maxProviderCalls: config.maxProviderCalls,
    ...(provider.batch
      ? { economy: { batchPriceOf: (model, size) => priceOf(config.prices, model, size, "batch") } }
      : {}),
    ...(adapters.secondOpinion ? { secondOpinion: adapters.secondOpinion } : {}),
  };
  // The economy tier, where the provider has a batch mode (Gemini's, the sketch's).
  const economy = provider.batch
    ? economyLifecycle({
        ...config.economy,
        store,
        drawer: createEconomyDrawer(pipeline),
        notify: { ...notify, logger },
        economy: producers.economy,
        generation: producers.generation,
      })
    : undefined;
  const generation = createConsumer(
    generationQueue,
    generationHandlers(
      {
        notify,
        maxProviderCalls: config.maxProviderCalls,
        store,
        draw: createDrawer(pipeline),
        ...(economy ? { economy } : {}),
      },
      logger,
      line,
    ),
    {
      connection: queueRedis,
      prefix: config.keyPrefix,
      concurrency: config.workerConcurrency + config.workerPrefetch,
      // A killed worker's jobs are re-run by another once their lock lapses. Metrics (jobs
      // finished per minute, kept a day) give a queued generation its ETA.
      worker: {
        lockDuration: config.workerLockMs,
        stalledInterval: config.workerLockMs,
        metrics: { maxDataPoints: 24 * 60 },
      },
    },
  );
  const webhooks = createConsumer(
    webhookQueue,
    webhookHandlers(
      {
        store,
        allowPrivate: config.webhooks.allowPrivate,
        extraPorts: config.webhooks.extraPorts,
        timeoutMs: config.webhooks.timeoutMs,
        schedule: config.webhooks.retrySchedule,
        dispatcher,
      },
      logger,
    ),
    // Deliveries wait on other people's servers, not on our CPU: many at once is cheap.
    {
      connection: queueRedis,
      prefix: config.keyPrefix,
      concurrency: 50,
      worker: { lockDuration: config.workerLockMs, stalledInterval: config.workerLockMs },
    },
  );
  // The sweep: one job every SWEEP_INTERVAL_MS, run by one worker at a time.
  const maintenance = createConsumer(
    maintenanceQueue,
    maintenanceHandlers(
      {
        store,
        blobs,
        producer: producers.generation,
        notify: { ...notify, logger },
        logger,
        graceMs: config.sweepIntervalMs,
        cacheTtlSeconds: config.cacheTtlSeconds,
        ...(economy ? { economy } : {}),
      },
      logger,
    ),
    { connection: queueRedis, prefix: config.keyPrefix, concurrency: 1 },
  );
  await producers.maintenance.schedule("sweep", config.sweepIntervalMs, {});
  // Submits, checks and deadlines wait on the maker, not our CPU: a few at once is plenty.
  const economyConsumer = economy
    ? createConsumer(economyQueue, economyHandlers(economy, logger), {
        connection: queueRedis,
        prefix: config.keyPrefix,
        concurrency: 4,
        worker: { lockDuration: config.workerLockMs, stalledInterval: config.workerLockMs },
      })
    : undefined;
  const consumers = [
    generation,
    webhooks,
    maintenance,
    ...(economyConsumer ? [economyConsumer] : []),
  ];
  for (const consumer of consumers) {
    consumer.on("error", (error) =>
      logger.error({ err: error, queue: consumer.name }, "worker error"),
    );
    consumer.on("failed", (job, error) =>
      logger.warn(
        {
          queue: consumer.name,
          jobId: job?.id,
          attemptsMade: job?.attemptsMade,
          err: error.message,
        },
        "job failed",
      ),
    );
  }
  // BullMQ fails a job that stalled too often without running the handler: end its record.
  generation.on("failed", (job, error) => {
    if (!job || !/stalled more than allowable limit/.test(error.message)) return;
    const generationId = String(job.data.generationId);
    failAbandoned({ ...notify, logger }, generationId, error.message).catch((err: Error) =>
      logger.error({ err: err.message, generationId }, "could not end an abandoned generation"),
    );
  });
  await Promise.all(consumers.map((c) => c.waitUntilReady()));
  getMetrics();
  const health =
    config.workerHealthPort === undefined
      ? undefined
      : await serveHealth(config.workerHealthPort, adapters.redis.store, logger);
  logger.info(
    {
      provider: provider.name,
      model: provider.defaultModel,
      ...(config.gemini
        ? {
            endpoint:
              config.gemini.baseUrl ??
              (config.gemini.vertex ? "vertex-ai" : "generativelanguage.googleapis.com"),
          }
        : {}),
      concurrency: config.workerConcurrency,
      prefetch: config.workerPrefetch,
      ...(config.secondOpinion
        ? {
            secondOpinion: {
              model: config.secondOpinion.model,
              below: config.secondOpinion.below,
            },
          }
        : {}),
    },
    "worker ready",
  );

  return {
    async close() {
      // Let running jobs finish; past the deadline, force-close: their locks lapse and
      // BullMQ hands them to another worker as stalled jobs, so none is lost.
      const graceful = Promise.all(consumers.map((c) => c.close()));
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
        await Promise.all(consumers.map((c) => c.close(true)));
      }
      health?.close();
      await adapters.close();
      logger.info("worker stopped");
    },
  };
}
