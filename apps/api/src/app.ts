import type { IncomingMessage, ServerResponse } from "node:http";
import type { BlobStore } from "@nanobanana/blob-store";
import type { ApiKeyEntry, ModelOffer } from "@nanobanana/config";
import {
  type ChangeFeed,
  createAcceptor,
  createWebhookDispatcher,
  type NotifyDeps,
} from "@nanobanana/generations";
import type { ChangeListener } from "@nanobanana/live";
import type { Logger } from "@nanobanana/logger";
import type { economyQueue, generationQueue, Producer, webhookQueue } from "@nanobanana/queue";
import type { SecondOpinion } from "@nanobanana/second-opinion";
import type { Store } from "@nanobanana/store";
import compression from "compression";
import express, { type Express } from "express";
import helmet from "helmet";
import { authenticate, keyResolver } from "./auth.ts";
import { MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES } from "./body-limits.ts";
import { BULL_BOARD_PATH, bullBoard } from "./bull-board.ts";
import { consoleRoutes } from "./console-routes.ts";
import { errorHandler, notFoundRoute, verifyJsonBody } from "./http-errors.ts";
import { measureRequest } from "./http-metrics.ts";
import { docsRoutes } from "./openapi/docs-routes.ts";
import { plainGenerate } from "./plain-generate.ts";
import { type RateLimiter, rateLimited } from "./rate-limit.ts";
import { requestLog } from "./request-log.ts";
import { adminRoutes } from "./routes/admin.ts";
import { batchRoutes } from "./routes/batches.ts";
import { eventRoutes } from "./routes/events.ts";
import { type GenerationRouteDeps, generationRoutes } from "./routes/generations.ts";
import { modelRoutes } from "./routes/models.ts";
import { promptRoutes } from "./routes/prompts.ts";
import { uploadJsonBody, uploadRoutes } from "./routes/uploads.ts";
import { userRoutes } from "./routes/users.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

export interface AppDeps {
  store: Store;
  blobs: BlobStore;
  producer: Producer<typeof generationQueue>;
  /** AcceptDeps' `enqueueBehindWrite`: the Store and `producer` share one Redis connection. */
  enqueueBehindWrite?: boolean;
  webhookProducer: Producer<typeof webhookQueue>;
  /** The economy tier: a cancel releases the maker's batch jobs; absent where none is offered. */
  economyProducer?: Producer<typeof economyQueue>;
  apiKeys: readonly ApiKeyEntry[];
  /** Models a caller may ask for by name. */
  models: readonly string[];
  /** What each model draws and costs (GET /models, request checks): config's modelOffer. */
  offer: ModelOffer;
  /** Live status: publishes the API's own changes (a cancel) and hears everyone's. */
  changes?: ChangeFeed;
  listener?: Pick<ChangeListener, "onGeneration" | "onBatch">;
  /** Heartbeat interval of event streams (15 s). */
  heartbeatMs?: number;
  logger: Logger;
  /** PUBLIC_URL: answers name it, else the request's own host. */
  publicUrl: string | undefined;
  /**
   * Base of the URLs in what is not an answer to a request (the webhook bodies a cancel
   * sends): the composition root's publicBaseUrl, the worker's too.
   */
  publicBaseUrl: string;
  /** Readiness: resolves when Redis and the store answer. */
  checkHealth: () => Promise<Record<string, "ok" | string>>;
  batchMaxItems: number;
  idempotencyTtlSeconds: number;
  /** How long an unanswered request holds its Idempotency-Key (IDEMPOTENCY_PENDING_SECONDS). */
  idempotencyPendingSeconds?: number;
  webhooks: GenerationRouteDeps["webhooks"];
  /** Testing only (FAILPOINT): kills the process at a named step. */
  failpoint?: ((step: string) => void) | undefined;
  /** MONTHLY_BUDGET_USD, shown beside a user's spend (the worker enforces it). */
  monthlyBudgetUsd?: number | undefined;
  /** The built web console served at GET / (default apps/console/dist). */
  consoleDir?: string | undefined;
  /** How long a rotated-out webhook secret keeps signing (WEBHOOK_SECRET_OVERLAP_HOURS). */
  webhookSecretOverlapSeconds?: number;
  /** Per-key request limit; none when absent (tests). */
  rateLimit?: RateLimiter;
  /** The classifier's second opinion (CLASSIFIER_SECOND_OPINION=gemini): POST /classify's flag. */
  secondOpinion?: Pick<SecondOpinion, "decide"> | undefined;
  /** Whose cache a second opinion's answer is kept in (CACHE_SCOPE); each user's by default. */
  cacheScope?: "user" | "global";
  /**
   * Which proxies' X-Forwarded-* to believe (Express's "trust proxy", from TRUST_PROXY).
   * Default false: otherwise any client picks the scheme of every URL we hand out.
   */
  trustProxy?: boolean | number | string[];
}

/** Builds the Express app from its adapters; listening happens elsewhere, so tests inject. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy ?? false);

  const securityHeaders = helmet();
  app.use(securityHeaders);
  // Express would hash every JSON answer for an ETag; none of them is worth a conditional
  // request (most say no-store), and images and thumbnails set their own.
  app.set("etag", false);
  // Answers are gzipped (or brotli) for clients that ask where they can be large: GETs (lists,
  // documents, the console) and a batch's ids. Other POSTs answer a few hundred bytes, below
  // any threshold, and wrapping each answer cost a busy API time for nothing. An event stream
  // never is, as a compressor would hold its events back until a buffer filled.
  const compress = compression({
    filter: (req, res) =>
      !String(res.getHeader("Content-Type") ?? "").startsWith("text/event-stream") &&
      compression.filter(req, res),
  });
  app.use((req, res, next) =>
    req.method === "GET" || req.method === "HEAD" || req.path === "/generate-batch"
      ? compress(req, res, next)
      : next(),
  );
  app.use((req, res, next) => {
    measureRequest(
      req,
      res,
      () => (req.route as { path?: string } | undefined)?.path ?? "unmatched",
    );
    next();
  });
  app.use(requestLog(deps.logger));

  app.get("/health", async (_req, res) => {
    const checks = await deps.checkHealth();
    const ok = Object.values(checks).every((c) => c === "ok");
    res.status(ok ? 200 : 503).json({ status: ok ? "ok" : "unavailable", checks });
  });
  app.use(docsRoutes(deps)); // GET /openapi.json and GET /docs: documentation, no key needed
  app.use(consoleRoutes(deps.consoleDir)); // GET /: the web console, which signs in itself

  // Bull Board authenticates on its own (Basic auth, for browsers), before the Bearer check.
  const resolveKey = keyResolver(deps.apiKeys, deps.store);
  const queues = [
    deps.producer.queue,
    ...(deps.economyProducer ? [deps.economyProducer.queue] : []),
    deps.webhookProducer.queue,
  ];
  const board = bullBoard(queues, async (hash) => (await resolveKey(hash))?.admin === true);
  app.use(BULL_BOARD_PATH, board.auth, board.router);
  // GET /metrics opens in a browser too (the console links to it): there, like Bull Board, it
  // takes the admin key as the Basic auth password, and a 401 asks the browser for it.
  app.use("/metrics", (req, res, next) => {
    const basic = req.get("authorization")?.match(/^Basic\s+(\S+)$/i)?.[1];
    if (basic) {
      const password = Buffer.from(basic, "base64").toString().split(":").slice(1).join(":");
      req.headers.authorization = `Bearer ${password}`;
    }
    if (basic || !req.get("authorization")) {
      res.set("WWW-Authenticate", 'Basic realm="NanoBanana admin", charset="UTF-8"');
    }
    next();
  });
  app.use(authenticate(resolveKey));
  if (deps.rateLimit) app.use(rateLimited(deps.rateLimit));
  // The parser that runs first wins; the general one skips a body already read.
  // verifyJsonBody scans the raw bytes before JSON.parse and refuses nesting deeper than
  // MAX_JSON_DEPTH (32), so no body costs more than a linear scan to refuse, and every parsed
  // body is shallow: canonical() in idempotency.ts, which recurses per level, cannot overflow.
  app.use(
    "/generate-batch",
    express.json({ limit: MAX_BATCH_BODY_BYTES, strict: true, verify: verifyJsonBody }),
  );
  // A base64 image in JSON is larger than any other body: /uploads has its own limit too.
  app.use("/uploads", uploadJsonBody());
  app.use(express.json({ limit: MAX_BODY_BYTES, strict: true, verify: verifyJsonBody }));
  const notify: NotifyDeps = {
    store: deps.store,
    baseUrl: deps.publicBaseUrl,
    logger: deps.logger,
    dispatcher: createWebhookDispatcher(deps.webhookProducer),
    ...(deps.changes ? { changes: deps.changes } : {}),
  };
  const routeDeps = {
    ...deps,
    // Without a producer for it, the deployment offers no economy tier.
    economy: deps.economyProducer !== undefined,
    notify,
    accept: createAcceptor(deps),
    idempotencyPendingSeconds: deps.idempotencyPendingSeconds ?? 60,
  };
  // The plain form of POST /generate is served before Express sees the request
  // (plain-generate.ts); Express's own entry point, app.handle, takes every other request.
  const plain = plainGenerate({
    ...routeDeps,
    resolveKey,
    rateLimit: deps.rateLimit,
    securityHeaders,
    trustProxy: app.get("trust proxy fn"),
  });
  type Handle = (req: IncomingMessage, res: ServerResponse, callback?: () => void) => void;
  const entry = app as unknown as { handle: Handle };
  const handleInExpress = entry.handle.bind(app);
  entry.handle = (req, res, callback) => {
    if (!plain(req, res)) handleInExpress(req, res, callback);
  };
  app.use(modelRoutes({ offer: deps.offer }));
  app.use(
    promptRoutes({
      store: deps.store,
      secondOpinion: deps.secondOpinion,
      ...(deps.cacheScope ? { cacheScope: deps.cacheScope } : {}),
    }),
  );
  app.use(generationRoutes(routeDeps));
  // The open event streams, which a shutdown ends first (app.locals.openStreams).
  const openStreams = new Set<{ end(): void }>();
  app.locals.openStreams = openStreams;
  if (deps.listener) {
    app.use(eventRoutes({ ...routeDeps, listener: deps.listener, openStreams }));
  }
  app.use(batchRoutes(routeDeps));
  app.use(uploadRoutes({ blobs: deps.blobs }));
  app.use(
    webhookRoutes({
      store: deps.store,
      ...(deps.webhookSecretOverlapSeconds === undefined
        ? {}
        : { secretOverlapSeconds: deps.webhookSecretOverlapSeconds }),
    }),
  );
  app.use(
    adminRoutes({
      producers: queues,
      store: deps.store,
    }),
  );
  app.use(userRoutes(deps));
  app.use(notFoundRoute);
  app.use(errorHandler(deps.logger));
  return app;
}
