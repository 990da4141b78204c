import type { GenerationRecord, Stage } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type { EconomyDrawer, EconomyItemResult } from "@nanobanana/generations";
import type { BatchImageRequest, BatchJobRef } from "@nanobanana/providers";
import type { ProviderJobRecord } from "@nanobanana/store";
import { subjectOf } from "@nanobanana/templates";
import { type PipelineDeps, storeImage, timingKey } from "./draw-generation.ts";

const refOf = (job: ProviderJobRecord): BatchJobRef => {
  if (!job.ref) throw new AppError("INTERNAL", `economy job ${job.name} was never submitted`);
  return job.ref;
};

/**
 * The economy tier's side of the pipeline (the lifecycle's EconomyDrawer): the brief each
 * record was given when it was put off becomes one request of the maker's batch job, and an
 * image the job drew is stored exactly as one drawn now (storeImage), at the batch price.
 */
export function createEconomyDrawer(deps: PipelineDeps): EconomyDrawer {
  const batch = deps.provider.batch;
  if (!batch) throw new Error(`the ${deps.provider.name} provider has no batch mode`);
  const batchPriceOf = deps.economy?.batchPriceOf;

  /** What the batch job is asked to draw for a record: its brief, as enhanced before. */
  async function requestFor(
    record: GenerationRecord,
    model: string,
    /** check: a reference that cannot be read now must not stop the job's other images. */
    tolerant = false,
  ): Promise<BatchImageRequest> {
    if (!record.enhancedPrompt || !record.classification) {
      throw new AppError("INTERNAL", `generation ${record.id} was put off before it was enhanced`);
    }
    const load = async () =>
      (await deps.loadReferences?.(
        record.userId,
        record.references.map((r) => r.source),
      )) ?? [];
    const references = record.references.length
      ? tolerant
        ? await load().catch(() => [])
        : await load()
      : [];
    return {
      key: record.id,
      prompt: record.enhancedPrompt,
      subject: subjectOf(record.prompt),
      label: {
        domain: record.classification.domain,
        subcategory: record.classification.subcategory,
      } as BatchImageRequest["label"],
      quality: record.quality,
      aspectRatio: record.aspectRatio,
      imageSize: record.imageSize ?? "1K",
      ...(references.length
        ? { references: references.map((r) => ({ bytes: r.bytes, mimeType: r.mimeType })) }
        : {}),
      model,
      modelChoice: "routed",
    };
  }
  const requestsFor = (
    job: ProviderJobRecord,
    records: readonly GenerationRecord[],
    tolerant = false,
  ) => Promise.all(records.map((r) => requestFor(r, job.model, tolerant)));

  return {
    async submit(job, records) {
      return batch.submit(job.model, await requestsFor(job, records), { name: job.name });
    },
    async find(job) {
      return batch.find(job.name, job.model);
    },
    async cancel(job) {
      if (job.ref) await batch.cancel(job.ref);
    },
    async check(job, records) {
      const status = await batch.check(refOf(job), await requestsFor(job, records, true));
      const asked = new Set(records.map((r) => r.id));
      const results = status.results?.map((answer): EconomyItemResult => {
        if (!answer.ok || !asked.has(answer.key)) {
          return {
            id: answer.key,
            ok: false,
            error: new AppError(
              (answer.ok ? "PROVIDER_ERROR" : answer.code) as never,
              answer.ok ? "an answer for an image this job does not hold" : answer.message,
              { retryable: answer.ok ? false : answer.retryable },
            ),
          };
        }
        return {
          id: answer.key,
          ok: true,
          // Stored for the record the lifecycle names: the one asked for, or its identical twin.
          async store(record, attempt) {
            // An economy image's total is from its request to its end, the batch job's time
            // (submitted → answered) shown apart.
            const started = Date.parse(record.createdAt);
            const timings: Record<string, number> = { ...record.timings };
            const submittedAt = Date.parse(record.providerJob?.submittedAt ?? "");
            if (Number.isFinite(submittedAt)) timings.batchMs = Date.now() - submittedAt;
            let stageStarted = Date.now();
            const size = record.imageSize ?? "1K";
            const standard =
              deps.priceOf?.(answer.image.model, {
                imageSize: size,
                quality: record.quality,
                aspectRatio: record.aspectRatio,
              }) ?? 0;
            const paid = batchPriceOf?.(answer.image.model, size) ?? answer.image.costUsd;
            return storeImage(deps, record, {
              result: { ...answer.image, costUsd: paid },
              brief: {
                enhancedPrompt: record.enhancedPrompt ?? "",
                template: {
                  id: record.template?.id ?? "general",
                  version: record.template?.version ?? 1,
                  variant: record.template?.variant ?? "a",
                } as never,
              },
              providerAttempts: [],
              cacheKey: record.cacheKey,
              timings,
              started,
              async advance(finished: Stage, next: Stage, patch: Partial<GenerationRecord>) {
                const now = Date.now();
                timings[timingKey(finished)] = now - stageStarted;
                stageStarted = now;
                await attempt.progress(next, { ...patch, timings: { ...timings } });
              },
              stageStartedAt: () => stageStarted,
              chosen: { model: job.model, reason: "the economy tier's batch job" },
              economySavedUsd: Math.max(0, Math.round((standard - paid) * 1e6) / 1e6),
            });
          },
        };
      });
      return {
        state: status.state,
        ...(status.message ? { message: status.message } : {}),
        ...(results ? { results } : {}),
      };
    },
  };
}
