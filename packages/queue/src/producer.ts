import { invalidRequest, serviceUnavailable } from "@nanobanana/errors";
import { type Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { JobName, PayloadOf, QueueDefinition } from "./define.ts";

export interface Producer<Q extends QueueDefinition> {
  readonly queue: Queue;
  enqueue<N extends JobName<Q>>(
    name: N,
    payload: PayloadOf<Q, N>,
    options?: { jobId?: string; delayMs?: number },
  ): Promise<Job>;
  enqueueBulk<N extends JobName<Q>>(
    name: N,
    items: Array<{ payload: PayloadOf<Q, N>; jobId?: string }>,
  ): Promise<Job[]>;
  /**
   * Where a waiting job stands: how many jobs will be taken before it, and how long that
   * should take at the rate jobs finished over the last five minutes (null when none did).
   * Null when the job is not waiting (running, delayed for a retry, or gone).
   */
  positionOf(jobId: string): Promise<{ position: number; etaMs: number | null } | null>;
  /** Adds one `name` job every `everyMs` (a BullMQ job scheduler: one, however many call it). */
  schedule<N extends JobName<Q>>(name: N, everyMs: number, payload: PayloadOf<Q, N>): Promise<void>;
  close(): Promise<void>;
}

// BullMQ waits for the connection to be ready before it sends anything, however long
// that takes; a request must not, so an enqueue gets this long before it is a 503.
const ENQUEUE_TIMEOUT_MS = 2_000;

/** Jobs per addBulk in an enqueueBulk (see there). */
const BULK_PIECE = 200;

/**
 * Validates before anything reaches Redis, with the catalog's retry settings. Fails fast
 * with SERVICE_UNAVAILABLE while Redis is unreachable instead of holding the caller.
 */
export function createProducer<Q extends QueueDefinition>(
  definition: Q,
  connection: Redis,
  prefix: string,
  options: { timeoutMs?: number } = {},
): Producer<Q> {
  const queue = new Queue(definition.name, { connection, prefix });
  // An EventEmitter's unheard "error" kills the process; the connection's own listener
  // (connectRedis) already reports these, so here they only need to be heard.
  queue.on("error", () => undefined);
  const timeoutMs = options.timeoutMs ?? ENQUEUE_TIMEOUT_MS;
  const guarded = async <T>(op: () => Promise<T>): Promise<T> => {
    if (["reconnecting", "close", "end"].includes(connection.status)) {
      throw serviceUnavailable(`redis is unreachable (${connection.status})`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        op(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(serviceUnavailable(`redis did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };
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
    async enqueue(name, payload, enqueueOptions = {}) {
      const { data, options: jobOptions } = prepare(name, payload);
      const jobId = enqueueOptions.jobId ? { jobId: enqueueOptions.jobId } : {};
      const delay = enqueueOptions.delayMs ? { delay: enqueueOptions.delayMs } : {};
      return guarded(() => queue.add(name, data, { ...jobOptions, ...jobId, ...delay }));
    },
    async enqueueBulk(name, items) {
      const jobs = items.map((item) => {
        const { data, options: jobOptions } = prepare(name, item.payload);
        return {
          name,
          data,
          opts: { ...jobOptions, ...(item.jobId ? { jobId: item.jobId } : {}) },
        };
      });
      // BullMQ builds a whole addBulk before it sends any of it. In pieces, each is sent as
      // soon as it is built, and Redis adds one while the next is built (a 1000-job batch
      // is accepted sooner). It is no less atomic: an addBulk is a pipeline, not a MULTI.
      return guarded(async () => {
        // One job alone is one script call: an addBulk's pipeline would copy every script
        // BullMQ defines on the connection (some fifty) for it, a tenth of what a request
        // allocates when requests come one at a time.
        const [only] = jobs;
        if (jobs.length === 1 && only) return [await queue.add(only.name, only.data, only.opts)];
        const pieces: Array<Promise<Job[]>> = [];
        for (let i = 0; i < jobs.length; i += BULK_PIECE) {
          pieces.push(queue.addBulk(jobs.slice(i, i + BULK_PIECE)));
        }
        return (await Promise.all(pieces)).flat();
      });
    },
    async positionOf(jobId) {
      return guarded(async () => {
        const client = await queue.client;
        // Jobs join the head of the wait list and workers take them from its tail.
        const [index, length] = await Promise.all([
          client.lpos(queue.keys.wait as string, jobId),
          client.llen(queue.keys.wait as string),
        ]);
        if (index === null) return null;
        const position = length - 1 - index;
        // The workers record finished jobs per minute (BullMQ metrics). Idle minutes say
        // nothing of the pace while there is a queue, so only busy ones are averaged.
        const { data } = await queue.getMetrics("completed", 0, 4);
        const busy = data.filter((n) => n > 0);
        const perMinute = busy.length ? busy.reduce((a, b) => a + b, 0) / busy.length : 0;
        return {
          position,
          etaMs: perMinute > 0 ? Math.round(((position + 1) / perMinute) * 60_000) : null,
        };
      });
    },
    async schedule(name, everyMs, payload) {
      const { data, options: jobOptions } = prepare(name, payload);
      await queue.upsertJobScheduler(name, { every: everyMs }, { name, data, opts: jobOptions });
    },
    close: () => queue.close(),
  };
}
