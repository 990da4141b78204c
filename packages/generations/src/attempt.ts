import { callsLeft, type GenerationRecord, TERMINAL_STATUSES } from "@nanobanana/domain";
import { AppError, toAppError } from "@nanobanana/errors";
import type { GenerationStore, TemplateStore } from "@nanobanana/store";
import { announceChanges, type NotifyDeps, notifyFinished } from "./notify.ts";
import type { DrawGeneration, EconomyScheduler } from "./ports.ts";

export interface AttemptDeps {
  /** Every status change is made here; a completed image also counts for its template. */
  store: GenerationStore & Pick<TemplateStore, "recordTemplateUse">;
  draw: DrawGeneration;
  /** The store, logger, dispatcher and base URL that a generation's end is announced with. */
  notify: NotifyDeps;
  /** Provider calls one generation may make in all, across every retry (GENERATION_MAX_PROVIDER_CALLS). */
  maxProviderCalls: number;
  /** The economy tier's windows, for drawings the pipeline puts off to the maker's batch mode. */
  economy?: EconomyScheduler;
}

export type AttemptOutcome =
  | { kind: "completed"; record: GenerationRecord }
  /** Economy: the record waits in its window for the maker's batch job. */
  | { kind: "deferred"; window: string }
  | { kind: "skipped"; reason: string }
  /** The record is back to "queued"; the job should run again after its backoff. */
  | { kind: "retry"; error: AppError }
  /** The record ended "failed" (or is gone); the job must not run again. */
  | { kind: "failed"; error: AppError; record: GenerationRecord | null };

/**
 * One attempt at one generation, every status change of it made here: claim (queued →
 * processing), the drawing's progress, then completed, or the retry decision (back to queued,
 * or failed), and the webhooks that follow. Safe to run again for the same id (BullMQ is
 * at-least-once): a finished record is left alone, but what its end calls for is sent again,
 * in case a crash lost it (deliveries are keyed by subject, so nothing is sent twice).
 */
export async function runGenerationAttempt(
  deps: AttemptDeps,
  generationId: string,
  job: {
    attempt: number;
    maxAttempts: number;
    signal?: AbortSignal;
    /** Called once, as the drawing starts: what came before it (the preparation) is done. */
    ready?: () => void;
  },
): Promise<AttemptOutcome> {
  const { store } = deps;
  const { logger } = deps.notify;
  const skip = async (reason: string): Promise<AttemptOutcome> => {
    const record = await store.getGeneration(generationId);
    if (record) await notifyFinished(deps.notify, record);
    return { kind: "skipped", reason };
  };
  try {
    const record = await store.getGeneration(generationId);
    if (!record) throw new AppError("NOT_FOUND", `generation ${generationId} does not exist`);
    if (TERMINAL_STATUSES.includes(record.status)) return await skip(`already ${record.status}`);

    const claim = {
      status: "processing" as const,
      stage: "classify" as const,
      attempts: job.attempt,
      error: null,
      timings: {
        ...record.timings,
        queuedMs: record.timings.queuedMs ?? Date.now() - Date.parse(record.createdAt),
      },
    };
    const claimed = await store.updateGeneration(generationId, claim, {
      onlyIfStatusIn: ["queued", "processing"],
    });
    if (!claimed) return await skip("no longer queued");
    announceChanges(deps.notify, [record]);

    const drawing = await deps.draw(
      { ...record, ...claim },
      {
        attempt: job.attempt,
        ...(job.signal ? { signal: job.signal } : {}),
        async progress(stage, patch) {
          if (stage === "generate") job.ready?.();
          const applied = await store.updateGeneration(
            generationId,
            { ...patch, stage },
            { onlyIfStatusIn: ["processing"] },
          );
          if (!applied) throw new LeftProcessing(generationId);
          // Stages matter to the generation's own stream; its batch's counts do not move.
          announceChanges(deps.notify, [{ id: generationId, batchId: null }]);
        },
      },
    );
    if ("kind" in drawing) {
      if (!deps.economy) throw new AppError("INTERNAL", "an economy drawing with no economy tier");
      // Back to queued with its brief kept, to wait in its window for the maker's batch job.
      const waiting = await store.updateGeneration(
        generationId,
        { status: "queued", stage: "queued" },
        { onlyIfStatusIn: ["processing"] },
      );
      if (!waiting) return await skip("record moved on");
      await deps.economy.join({ ...record, ...claim, status: "queued" }, drawing.window);
      announceChanges(deps.notify, [record]);
      logger.info({ window: drawing.window }, "generation waits for an economy batch job");
      return { kind: "deferred", window: drawing.window };
    }
    const [finished] = await store.finishGenerations([{ id: generationId, patch: drawing.patch }], {
      onlyIfStatusIn: ["processing"],
    });
    if (!finished) return await skip("record moved on");
    announceChanges(deps.notify, [finished]);
    await Promise.all([
      // Each completed image counts once for its template's A/B stats (feedback rate = rated ÷ this).
      store.recordTemplateUse(drawing.template),
      notifyFinished(deps.notify, finished),
    ]);
    // The logger already names the generation and the job.
    logger.info(drawing.summary, "generation completed");
    return { kind: "completed", record: finished };
  } catch (thrown) {
    if (thrown instanceof LeftProcessing) return await skip("record moved on");
    const error = toAppError(thrown);
    const decision = await recordAttemptFailure(deps, generationId, error, job);
    logger.warn(
      { code: error.code, err: error.message, attempt: job.attempt, willRetry: decision.willRetry },
      "generation attempt failed",
    );
    announceChanges(deps.notify, [{ id: generationId, batchId: decision.record?.batchId ?? null }]);
    if (decision.willRetry) return { kind: "retry", error };
    if (decision.record) await notifyFinished(deps.notify, decision.record);
    return { kind: "failed", error, record: decision.record };
  }
}

class LeftProcessing extends Error {
  constructor(id: string) {
    super(`generation ${id} left processing`);
  }
}

/**
 * Writes a failed attempt to the record and decides whether the job runs again: only a
 * retryable error, with job attempts left and provider calls left in the generation's
 * budget. Otherwise the record ends "failed" with `retryable: false`, saying it is final;
 * while retries remain it goes back to "queued" with the error shown as retryable.
 */
export async function recordAttemptFailure(
  deps: Pick<AttemptDeps, "store" | "maxProviderCalls">,
  generationId: string,
  error: AppError,
  attempts: { attempt: number; maxAttempts: number },
): Promise<{ willRetry: boolean; record: GenerationRecord | null }> {
  const { store } = deps;
  // Calls the provider made before failing still count (they show what was tried).
  const calls = (error.details as { calls?: number } | undefined)?.calls ?? 0;
  const providerCalls = ((await store.getGeneration(generationId))?.providerCalls ?? 0) + calls;
  const budgetLeft = callsLeft(deps.maxProviderCalls, { providerCalls }) > 0;
  const willRetry = error.retryable && attempts.attempt < attempts.maxAttempts && budgetLeft;
  if (willRetry) {
    await store.updateGeneration(
      generationId,
      {
        status: "queued",
        stage: "queued",
        providerCalls,
        error: { ...error.toJSON(), retryable: true },
      },
      { onlyIfStatusIn: ["queued", "processing"] },
    );
    return { willRetry, record: null };
  }
  const why = !error.retryable
    ? ""
    : !budgetLeft
      ? ` (final: the generation's ${providerCalls} provider calls used its whole budget)`
      : ` (final: all ${attempts.maxAttempts} attempts used)`;
  const [record] = await store.finishGenerations(
    [
      {
        id: generationId,
        patch: {
          status: "failed",
          providerCalls,
          error: { ...error.toJSON(), message: `${error.message}${why}`, retryable: false },
          completedAt: new Date().toISOString(),
        },
      },
    ],
    { onlyIfStatusIn: ["queued", "processing"] },
  );
  return { willRetry, record: record ?? null };
}
