import { invalidRequest } from "@nanobanana/errors";
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { JobName, PayloadOf, QueueDefinition } from "./define.ts";

export interface Producer<Q extends QueueDefinition> {
  readonly queue: Queue;
  enqueue<N extends JobName<Q>>(
    name: N,
    payload: PayloadOf<Q, N>,
    options?: { jobId?: string },
  ): Promise<Job>;
  enqueueBulk<N extends JobName<Q>>(
    name: N,
    items: Array<{ payload: PayloadOf<Q, N>; jobId?: string }>,
  ): Promise<Job[]>;
  close(): Promise<void>;
}

/** Validates before anything reaches Redis, with the catalog's retry settings. */
export function createProducer<Q extends QueueDefinition>(
  definition: Q,
  connection: Redis,
  prefix: string,
): Producer<Q> {
  const queue = new Queue(definition.name, { connection, prefix });
  const prepare = (name: JobName<Q>, payload: unknown) => {
    const job = definition.jobs[name];
    if (!job) throw new Error(`queue ${definition.name} has no job named ${name}`);
    const parsed = job.schema.safeParse(payload);
    if (!parsed.success)
      throw invalidRequest(`bad ${definition.name}/${name} payload: ${parsed.error.message}`);
    return { data: parsed.data, options: job.options };
  };
  return {
    queue,
    async enqueue(name, payload, options = {}) {
      const { data, options: jobOptions } = prepare(name, payload);
      return queue.add(name, data, {
        ...jobOptions,
        ...(options.jobId ? { jobId: options.jobId } : {}),
      });
    },
    async enqueueBulk(name, items) {
      return queue.addBulk(
        items.map((item) => {
          const { data, options: jobOptions } = prepare(name, item.payload);
          return {
            name,
            data,
            opts: { ...jobOptions, ...(item.jobId ? { jobId: item.jobId } : {}) },
          };
        }),
      );
    },
    close: () => queue.close(),
  };
}
