import type {
  GenerateOptions,
  ImageProvider,
  ImageRequest,
  ImageResult,
} from "../image-provider.ts";

/**
 * At most `slots` drawings in flight through `provider`; the rest wait in arrival order. With
 * WORKER_PREFETCH the worker holds more generation jobs than it has slots, so a job is claimed,
 * classified, enhanced and checked against the cache while the model draws for others, and a
 * slot that frees is taken at once by a job that is ready, instead of waiting for the next job
 * to be fetched and prepared. A cache hit never takes one. Batch jobs (economy) pass through:
 * they are one call for many images, paced by their own queue.
 */
export function withDrawingSlots(provider: ImageProvider, slots: number): ImageProvider {
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError("slots must be 1 or more");
  let free = slots;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const acquire = (signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      if (free > 0) {
        free--;
        resolve();
        return;
      }
      const take = () => {
        signal?.removeEventListener("abort", abandon);
        resolve();
      };
      // A drawing aborted while it waits leaves the line without having held a slot.
      const abandon = () => {
        const at = waiting.indexOf(take);
        if (at >= 0) waiting.splice(at, 1);
        reject(signal?.reason ?? new DOMException("the drawing was aborted", "AbortError"));
      };
      waiting.push(take);
      signal?.addEventListener("abort", abandon, { once: true });
    });
  const limited: ImageProvider = {
    name: provider.name,
    models: provider.models,
    defaultModel: provider.defaultModel,
    async generate(request: ImageRequest, options?: GenerateOptions): Promise<ImageResult> {
      await acquire(options?.signal);
      try {
        return await provider.generate(request, options);
      } finally {
        release();
      }
    },
  };
  if (provider.checkModels) limited.checkModels = provider.checkModels.bind(provider);
  if (provider.batch) limited.batch = provider.batch;
  return limited;
}
