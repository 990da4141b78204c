import type { BlobStore } from "@nanobanana/blob-store";
import { isBatchId } from "@nanobanana/domain";
import type { Logger } from "@nanobanana/logger";
import type { generationQueue, Producer } from "@nanobanana/queue";
import type { GenerationStore } from "@nanobanana/store";
import { enqueueGenerations } from "./accept.ts";
import { type NotifyDeps, notifyBatchCompleted, notifyFinished } from "./notify.ts";

export interface SweepDeps {
  store: GenerationStore;
  blobs: BlobStore;
  producer: Producer<typeof generationQueue>;
  notify: NotifyDeps;
  logger: Logger;
  /** Work younger than this is still in someone's hands; the sweep leaves it alone. */
  graceMs: number;
  /** Cached images older than this are deleted where the BlobStore has no lifecycle rule. */
  cacheTtlSeconds: number;
  /** The economy tier: windows and batch jobs whose next step a crash lost get it again. */
  economy?: { repair(): Promise<number> };
}

export interface SweepReport {
  enqueued: number;
  batchesCompleted: number;
  notified: number;
  cacheImagesDeleted: number;
  economyRepaired: number;
}

const PAGE = 100;

/**
 * Repairs what a crash between two steps can leave, and keeps storage bounded. Runs every
 * SWEEP_INTERVAL_MS as one job on the maintenance queue (one worker at a time); every step
 * is idempotent, so running it twice, or while the normal path finishes, is harmless:
 * - accepted records whose jobs were never enqueued are enqueued;
 * - batches whose items have all settled but which never completed are completed;
 * - finished generations and batches whose webhooks were never created get them;
 * - economy windows and batch jobs get again the next step a crash lost;
 * - cached images past the cache TTL are deleted (local disk; GCS has its lifecycle rule).
 */
export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { store } = deps;
  const before = new Date(Date.now() - deps.graceMs).toISOString();
  const report: SweepReport = {
    enqueued: 0,
    batchesCompleted: 0,
    notified: 0,
    cacheImagesDeleted: 0,
    economyRepaired: 0,
  };

  for (const acceptanceId of await store.unconfirmedAcceptances(before, PAGE)) {
    const ids = isBatchId(acceptanceId)
      ? ((await store.getBatch(acceptanceId))?.ids ?? [])
      : [acceptanceId];
    const queued = (await store.getGenerations(ids)).filter((r) => r?.status === "queued");
    await enqueueGenerations(deps, queued as Array<{ id: string; userId: string }>);
    await store.confirmEnqueued(acceptanceId);
    report.enqueued += queued.length;
    deps.logger.warn({ acceptanceId, enqueued: queued.length }, "sweep: enqueued accepted work");
  }

  for (const batchId of await store.openBatches(before, PAGE)) {
    if (await store.completeBatchIfSettled(batchId, new Date().toISOString())) {
      report.batchesCompleted++;
      deps.logger.warn({ batchId }, "sweep: completed a batch whose items had all settled");
    }
    const batch = await store.getBatch(batchId);
    if (batch?.completedAt) await notifyBatchCompleted(deps.notify, batch);
  }

  for (const subjectId of await store.pendingNotifications(before, PAGE)) {
    if (isBatchId(subjectId)) {
      const batch = await store.getBatch(subjectId);
      if (batch) await notifyBatchCompleted(deps.notify, batch);
    } else {
      const record = await store.getGeneration(subjectId);
      if (record) await notifyFinished(deps.notify, record);
    }
    // Whatever it was, it has been handled (or no longer exists).
    await store.clearNotification(subjectId);
    report.notified++;
  }

  report.economyRepaired = (await deps.economy?.repair()) ?? 0;
  report.cacheImagesDeleted = await deps.blobs.deleteOlderThan(
    "cache/",
    new Date(Date.now() - deps.cacheTtlSeconds * 1000),
  );
  return report;
}
