import type { BatchRecord, BatchSummary, GenerationRecord, StatusCounts } from "./generation.ts";
import { GENERATION_STATUSES, TERMINAL_STATUSES } from "./generation.ts";
import type { WebhookDelivery } from "./webhook.ts";

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
  "imageSize",
  "format",
  "requestedModel",
  "references",
  "classification",
  "enhancedPrompt",
  "template",
  "feedback",
  "provider",
  "model",
  "modelReason",
  "cached",
  "cost",
  "tier",
  "deadline",
  "onDeadline",
  "providerJob",
  "tierReason",
  "usage",
  "providerCalls",
  "providerAttempts",
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

/**
 * The record as callers see it (HTTP and webhook bodies): stable field order, absolute
 * URLs, no internal storage keys.
 */
export function presentGeneration(
  record: GenerationRecord,
  baseUrl: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of RECORD_FIELDS) out[field] = record[field];
  // Records written before these fields existed still read as complete.
  out.imageSize ??= "1K";
  out.references ??= [];
  out.modelReason ??= null;
  out.providerAttempts ??= [];
  out.tier ??= "standard";
  out.deadline ??= null;
  out.onDeadline ??= "standard";
  out.providerJob ??= null;
  out.tierReason ??= null;
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

export function emptyCounts(): StatusCounts {
  return Object.fromEntries(GENERATION_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

/** Counts by status, progress and cost so far, from the batch and its items' records. */
export function summarizeBatch(
  batch: BatchRecord,
  items: ReadonlyArray<Pick<GenerationRecord, "status" | "cost"> | null>,
): BatchSummary {
  const counts = emptyCounts();
  let usd = 0;
  for (const item of items) {
    if (!item) continue;
    counts[item.status]++;
    usd += item.cost.usd;
  }
  const terminal = TERMINAL_STATUSES.reduce((n, s) => n + counts[s], 0);
  return {
    id: batch.id,
    userId: batch.userId,
    total: batch.total,
    counts,
    progress: batch.total === 0 ? 1 : Math.round((terminal / batch.total) * 1000) / 1000,
    cost: { usd: Math.round(usd * 1e6) / 1e6 },
    createdAt: batch.createdAt,
    completedAt: batch.completedAt,
  };
}

/** A delivery as callers see it: its state and every attempt, not the body. */
export function presentDelivery(delivery: WebhookDelivery) {
  const last = delivery.attempts.at(-1);
  return {
    id: delivery.id,
    event: delivery.event,
    subjectId: delivery.subjectId,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: last?.statusCode ?? null,
    nextAttemptAt: delivery.nextAttemptAt,
    createdAt: delivery.createdAt,
    deliveredAt: delivery.deliveredAt,
  };
}
