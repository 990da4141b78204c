import { DELIVERY_ID, GENERATION_ID, USER_ID } from "@nanobanana/domain";
import { z } from "zod";
import { defineQueue } from "./define.ts";

/**
 * The catalog: every queue, its job names, payload schemas and retry settings. The API's
 * producer and the worker's handler map are both typed from here, so they cannot disagree.
 */

// The payload carries ids only: the Store holds the request, so there is one source of truth.
export const generateJobSchema = z.strictObject({
  generationId: z.string().regex(GENERATION_ID),
  userId: z.string().regex(USER_ID),
});

// The Store keeps every record; BullMQ's copy of a job is only needed while it runs, and a
// failed one for a week of inspection.
const CLEANUP = {
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3_600 },
} as const;

export const generationQueue = defineQueue({
  name: "generation",
  jobs: {
    generate: {
      schema: generateJobSchema,
      options: {
        attempts: 3,
        backoff: { type: "exponential", delay: 2_000 },
        ...CLEANUP,
      },
    },
  },
});

const PROVIDER_JOB_NAME = /^eco_[0-9a-z]{26}$/;
const ECONOMY_WINDOW = /^[a-z0-9][a-z0-9.-]{0,63}\/(512|1K|2K|4K)$/;

/**
 * The economy tier's housekeeping, each step a job so a crash is finished by a retry:
 * `submit` gathers a window's images into one batch job at the maker; `check` asks how it is
 * (again later, backing off, until it ended) and finishes its images; `deadline` re-runs or
 * fails an image its job did not finish in time; `release` cancels a maker's job once none
 * of its images is still waiting for it (after cancels).
 */
export const economyQueue = defineQueue({
  name: "economy",
  jobs: {
    submit: {
      schema: z.strictObject({
        window: z.string().regex(ECONOMY_WINDOW),
        name: z.string().regex(PROVIDER_JOB_NAME),
      }),
      options: { attempts: 8, backoff: { type: "exponential", delay: 5_000 }, ...CLEANUP },
    },
    check: {
      schema: z.strictObject({ name: z.string().regex(PROVIDER_JOB_NAME) }),
      options: { attempts: 8, backoff: { type: "exponential", delay: 5_000 }, ...CLEANUP },
    },
    deadline: {
      schema: z.strictObject({ generationId: z.string().regex(GENERATION_ID) }),
      options: { attempts: 5, backoff: { type: "exponential", delay: 5_000 }, ...CLEANUP },
    },
    release: {
      schema: z.strictObject({ name: z.string().regex(PROVIDER_JOB_NAME) }),
      options: { attempts: 5, backoff: { type: "exponential", delay: 5_000 }, ...CLEANUP },
    },
  },
});

export const deliverJobSchema = z.strictObject({
  deliveryId: z.string().regex(DELIVERY_ID),
});

/**
 * Webhook delivery has its own queue so a slow or dead receiver never holds up generation.
 * The retry schedule (hours apart) is the handler's: it enqueues the next attempt with a
 * delay. These job retries only cover the worker's own failures (Redis blips, crashes).
 * Jobs are added by the webhook dispatcher (packages/generations), which names them.
 */
export const webhookQueue = defineQueue({
  name: "webhooks",
  jobs: {
    deliver: {
      schema: deliverJobSchema,
      options: {
        attempts: 5,
        backoff: { type: "exponential", delay: 1_000 },
        ...CLEANUP,
      },
    },
  },
});

/**
 * Housekeeping, one job at a time across all workers: the sweep (packages/generations)
 * repairs what a crash between two steps left and deletes expired cache images. A job
 * scheduler adds one every SWEEP_INTERVAL_MS; a sweep that fails is simply run by the next.
 */
export const maintenanceQueue = defineQueue({
  name: "maintenance",
  jobs: {
    sweep: {
      schema: z.strictObject({}),
      options: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    },
  },
});

export const QUEUES = [generationQueue, economyQueue, webhookQueue, maintenanceQueue] as const;
