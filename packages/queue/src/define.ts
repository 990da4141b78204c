import type { JobsOptions } from "bullmq";
import type { z } from "zod";

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  schema: S;
  /** Retry policy and clean-up for this job name. */
  options: JobsOptions;
}

export interface QueueDefinition<
  Jobs extends Record<string, JobDefinition> = Record<string, JobDefinition>,
> {
  name: string;
  jobs: Jobs;
}

export type JobName<Q extends QueueDefinition> = keyof Q["jobs"] & string;
export type PayloadOf<Q extends QueueDefinition, N extends JobName<Q>> = z.infer<
  Q["jobs"][N]["schema"]
>;

export function defineQueue<const Jobs extends Record<string, JobDefinition>>(
  definition: QueueDefinition<Jobs>,
): QueueDefinition<Jobs> {
  return definition;
}
