import { toAppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import { type PipelineDeps, recordAttemptFailure, runGeneration } from "@nanobanana/pipeline";
import { type generationQueue, type Handlers, UnrecoverableError } from "@nanobanana/queue";

/**
 * Thin handlers: parse (done by the consumer), call the pipeline, record the outcome.
 * A non-retryable error ends the job at once; a retryable one goes back to BullMQ's backoff.
 */
export function generationHandlers(
  deps: Omit<PipelineDeps, "logger">,
  logger: Logger,
): Handlers<typeof generationQueue> {
  return {
    async generate({ generationId }, job) {
      const log = logger.child({ queue: job.queueName, jobId: job.id, generationId });
      const attempt = job.attemptsMade + 1;
      try {
        const outcome = await runGeneration({ ...deps, logger: log }, generationId, { attempt });
        if (outcome.kind === "skipped") log.info({ reason: outcome.reason }, "generation skipped");
        return outcome.kind;
      } catch (thrown) {
        const error = toAppError(thrown);
        const willRetry = error.retryable && attempt < (job.opts.attempts ?? 1);
        log.warn(
          { code: error.code, err: error.message, attempt, willRetry },
          "generation attempt failed",
        );
        await recordAttemptFailure(deps.store, generationId, error, willRetry);
        if (!error.retryable) throw new UnrecoverableError(`${error.code}: ${error.message}`);
        throw error;
      }
    },
  };
}
