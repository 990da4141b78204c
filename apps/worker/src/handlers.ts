import {
  type AttemptDeps,
  type economyLifecycle,
  type PreparationLine,
  preparationLine,
  runGenerationAttempt,
  type SweepDeps,
  sweep,
  type WebhookDispatcher,
} from "@nanobanana/generations";
import type { Logger } from "@nanobanana/logger";
import { observeSettled } from "@nanobanana/metrics";
import {
  type economyQueue,
  type generationQueue,
  type Handlers,
  type maintenanceQueue,
  UnrecoverableError,
  type webhookQueue,
} from "@nanobanana/queue";
import { attemptDelivery, type DeliveryDeps } from "@nanobanana/webhooks";

/**
 * Thin handlers: the consumer parses the payload, the lifecycle runs the attempt, and the
 * outcome becomes BullMQ's: a retry goes back to its backoff, a final failure ends the job.
 */
export function generationHandlers(
  deps: Omit<AttemptDeps, "notify"> & { notify: Omit<AttemptDeps["notify"], "logger"> },
  logger: Logger,
  line: PreparationLine = preparationLine(),
): Handlers<typeof generationQueue> {
  return {
    async generate({ generationId, userId }, job) {
      const log = logger.child({ queue: job.queueName, jobId: job.id, generationId, userId });
      const outcome = await line.join((ready) =>
        runGenerationAttempt({ ...deps, notify: { ...deps.notify, logger: log } }, generationId, {
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? 1,
          ready,
        }),
      );
      switch (outcome.kind) {
        case "completed":
          observeSettled(outcome.record);
          return outcome.kind;
        case "skipped":
          log.info({ reason: outcome.reason }, "generation skipped");
          return outcome.kind;
        case "deferred":
          return outcome.kind;
        case "retry":
          throw outcome.error;
        case "failed":
          if (outcome.record) observeSettled(outcome.record);
          // Final: no attempts or provider calls left, or an error no retry can mend.
          throw new UnrecoverableError(`${outcome.error.code}: ${outcome.error.message}`);
      }
    },
  };
}

/** The economy tier's steps; each is safe to run again, so a failure is simply retried. */
export function economyHandlers(
  economy: ReturnType<typeof economyLifecycle>,
  logger: Logger,
): Handlers<typeof economyQueue> {
  const run = async (
    step: string,
    job: { id?: string | undefined },
    work: () => Promise<string>,
  ) => {
    const outcome = await work();
    logger.debug({ queue: "economy", jobId: job.id, step, outcome }, "economy step done");
    return outcome;
  };
  return {
    submit: (payload, job) => run("submit", job, () => economy.submit(payload)),
    check: (payload, job) => run("check", job, () => economy.check(payload)),
    deadline: (payload, job) => run("deadline", job, () => economy.deadline(payload)),
    release: (payload, job) => run("release", job, () => economy.release(payload)),
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
