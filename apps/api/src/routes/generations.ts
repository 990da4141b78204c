import type { BlobStore } from "@nanobanana/blob-store";
import {
  type GenerationRecord,
  generateRequestSchema,
  isGenerationId,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";
import { AppError, invalidRequest, notFound, serviceUnavailable } from "@nanobanana/errors";
import type { generationQueue, Producer } from "@nanobanana/queue";
import type { Store } from "@nanobanana/store";
import { type Request, Router } from "express";
import { callerOf } from "../auth.ts";
import { parseBody } from "../http-errors.ts";

export interface GenerationRouteDeps {
  store: Store;
  blobs: BlobStore;
  producer: Producer<typeof generationQueue>;
  models: readonly string[];
  publicUrl: string | undefined;
}

export function baseUrlOf(req: Request, publicUrl: string | undefined): string {
  return publicUrl ?? `${req.protocol}://${req.get("host")}`;
}

// Field order of DESIGN.md's generation record, so every response reads the same way.
const RECORD_FIELDS = [
  "id",
  "userId",
  "batchId",
  "status",
  "stage",
  "prompt",
  "quality",
  "aspectRatio",
  "format",
  "requestedModel",
  "classification",
  "enhancedPrompt",
  "template",
  "provider",
  "model",
  "cached",
  "cost",
  "usage",
  "providerCalls",
  "note",
  "image",
  "error",
  "attempts",
  "timings",
  "metadata",
  "createdAt",
  "updatedAt",
  "completedAt",
] as const satisfies readonly (keyof GenerationRecord)[];

/** The record as callers see it: stable field order, absolute URLs, no internal storage keys. */
export function presentGeneration(record: GenerationRecord, baseUrl: string) {
  const out: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) out[field] = record[field];
  const image = record.image;
  out.image = image
    ? {
        url: `${baseUrl}${image.url}`,
        mimeType: image.mimeType,
        width: image.width,
        height: image.height,
        bytes: image.bytes,
        sha256: image.sha256,
      }
    : null;
  out.statusUrl = `${baseUrl}/generation/${record.id}/status`;
  return out;
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
    const request = parseBody(generateRequestSchema, req.body);
    if (request.model && !deps.models.includes(request.model)) {
      throw invalidRequest(
        `model "${request.model}" is not available; choose one of ${deps.models.join(", ")}`,
      );
    }
    const { userId } = callerOf(req);
    const record = newGenerationRecord({ id: newId("gen"), userId, request });
    try {
      await deps.store.createGeneration(record);
      // jobId = generation id: BullMQ refuses a duplicate while the job exists.
      await deps.producer.enqueue(
        "generate",
        { generationId: record.id, userId },
        { jobId: record.id },
      );
    } catch (error) {
      // Nothing half-accepted: a record that never reached the queue is marked failed, not left "queued".
      await deps.store
        .updateGeneration(record.id, {
          status: "failed",
          error: {
            code: "SERVICE_UNAVAILABLE",
            message: "the queue was unreachable; nothing was generated",
            retryable: true,
          },
        })
        .catch(() => undefined);
      throw serviceUnavailable("the queue is unreachable right now; try again shortly", error);
    }
    const baseUrl = baseUrlOf(req, deps.publicUrl);
    res
      .status(202)
      .location(`${baseUrl}/generation/${record.id}/status`)
      .json({
        id: record.id,
        status: record.status,
        statusUrl: `${baseUrl}/generation/${record.id}/status`,
      });
  });

  router.get("/generation/:id/status", async (req, res) => {
    const record = await loadOwned(req);
    res
      .set("Cache-Control", "no-store")
      .json(presentGeneration(record, baseUrlOf(req, deps.publicUrl)));
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
