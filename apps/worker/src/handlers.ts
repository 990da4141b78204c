import type { GenerationRecord } from "@nanobanana/domain";
import { toAppError } from "@nanobanana/errors";
import {
  type NotifyDeps,
  notifyFinished,
  type SweepDeps,
  sweep,
  type WebhookDispatcher,
} from "@nanobanana/generations";
import type { Logger } from "@nanobanana/logger";
import { observeSettled } from "@nanobanana/metrics";
import { type PipelineDeps, recordAttemptFailure, runGeneration } from "@nanobanana/pipeline";
import {
  type generationQueue,
  type Handlers,
  type maintenanceQueue,
  UnrecoverableError,
  type webhookQueue,
} from "@nanobanana/queue";
import { attemptDelivery, type DeliveryDeps } from "@nanobanana/webhooks";

/**
 * Thin handlers: parse (done by the consumer), call the pipeline, record the outcome.
 * A non-retryable error ends the job at once; a retryable one goes back to BullMQ's backoff.
 */
export function generationHandlers(
  deps: Omit<PipelineDeps, "logger"> & { notify: Omit<NotifyDeps, "logger"> },
  logger: Logger,
): Handlers<typeof generationQueue> {
  // The record as it ended, when the caller has it; else read (a skip must still notify).
  const notify = async (generationId: string, log: Logger, ended?: GenerationRecord | null) => {
    const record = ended ?? (await deps.store.getGeneration(generationId));
    if (!record) return;
    await notifyFinished({ ...deps.notify, logger: log }, record);
    observeSettled(record);
  };
  return {
    async generate({ generationId, userId }, job) {
      const log = logger.child({ queue: job.queueName, jobId: job.id, generationId, userId });
      const attempt = job.attemptsMade + 1;
      try {
        const outcome = await runGeneration({ ...deps, logger: log }, generationId, { attempt });
        if (outcome.kind === "skipped") log.info({ reason: outcome.reason }, "generation skipped");
        // Also after a skip: a re-run of a finished job must still send what a crash lost.
        await notify(generationId, log, outcome.kind === "completed" ? outcome.record : null);
        return outcome.kind;
      } catch (thrown) {
        const error = toAppError(thrown);
        const { willRetry, record } = await recordAttemptFailure(deps, generationId, error, {
          attempt,
          maxAttempts: job.opts.attempts ?? 1,
        });
        log.warn(
          { code: error.code, err: error.message, attempt, willRetry },
          "generation attempt failed",
        );
        if (!willRetry) {
          await notify(generationId, log, record);
          // Final: no attempts or provider calls left, or an error no retry can mend.
          throw new UnrecoverableError(`${error.code}: ${error.message}`);
        }
        throw error;
      }
    },
  };
}

/** One delivery attempt per job; the next attempt is a new, delayed job with its own id. */
export function webhookHandlers(
  deps: DeliveryDeps & { dispatcher: WebhookDispatcher },
  logger: Logger,
): Handlers<typeof webhookQueue> {
  return {
    async deliver({ deliveryId }, job) {
      const log = logger.child({ queue: job.queueName, jobId: job.id, deliveryId });
      const outcome = await attemptDelivery(deps, deliveryId);
      const last = outcome.delivery?.attempts.at(-1);
      if (outcome.kind === "retry") {
        await deps.dispatcher.enqueueDelivery(deliveryId, outcome.attempt, outcome.delayMs);
        log.info(
          { statusCode: last?.statusCode, err: last?.error, retryInMs: outcome.delayMs },
          "webhook not accepted; will retry",
        );
      } else if (outcome.kind !== "skipped") {
        log.info(
          {
            outcome: outcome.kind,
            statusCode: last?.statusCode,
            attempts: outcome.delivery?.attempts.length,
          },
          "webhook delivery finished",
        );
      }
      return outcome.kind;
    },
  };
}

/** The sweep, logged when it had anything to do. */
export function maintenanceHandlers(
  deps: SweepDeps,
  logger: Logger,
): Handlers<typeof maintenanceQueue> {
  return {
    async sweep(_payload, job) {
      const report = await sweep({ ...deps, logger: logger.child({ jobId: job.id }) });
      if (Object.values(report).some((n) => n > 0)) logger.info(report, "sweep done");
      return report;
    },
  };
}
