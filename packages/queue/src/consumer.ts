import { type Job, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { JobName, PayloadOf, QueueDefinition } from "./define.ts";

export type Handlers<Q extends QueueDefinition> = {
  [N in JobName<Q>]: (payload: PayloadOf<Q, N>, job: Job) => Promise<unknown>;
};

export interface ConsumerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  /** Passed through to BullMQ (lockDuration, stalledInterval…). */
  worker?: Partial<WorkerOptions>;
}

/**
 * A BullMQ worker whose handler map must cover every job in the catalog (a missing one is a
 * compile error). A payload that does not parse can never succeed, so it fails at once.
 */
export function createConsumer<Q extends QueueDefinition>(
  definition: Q,
  handlers: Handlers<Q>,
  options: ConsumerOptions,
): Worker {
  return new Worker(
    definition.name,
    async (job) => {
      const name = job.name as JobName<Q>;
      const spec = definition.jobs[name];
      const handler = handlers[name];
      if (!spec || !handler)
        throw new UnrecoverableError(`no handler for ${definition.name}/${job.name}`);
      const parsed = spec.schema.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(
          `bad ${definition.name}/${job.name} payload: ${parsed.error.message}`,
        );
      }
      return handler(parsed.data as PayloadOf<Q, typeof name>, job);
    },
    {
      // After a connection error BullMQ waits 15 s before it tries again (to fetch work, or to
      // save a finished job), so a worker caught by a Redis restart sat idle that long after
      // Redis was back; a second is enough. (BullMQ's types call the option internal; the
      // Redis-restart fault test, apps/worker/src/faults.e2e.test.ts, shows it still works.)
      runRetryDelay: 1_000,
      ...options.worker,
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
    },
  );
}
