import { type GenerationRecord, TERMINAL_STATUSES } from "@nanobanana/domain";
import type { economyQueue, generationQueue, Producer } from "@nanobanana/queue";
import { announceChanges, type NotifyDeps, notifyBatchCompleted } from "./notify.ts";

export interface CancelDeps {
  producer: Producer<typeof generationQueue>;
  /** Economy: after a cancel, the worker releases a maker's job none of whose images waits. */
  economyProducer?: Pick<Producer<typeof economyQueue>, "enqueue">;
  notify: NotifyDeps;
  /** Testing only (FAILPOINT): called at each crash-sensitive step. */
  failpoint?: ((step: string) => void) | undefined;
}

const CANCELED = {
  code: "CANCELED",
  message: "canceled by the caller before it started",
  retryable: false,
};

/**
 * Cancels the generations that have not started, in one bulk step: each record moves to
 * canceled together with its batch's settled count (so a crash cannot leave a batch whose
 * items are all finished but which never completes), then their jobs are removed and a
 * batch that this completed is announced. Returns the records it canceled.
 */
export async function cancelQueued(
  deps: CancelDeps,
  records: readonly GenerationRecord[],
): Promise<GenerationRecord[]> {
  const { store } = deps.notify;
  const at = new Date().toISOString();
  // An economy image waiting at the maker (submitted) can be canceled until its job ended.
  const candidates = records.filter((r) => r.status === "queued" || r.status === "submitted");
  const canceled = await store.finishGenerations(
    candidates.map((r) => ({
      id: r.id,
      patch: { status: "canceled", stage: r.stage, error: CANCELED, completedAt: at },
    })),
    { onlyIfStatusIn: ["queued", "submitted"] },
  );
  deps.failpoint?.("cancel.after-finish");
  announceChanges(deps.notify, canceled);
  // The record is what counts (a worker that picks the job up skips it); removing the jobs
  // just saves them the trip, and fails harmlessly for a job that is locked.
  await Promise.all(canceled.map((r) => deps.producer.queue.remove(r.id).catch(() => 0)));
  await settleBatches(deps.notify, [...new Set(records.map((r) => r.batchId))], at);
  const jobs = new Set(canceled.flatMap((r) => (r.providerJob ? [r.providerJob.name] : [])));
  for (const name of jobs) await deps.economyProducer?.enqueue("release", { name });
  return canceled;
}

/**
 * Completes (and announces) batches whose items have all settled. Idempotent, so a second
 * cancel, a status read or the sweep repairs what a crash between two steps left.
 */
export async function settleBatches(
  notify: NotifyDeps,
  batchIds: ReadonlyArray<string | null>,
  at = new Date().toISOString(),
): Promise<void> {
  for (const batchId of batchIds) {
    if (!batchId) continue;
    await notify.store.completeBatchIfSettled(batchId, at);
    const batch = await notify.store.getBatch(batchId);
    if (batch) await notifyBatchCompleted(notify, batch);
  }
}

/** True when every item of a batch summary has reached an end. */
export const allFinished = (items: ReadonlyArray<{ status: string } | null>) =>
  items.every((r) => r !== null && TERMINAL_STATUSES.includes(r.status as never));
