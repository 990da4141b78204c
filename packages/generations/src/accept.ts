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
  deps.failpoint?.("accept.before-write");
  await deps.store.accept(...acceptances);
  deps.failpoint?.("accept.after-write");
  const acceptanceIds = acceptances.map(acceptanceIdOf).filter((id) => id !== undefined);
  if (acceptanceIds.length === 0) return;
  const records = acceptances.flatMap((a) => a.records);
  try {
    await enqueueGenerations(deps, records);
    await deps.store.confirmEnqueued(...acceptanceIds);
  } catch (error) {
    deps.logger.warn(
      {
        acceptanceIds,
        items: records.length,
        err: (error as Error).message,
      },
      "accepted but not yet enqueued; the sweep will enqueue it",
    );
  }
}

/**
 * acceptGenerations as a service runs it: requests that arrive while one acceptance is being
 * written go together in the next (one write, one addBulk, one confirmation for all), so under
 * load each request's share of the round trips shrinks. A failed write fails its whole group,
 * which has accepted nothing.
 */
export function createAcceptor(deps: AcceptDeps): (acceptance: Acceptance) => Promise<void> {
  return coalesce(async (acceptances: Acceptance[]) => {
    await acceptGenerations(deps, ...acceptances);
    return acceptances.map(() => undefined);
  });
}
