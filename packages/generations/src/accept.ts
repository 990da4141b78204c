import type { Logger } from "@nanobanana/logger";
import type { generationQueue, Producer } from "@nanobanana/queue";
import { type Acceptance, acceptanceIdOf, coalesce, type GenerationStore } from "@nanobanana/store";

export interface AcceptDeps {
  store: GenerationStore;
  producer: Producer<typeof generationQueue>;
  logger: Logger;
  /**
   * The store's writes and the producer's jobs travel on one Redis connection (the API opens
   * them so with STORE=redis), and the store's `accept` has sent its write when it returns.
   * Redis applies one connection's commands in the order sent, so a job can never be taken
   * before its record exists: the enqueue goes right behind the write instead of waiting for
   * its answer, and an acceptance costs one round trip, not two.
   */
  enqueueBehindWrite?: boolean | undefined;
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
 * The write and the enqueue of acceptGenerations. Resolves once the write is applied (the
 * work is accepted then), with `queued`: the ids of the acceptances whose jobs are on the
 * queue once they are, so their "not yet enqueued" markers may go (none when the enqueue
 * failed: the sweep enqueues them). `queued` never rejects.
 */
async function writeThenEnqueue(
  deps: AcceptDeps,
  acceptances: Acceptance[],
): Promise<{ queued: Promise<string[]> }> {
  deps.failpoint?.("accept.before-write");
  const acceptanceIds = acceptances.map(acceptanceIdOf).filter((id) => id !== undefined);
  const records = acceptances.flatMap((a) => a.records);
  const written = deps.store.accept(...acceptances);
  // A crash test's failpoint needs the write applied, and the enqueue not yet sent.
  const behind = deps.enqueueBehindWrite && !deps.failpoint && acceptanceIds.length > 0;
  const sentBehind = behind ? settled(enqueueGenerations(deps, records)) : undefined;
  // If the write fails, nothing was accepted (the jobs sent behind it find no record, and
  // end NOT_FOUND without a retry).
  await written;
  deps.failpoint?.("accept.after-write");
  if (acceptanceIds.length === 0) return { queued: Promise.resolve([]) };
  // An enqueue sent behind a write that Redis's offline queue held (the connection was coming
  // back) fails at once; the write then succeeded, so the jobs go now, not at the next sweep.
  const enqueued =
    sentBehind !== undefined
      ? sentBehind.then((error) => error && settled(enqueueGenerations(deps, records)))
      : settled(enqueueGenerations(deps, records));
  const queued = enqueued.then((error) => {
    if (!error) return acceptanceIds;
    deps.logger.warn(
      { acceptanceIds, items: records.length, err: error.message },
      "accepted but not yet enqueued; the sweep will enqueue it",
    );
    return [];
  });
  return { queued };
}

/** The error a promise rejects with, or undefined once it resolves; it never rejects. */
const settled = (promise: Promise<unknown>): Promise<Error | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );

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
  const queued = await (await writeThenEnqueue(deps, acceptances)).queued;
  if (queued.length > 0) await clearMarkers(deps, queued);
}

/**
 * acceptGenerations as a service runs it: requests that arrive while one acceptance is being
 * written go together in the next (one write, one addBulk for all), so under load each
 * request's share of the round trips shrinks. A failed write fails its whole group, which has
 * accepted nothing. The answer comes once the write is applied: the work is accepted for good
 * then, and the answer was never going to wait on the enqueue's outcome (a failed enqueue is
 * the sweep's), only on its time, a third of a 1000-item batch's. The jobs follow (behind the
 * write on its connection, already sent), then the markers are cleared, also grouped.
 */
export function createAcceptor(deps: AcceptDeps): (acceptance: Acceptance) => Promise<void> {
  const clear = coalesce(async (acceptanceIds: string[]) => {
    await clearMarkers(deps, acceptanceIds);
    return acceptanceIds.map(() => undefined);
  });
  return coalesce(async (acceptances: Acceptance[]) => {
    const { queued } = await writeThenEnqueue(deps, acceptances);
    void queued.then((ids) => {
      for (const id of ids) void clear(id);
    });
    return acceptances.map(() => undefined);
  });
}
