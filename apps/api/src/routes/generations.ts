import type { BlobStore } from "@nanobanana/blob-store";
import {
  feedbackSchema,
  type GenerationRecord,
  generateBodySchema,
  isGenerationId,
  newGenerationRecord,
  newId,
  type Preferences,
  presentDelivery,
  presentGeneration,
  resolveRequest,
  TERMINAL_STATUSES,
} from "@nanobanana/domain";
import { AppError, invalidRequest, notFound } from "@nanobanana/errors";
import {
  type CheckDeps,
  cancelQueued,
  checkRequests,
  type NotifyDeps,
} from "@nanobanana/generations";
import type { ChangeListener } from "@nanobanana/live";
import type { Logger } from "@nanobanana/logger";
import type { generationQueue, Producer } from "@nanobanana/queue";
import { uploadKeyFor } from "@nanobanana/references";
import type { Acceptance, Store, StoredResponse } from "@nanobanana/store";
import { THUMBNAIL_SIZES, thumbnailFor } from "@nanobanana/thumbnails";
import { type Request, Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { deadlineFromCancelAfter, withCancelAfter } from "../cancel-after.ts";
import { parseBody } from "../http-errors.ts";
import { type IdempotencyClaim, respondIdempotently } from "../idempotency.ts";
import { logFacts } from "../request-log.ts";
import { preferredWait, waitForEnd } from "../waiting.ts";

/**
 * The record as presented, and while it waits in the queue, where it stands:
 * `queue: {position, etaMs}` (position 0 is next; etaMs from the last five minutes' rate).
 */
export async function presentWithQueue(
  deps: Pick<GenerationRouteDeps, "producer">,
  record: GenerationRecord,
  baseUrl: string,
): Promise<Record<string, unknown>> {
  const body = presentGeneration(record, baseUrl);
  if (record.status === "queued") {
    // Where it stands is a convenience: Redis trouble here must not fail the status read.
    body.queue = (await deps.producer.positionOf(record.id).catch(() => null)) ?? {
      position: null,
      etaMs: null,
    };
  }
  return body;
}

export interface GenerationRouteDeps extends CheckDeps {
  /** Live status, for Prefer: wait (absent: the header is not applied). */
  listener?: Pick<ChangeListener, "onGeneration" | "onBatch">;
  store: Store;
  blobs: BlobStore;
  producer: Producer<typeof generationQueue>;
  notify: NotifyDeps;
  /** acceptGenerations, with requests that arrive together written together (createAcceptor). */
  accept: (acceptance: Acceptance) => Promise<void>;
  publicUrl: string | undefined;
  idempotencyTtlSeconds: number;
  /** How long an Idempotency-Key stays claimed by a request that has not answered yet. */
  idempotencyPendingSeconds: number;
  logger: Logger;
  /** Testing only (FAILPOINT): kills the process at a named step. */
  failpoint?: ((step: string) => void) | undefined;
}

/**
 * The headers POST /generate reads besides its body. A request with any of them is served by
 * Express; plain-generate.ts serves the plain form, without them.
 */
export const GENERATE_OPTION_HEADERS = ["idempotency-key", "prefer", "cancel-after"] as const;

/** Whether `userId` has an upload of this id (uploads are per user). */
export const uploadExistsFor = (blobs: BlobStore, userId: string) => (uploadId: string) =>
  blobs.exists(uploadKeyFor(userId, uploadId));

// A Host header is the client's to choose: only a plain host[:port] goes into our URLs.
const PLAIN_HOST = /^[a-z0-9.-]{1,253}(:\d{1,5})?$|^\[[0-9a-f:.]{2,45}\](:\d{1,5})?$/i;

export function baseUrlOf(req: Request, publicUrl: string | undefined): string {
  // Even a trusted proxy's X-Forwarded-Proto only ever picks between http and https.
  return baseUrlFor(publicUrl, req.protocol === "https" ? "https" : "http", req.get("host"));
}

/** PUBLIC_URL, else the scheme and the Host header when it is a plain host[:port]. */
export function baseUrlFor(
  publicUrl: string | undefined,
  scheme: "http" | "https",
  host: string | undefined,
): string {
  if (publicUrl) return publicUrl;
  return `${scheme}://${host && PLAIN_HOST.test(host) ? host : "localhost"}`;
}

/** Loads the generation `:id` the caller may see; someone else's is "not found", not "forbidden". */
export async function loadOwnedGeneration(
  deps: Pick<GenerationRouteDeps, "store">,
  req: Request,
): Promise<GenerationRecord> {
  const id = String(req.params.id);
  if (!isGenerationId(id))
    throw invalidRequest(`"${id.slice(0, 40)}" is not a generation id (gen_…)`);
  const record = await deps.store.getGeneration(id);
  const caller = callerOf(req);
  if (!record || (record.userId !== caller.userId && !caller.admin)) {
    throw notFound(`no generation ${id}`);
  }
  return record;
}

const SIZE_MESSAGE = `size must be one of ${THUMBNAIL_SIZES.join(", ")} (pixels, longest side)`;
export const thumbnailQuery = z.strictObject({
  size: z
    .enum(THUMBNAIL_SIZES.map(String) as ["128", "256", "512"], { error: SIZE_MESSAGE })
    .default("256")
    .transform((size) => Number(size) as (typeof THUMBNAIL_SIZES)[number]),
});

/**
 * POST /generate's body, checked, as the record it becomes (not yet written): what the request
 * leaves out comes from the user's preferences (a read the caller may have started early),
 * then the defaults.
 */
export async function recordToGenerate(
  deps: Pick<GenerationRouteDeps, "blobs" | "offer" | "models" | "webhooks" | "economy">,
  userId: string,
  body: unknown,
  options: { cancelAfter: string | undefined; preferences: Promise<Preferences> },
): Promise<GenerationRecord> {
  // A body refused before the read is awaited must not leave its failure unhandled.
  options.preferences.catch(() => undefined);
  const parsed = parseBody(generateBodySchema, body);
  const request = withCancelAfter(
    resolveRequest(parsed, await options.preferences),
    options.cancelAfter,
  );
  await checkRequests({ ...deps, uploadExists: uploadExistsFor(deps.blobs, userId) }, [
    { path: "", request },
  ]);
  return newGenerationRecord({ id: newId("gen"), userId, request });
}

/** Writes and enqueues the record (with the Idempotency-Key's answer, if any): its 202. */
export async function acceptGeneration(
  deps: Pick<GenerationRouteDeps, "accept">,
  record: GenerationRecord,
  baseUrl: string,
  claim: IdempotencyClaim | undefined,
): Promise<{ statusUrl: string; response: StoredResponse }> {
  const statusUrl = `${baseUrl}/generation/${record.id}/status`;
  const response = { status: 202, body: { id: record.id, status: record.status, statusUrl } };
  await deps.accept({
    records: [record],
    ...(claim ? { idempotency: { ...claim, response } } : {}),
  });
  return { statusUrl, response };
}

export function generationRoutes(deps: GenerationRouteDeps): Router {
  const router = Router();
  const loadOwned = (req: Request) => loadOwnedGeneration(deps, req);

  router.post("/generate", async (req, res) => {
    await respondIdempotently(
      req,
      res,
      {
        store: deps.store,
        ttlSeconds: deps.idempotencyTtlSeconds,
        pendingSeconds: deps.idempotencyPendingSeconds,
      },
      async (claim) => {
        const { userId } = callerOf(req);
        const record = await recordToGenerate(deps, userId, req.body, {
          cancelAfter: deadlineFromCancelAfter(req),
          preferences: deps.store.getPreferences(userId),
        });
        logFacts(res, { generationId: record.id });
        const { statusUrl, response } = await acceptGeneration(
          deps,
          record,
          baseUrlOf(req, deps.publicUrl),
          claim,
        );
        res.location(statusUrl);
        // Prefer: wait=N: the finished record when it ends within N seconds, else the 202.
        const wait = preferredWait(req);
        if (wait && deps.listener) {
          const hungUp = new Promise<void>((resolve) => res.on("close", () => resolve()));
          const ended = await waitForEnd(
            { ...deps, listener: deps.listener },
            record.id,
            wait,
            hungUp,
          );
          if (ended) {
            res.set("Preference-Applied", `wait=${wait}`);
            return { status: 200, body: presentGeneration(ended, baseUrlOf(req, deps.publicUrl)) };
          }
        }
        return response;
      },
    );
  });

  router.get("/generation/:id/status", async (req, res) => {
    const record = await loadOwned(req);
    const body = await presentWithQueue(deps, record, baseUrlOf(req, deps.publicUrl));
    if (record.webhook) {
      const deliveries = await deps.store.deliveriesFor(record.id);
      body.webhook = { ...record.webhook, deliveries: deliveries.map(presentDelivery) };
    }
    res.set("Cache-Control", "no-store").json(body);
  });

  router.post("/generation/:id/cancel", async (req, res) => {
    const record = await loadOwned(req);
    if (record.status !== "canceled" && (await cancelQueued(deps, [record])).length === 0) {
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

  /** The completed image of `:id`, or the 409 that says why there is none yet. */
  const loadImage = async (req: Request) => {
    const record = await loadOwned(req);
    if (record.status !== "completed" || !record.image) {
      throw new AppError(
        "CONFLICT",
        record.status === "failed" || record.status === "canceled"
          ? `generation ${record.id} ended ${record.status}; it has no image`
          : `generation ${record.id} is ${record.status}; poll its status until it is completed`,
      );
    }
    return { record, image: record.image };
  };

  router.get("/generation/:id/thumbnail", async (req, res) => {
    const { size } = parseBody(thumbnailQuery, { ...req.query });
    const { record, image } = await loadImage(req);
    const etag = `"${image.sha256}-${size}"`;
    if (req.get("if-none-match") === etag) {
      res.status(304).end();
      return;
    }
    const thumbnail = await thumbnailFor(deps.blobs, image, size);
    if (!thumbnail) throw notFound(`the image of ${record.id} is no longer stored`);
    res
      .set({
        "Content-Type": thumbnail.contentType,
        ETag: etag,
        // The same id and size always name the same bytes.
        "Cache-Control": "private, max-age=31536000, immutable",
      })
      .send(thumbnail.bytes);
  });

  router.get("/generation/:id/image", async (req, res) => {
    const { record, image } = await loadImage(req);
    const etag = `"${image.sha256}"`;
    if (req.get("if-none-match") === etag) {
      res.status(304).end();
      return;
    }
    // Where the store can sign a URL (GCS), the client fetches the bytes from it directly.
    const signed = await deps.blobs.signedUrl(image.key);
    if (signed) {
      res.set("Cache-Control", "private, no-store").redirect(302, signed);
      return;
    }
    const blob = await deps.blobs.get(image.key);
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
