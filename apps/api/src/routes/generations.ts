import type { BlobStore } from "@nanobanana/blob-store";
import {
  type BatchRecord,
  feedbackSchema,
  type GenerateRequest,
  type GenerationRecord,
  generateBodySchema,
  isGenerationId,
  newGenerationRecord,
  newId,
  presentDelivery,
  presentGeneration,
  resolveRequest,
  TERMINAL_STATUSES,
} from "@nanobanana/domain";
import { AppError, invalidRequest, notFound, serviceUnavailable } from "@nanobanana/errors";
import { type NotifyDeps, notifySettled } from "@nanobanana/pipeline";
import type { generationQueue, Producer } from "@nanobanana/queue";
import type { Store } from "@nanobanana/store";
import { checkWebhookTarget, type Resolver } from "@nanobanana/webhooks";
import { type Request, Router } from "express";
import { callerOf } from "../auth.ts";
import { parseBody } from "../http-errors.ts";
import { respondIdempotently } from "../idempotency.ts";

export interface GenerationRouteDeps {
  store: Store;
  blobs: BlobStore;
  producer: Producer<typeof generationQueue>;
  notify: NotifyDeps;
  models: readonly string[];
  publicUrl: string | undefined;
  idempotencyTtlSeconds: number;
  webhooks: { allowPrivate: boolean; resolve?: Resolver };
}

export function baseUrlOf(req: Request, publicUrl: string | undefined): string {
  return publicUrl ?? `${req.protocol}://${req.get("host")}`;
}

/** Checks what a request asks for beyond its schema: known models, reachable public webhook URLs. */
export async function checkRequests(
  deps: Pick<GenerationRouteDeps, "models" | "webhooks">,
  requests: ReadonlyArray<{ path: string; request: Pick<GenerateRequest, "model" | "webhook"> }>,
): Promise<void> {
  for (const { path, request } of requests) {
    if (request.model && !deps.models.includes(request.model)) {
      throw invalidRequest(
        `${path}model: "${request.model}" is not available; choose one of ${deps.models.join(", ")}`,
      );
    }
  }
  // Each distinct URL resolved and checked once, however many items name it.
  const checked = new Set<string>();
  for (const { path, request } of requests) {
    const url = request.webhook?.url;
    if (!url || checked.has(url)) continue;
    checked.add(url);
    await checkWebhookTarget(url, deps.webhooks).catch((error: AppError) => {
      throw invalidRequest(`${path}webhook: ${error.message}`);
    });
  }
}

/**
 * Writes the records (and the batch) and enqueues every job in one bulk call. If the queue
 * is unreachable nothing stays half-accepted: the records are marked failed and it is a 503.
 */
export async function acceptGenerations(
  deps: Pick<GenerationRouteDeps, "store" | "producer">,
  records: GenerationRecord[],
  batch?: BatchRecord,
): Promise<void> {
  const first = records[0];
  try {
    if (batch) await deps.store.createBatch(batch, records);
    else if (first) await deps.store.createGeneration(first);
    // jobId = generation id: BullMQ refuses a duplicate while the job exists.
    await deps.producer.enqueueBulk(
      "generate",
      records.map((r) => ({ payload: { generationId: r.id, userId: r.userId }, jobId: r.id })),
    );
  } catch (error) {
    const failed = {
      code: "SERVICE_UNAVAILABLE",
      message: "the queue was unreachable; nothing was generated",
      retryable: true,
    };
    await Promise.allSettled(
      records.map((r) => deps.store.updateGeneration(r.id, { status: "failed", error: failed })),
    );
    if (error instanceof AppError && error.code !== "SERVICE_UNAVAILABLE") throw error;
    throw serviceUnavailable(
      "the queue is unreachable right now; nothing was accepted, try again shortly",
      error,
    );
  }
}

/** Cancels a generation that has not started; false when it already had. */
export async function cancelQueued(
  deps: Pick<GenerationRouteDeps, "store" | "producer" | "notify">,
  record: GenerationRecord,
): Promise<boolean> {
  const at = new Date().toISOString();
  const canceled = await deps.store.updateGeneration(
    record.id,
    {
      status: "canceled",
      error: {
        code: "CANCELED",
        message: "canceled by the caller before it started",
        retryable: false,
      },
      completedAt: at,
    },
    { onlyIfStatusIn: ["queued"] },
  );
  if (!canceled) return false;
  // The record is what counts (a worker that picks the job up skips it); removing the job
  // just saves it the trip, and fails harmlessly when the job is locked.
  await deps.producer.queue.remove(record.id).catch(() => 0);
  await notifySettled(deps.notify, { ...record, status: "canceled", completedAt: at });
  return true;
}

export function generationRoutes(deps: GenerationRouteDeps): Router {
  const router = Router();

  /** Loads a generation the caller may see; someone else's is "not found", not "forbidden". */
  const loadOwned = async (req: Request): Promise<GenerationRecord> => {
    const id = String(req.params.id);
    if (!isGenerationId(id))
      throw invalidRequest(`"${id.slice(0, 40)}" is not a generation id (gen_…)`);
    const record = await deps.store.getGeneration(id);
    const caller = callerOf(req);
    if (!record || (record.userId !== caller.userId && !caller.admin)) {
      throw notFound(`no generation ${id}`);
    }
    return record;
  };

  router.post("/generate", async (req, res) => {
    await respondIdempotently(
      req,
      res,
      { store: deps.store, ttlSeconds: deps.idempotencyTtlSeconds },
      async () => {
        const body = parseBody(generateBodySchema, req.body);
        const { userId } = callerOf(req);
        // What the request leaves out comes from the user's preferences, then the defaults.
        const request = resolveRequest(body, await deps.store.getPreferences(userId));
        await checkRequests(deps, [{ path: "", request }]);
        const record = newGenerationRecord({ id: newId("gen"), userId, request });
        await acceptGenerations(deps, [record]);
        const statusUrl = `${baseUrlOf(req, deps.publicUrl)}/generation/${record.id}/status`;
        res.location(statusUrl);
        return { status: 202, body: { id: record.id, status: record.status, statusUrl } };
      },
    );
  });

  router.get("/generation/:id/status", async (req, res) => {
    const record = await loadOwned(req);
    const body = presentGeneration(record, baseUrlOf(req, deps.publicUrl));
    if (record.webhook) {
      const deliveries = await deps.store.deliveriesFor(record.id);
      body.webhook = { ...record.webhook, deliveries: deliveries.map(presentDelivery) };
    }
    res.set("Cache-Control", "no-store").json(body);
  });

  router.post("/generation/:id/cancel", async (req, res) => {
    const record = await loadOwned(req);
    if (record.status !== "canceled" && !(await cancelQueued(deps, record))) {
      const now = (await deps.store.getGeneration(record.id)) ?? record;
      if (now.status !== "canceled") {
        throw new AppError(
          "CONFLICT",
          TERMINAL_STATUSES.includes(now.status)
            ? `generation ${record.id} already ended ${now.status}`
            : `generation ${record.id} is already ${now.status}; only queued generations can be canceled`,
        );
      }
    }
    const canceled = (await deps.store.getGeneration(record.id)) ?? record;
    res.json(presentGeneration(canceled, baseUrlOf(req, deps.publicUrl)));
  });

  router.post("/generation/:id/feedback", async (req, res) => {
    const input = parseBody(feedbackSchema, req.body);
    const record = await loadOwned(req);
    if (record.status !== "completed" || !record.template) {
      throw new AppError(
        "CONFLICT",
        `generation ${record.id} is ${record.status}; feedback is for completed images`,
      );
    }
    const feedback = {
      rating: input.rating,
      comment: input.comment ?? null,
      at: new Date().toISOString(),
    };
    if (!(await deps.store.recordFeedback(record.id, feedback, record.template))) {
      throw notFound(`no generation ${record.id}`);
    }
    res.json({ id: record.id, template: record.template, feedback });
  });

  router.get("/generation/:id/image", async (req, res) => {
    const record = await loadOwned(req);
    if (record.status !== "completed" || !record.image) {
      throw new AppError(
        "CONFLICT",
        record.status === "failed" || record.status === "canceled"
          ? `generation ${record.id} ended ${record.status}; it has no image`
          : `generation ${record.id} is ${record.status}; poll its status until it is completed`,
      );
    }
    const etag = `"${record.image.sha256}"`;
    if (req.get("if-none-match") === etag) {
      res.status(304).end();
      return;
    }
    // Where the store can sign a URL (GCS), the client fetches the bytes from it directly.
    const signed = await deps.blobs.signedUrl(record.image.key);
    if (signed) {
      res.set("Cache-Control", "private, no-store").redirect(302, signed);
      return;
    }
    const blob = await deps.blobs.get(record.image.key);
    if (!blob) throw notFound(`the image of ${record.id} is no longer stored`);
    res.set({
      "Content-Type": blob.contentType,
      "Content-Length": String(blob.size),
      ETag: etag,
      "Cache-Control": "private, max-age=31536000, immutable",
    });
    blob.body.on("error", (error) => res.destroy(error));
    blob.body.pipe(res);
  });

  return router;
}
