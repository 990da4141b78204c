import type { Logger } from "@nanobanana/logger";
import type { generationQueue, Producer } from "@nanobanana/queue";
import { type Acceptance, acceptanceIdOf, coalesce, type GenerationStore } from "@nanobanana/store";

export interface AcceptDeps {
  store: GenerationStore;
  producer: Producer<typeof generationQueue>;
  logger: Logger;
  /** Testing only (FAILPOINT): called at each crash-sensitive step. */
  failpoint?: ((step: string) => void) | undefined;
}

/** Puts an acceptance's queued records on the queue; the job id is the generation id. */
export async function enqueueGenerations(
  deps: Pick<AcceptDeps, "producer">,
  records: ReadonlyArray<{ id: string; userId: string }>,
): Promise<void> {
  if (records.length === 0) return;
  // jobId = generation id: BullMQ refuses a duplicate while the job exists, and a job that
  // runs for a finished record does nothing, so enqueueing twice is harmless.
  await deps.producer.enqueueBulk(
    "generate",
    records.map((r) => ({ payload: { generationId: r.id, userId: r.userId }, jobId: r.id })),
  );
}

/**
 * The write and the enqueue of acceptGenerations; answers the ids of the acceptances now on
 * the queue, whose "not yet enqueued" markers may go.
 */
async function writeAndEnqueue(deps: AcceptDeps, acceptances: Acceptance[]): Promise<string[]> {
  deps.failpoint?.("accept.before-write");
  await deps.store.accept(...acceptances);
  deps.failpoint?.("accept.after-write");
  const acceptanceIds = acceptances.map(acceptanceIdOf).filter((id) => id !== undefined);
  if (acceptanceIds.length === 0) return [];
  const records = acceptances.flatMap((a) => a.records);
  try {
    await enqueueGenerations(deps, records);
    return acceptanceIds;
  } catch (error) {
    deps.logger.warn(
      { acceptanceIds, items: records.length, err: (error as Error).message },
      "accepted but not yet enqueued; the sweep will enqueue it",
    );
    return [];
  }
}

/** Clears the markers; one left behind only has the sweep enqueue its work again, harmlessly. */
async function clearMarkers(deps: AcceptDeps, acceptanceIds: string[]): Promise<void> {
  try {
    await deps.store.confirmEnqueued(...acceptanceIds);
  } catch (error) {
    deps.logger.warn(
      { acceptanceIds, err: (error as Error).message },
      "enqueued, but the marker stays; the sweep will enqueue it again (harmless)",
    );
  }
}

/**
 * Accepts generations: the records (with their batch, their Idempotency-Key answer and a
 * "not yet enqueued" marker) are written in one atomic step, then enqueued, then the marker
 * is cleared. Once the write has succeeded the work is accepted for good: if the process dies
 * or the queue is unreachable before the marker is cleared, the sweep enqueues it. If the
 * write fails, nothing was accepted and the error reaches the caller (a 503).
 */
export async function acceptGenerations(
  deps: AcceptDeps,
  ...acceptances: Acceptance[]
): Promise<void> {
  const enqueued = await writeAndEnqueue(deps, acceptances);
  if (enqueued.length > 0) await clearMarkers(deps, enqueued);
}

/**
 * acceptGenerations as a service runs it: requests that arrive while one acceptance is being
 * written go together in the next (one write, one addBulk for all), so under load each
 * request's share of the round trips shrinks. A failed write fails its whole group, which has
 * accepted nothing. The markers are cleared after the answer, also grouped: the work is on
 * the queue by then, and the answer need not wait a third round trip for housekeeping.
 */
export function createAcceptor(deps: AcceptDeps): (acceptance: Acceptance) => Promise<void> {
  const clear = coalesce(async (acceptanceIds: string[]) => {
    await clearMarkers(deps, acceptanceIds);
    return acceptanceIds.map(() => undefined);
  });
  return coalesce(async (acceptances: Acceptance[]) => {
    for (const id of await writeAndEnqueue(deps, acceptances)) void clear(id);
    return acceptances.map(() => undefined);
  });
}
