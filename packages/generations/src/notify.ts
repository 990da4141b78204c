import {
  type BatchRecord,
  type GenerationRecord,
  presentGeneration,
  summarizeBatch,
  TERMINAL_STATUSES,
  type WebhookDelivery,
  type WebhookEvent,
  wants,
} from "@nanobanana/domain";
import type { Logger } from "@nanobanana/logger";
import type { GenerationStore, WebhookStore } from "@nanobanana/store";
import { deliveryIdFor, type WebhookDispatcher } from "./webhook-dispatcher.ts";

export interface NotifyDeps {
  /** Reads what ended; writes the deliveries and clears the outbox. */
  store: GenerationStore & Pick<WebhookStore, "createDelivery" | "getDelivery">;
  /** Puts a delivery on the webhooks queue (its first attempt). */
  dispatcher: Pick<WebhookDispatcher, "enqueueDelivery">;
  /** Base of the URLs inside webhook bodies (the composition root's publicBaseUrl). */
  baseUrl: string;
  logger: Logger;
  /** Live status: told of every status or stage change, for the API's event streams. */
  changes?: ChangeFeed;
}

/** The port live status listens on (`@nanobanana/live` implements it on Redis pub/sub). */
export interface ChangeFeed {
  published(change: { generationId: string; batchId: string | null }): Promise<void>;
}

/**
 * Tells live status that these generations changed, after their write is in. The nudges are
 * sent, not waited for: nothing reads their answers (`published` never fails), and a worker
 * sends ~9 an image, each of which would otherwise be a round trip on the job's path.
 */
export function announceChanges(
  deps: Pick<NotifyDeps, "changes">,
  records: ReadonlyArray<Pick<GenerationRecord, "id" | "batchId">>,
): void {
  for (const r of records)
    void deps.changes?.published({ generationId: r.id, batchId: r.batchId }).catch(() => undefined);
}

async function emit(
  deps: NotifyDeps,
  event: WebhookEvent,
  subject: { id: string; userId: string; url: string },
  data: unknown,
): Promise<void> {
  const now = new Date().toISOString();
  const delivery: WebhookDelivery = {
    id: deliveryIdFor(subject.id, event),
    userId: subject.userId,
    event,
    subjectId: subject.id,
    url: subject.url,
    body: JSON.stringify({ type: event, timestamp: now, data }),
    status: "pending",
    attempts: [],
    nextAttemptAt: now,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
  };
  const created = await deps.store.createDelivery(delivery);
  const existing = created ? delivery : await deps.store.getDelivery(delivery.id);
  // Enqueue also when it existed but never went out (a crash between the two writes);
  // the queue ignores a second job with the same id.
  if (existing?.status === "pending" && existing.attempts.length === 0)
    await deps.dispatcher.enqueueDelivery(delivery.id, 0);
}

/**
 * Sends what a generation's end calls for: its own event, then its batch's once the batch
 * has completed. Safe to repeat (delivery ids are derived from the subject, so a repeat
 * sends nothing new); each subject leaves the outbox once its webhook exists.
 */
export async function notifyFinished(deps: NotifyDeps, record: GenerationRecord): Promise<void> {
  if (!TERMINAL_STATUSES.includes(record.status)) return;
  const event: WebhookEvent | null =
    record.status === "completed"
      ? "generation.completed"
      : record.status === "failed"
        ? "generation.failed"
        : null;
  if (event && record.webhook && wants(record.webhook, event)) {
    await emit(
      deps,
      event,
      { id: record.id, userId: record.userId, url: record.webhook.url },
      presentGeneration(record, deps.baseUrl),
    );
  }
  if (record.webhook) await deps.store.clearNotification(record.id);
  if (!record.batchId) return;
  const batch = await deps.store.getBatch(record.batchId);
  if (batch?.completedAt) await notifyBatchCompleted(deps, batch);
}

/** batch.completed, once, for a batch whose every item has settled. */
export async function notifyBatchCompleted(deps: NotifyDeps, batch: BatchRecord): Promise<void> {
  if (!batch.completedAt) return;
  if (batch.webhook && wants(batch.webhook, "batch.completed")) {
    const states = await deps.store.getGenerationStates(batch.ids);
    await emit(
      deps,
      "batch.completed",
      { id: batch.id, userId: batch.userId, url: batch.webhook.url },
      summarizeBatch(batch, states),
    );
  }
  await deps.store.clearNotification(batch.id);
}
