import { GENERATION_ID, USER_ID } from "@nanobanana/domain";
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

export const generationQueue = defineQueue({
  name: "generation",
  jobs: {
    generate: {
      schema: generateJobSchema,
      options: {
        attempts: 3,
        backoff: { type: "exponential", delay: 2_000 },
        // The Store keeps the record; BullMQ's copy is only needed while the job runs.
        removeOnComplete: { age: 3_600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3_600 },
      },
    },
  },
});

export const QUEUES = [generationQueue] as const;
