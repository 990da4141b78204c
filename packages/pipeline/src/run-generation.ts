import type { BlobStore } from "@nanobanana/blob-store";
import { classifyPrompt } from "@nanobanana/classifier";
import {
  type Domain as ClassificationDomain,
  type Subcategory as ClassificationSubcategory,
  costWindows,
  type GenerationRecord,
  type ImageInfo,
  roundUsd,
  type Stage,
  TERMINAL_STATUSES,
  type TemplateUse,
} from "@nanobanana/domain";
import { AppError, toAppError } from "@nanobanana/errors";
import type { ImageProvider } from "@nanobanana/providers";
import type { Store } from "@nanobanana/store";
import { enhancePrompt, subjectOf, variantSeedFor } from "@nanobanana/templates";
import type { Logger } from "pino";
import { cacheKeyFor, claimOrWait } from "./cache.ts";
import { postProcessImage } from "./post-process.ts";

export interface PipelineDeps {
  store: Store;
  blobs: BlobStore;
  provider: ImageProvider;
  logger: Logger;
  /** How long a drawn image serves identical requests (CACHE_TTL_DAYS). */
  cacheTtlSeconds: number;
  /** Every user's monthly cap (MONTHLY_BUDGET_USD); a user's preferences may set a lower one. */
  monthlyBudgetUsd?: number | undefined;
  /** USD per image of a model, from the pricing table. */
  priceOf?: (model: string) => number;
  /** user: each user's cache is their own (the default); global: everyone shares one. */
  cacheScope?: "user" | "global";
  /** Provider calls one generation may make in all, across every layer of retries. */
  maxProviderCalls?: number;
}

export interface AttemptContext {
  /** 1-based attempt number (BullMQ attemptsMade + 1). */
  attempt: number;
  signal?: AbortSignal;
}

export type GenerationOutcome =
  | { kind: "completed"; record: GenerationRecord }
  | { kind: "skipped"; reason: string };

const extensionOf = (format: GenerationRecord["format"]) => (format === "jpeg" ? "jpg" : format);

/** Where a generation's image lives: under cache/ (shared, 7-day lifecycle) or its own key. */
export const imageKeyFor = (
  record: Pick<GenerationRecord, "id" | "format">,
  cacheKey?: string | null,
) =>
  cacheKey
    ? `cache/${cacheKey}.${extensionOf(record.format)}`
    : `images/${record.id}.${extensionOf(record.format)}`;

export const imagePathFor = (id: string) => `/generation/${id}/image`;

/**
 * classify → enhance → generate → post-process → upload → record. Every stage writes the
 * record first, so a poller always sees where the work is. Safe to run again for the same
 * id (BullMQ is at-least-once): a finished record is left alone, and the upload key is
 * fixed per generation, so a re-run overwrites rather than duplicates.
 */
export async function runGeneration(
  deps: PipelineDeps,
  generationId: string,
  context: AttemptContext,
): Promise<GenerationOutcome> {
  const { store, blobs, provider } = deps;
  const record = await store.getGeneration(generationId);
  if (!record) throw new AppError("NOT_FOUND", `generation ${generationId} does not exist`);
  if (TERMINAL_STATUSES.includes(record.status)) {
    return { kind: "skipped", reason: `already ${record.status}` };
  }

  const started = Date.now();
  const timings: Record<string, number> = { ...record.timings };
  if (timings.queuedMs === undefined) timings.queuedMs = started - Date.parse(record.createdAt);

  let stageStarted = started;
  const advance = async (finished: Stage, next: Stage, patch: Partial<GenerationRecord>) => {
    const now = Date.now();
    timings[timingKey(finished)] = now - stageStarted;
    stageStarted = now;
    const applied = await store.updateGeneration(
      generationId,
      { ...patch, stage: next, timings: { ...timings } },
      { onlyIfStatusIn: ["processing"] },
    );
    // Someone else (a cancel) moved the record on: stop spending work on it.
    if (!applied) throw new StageAbandoned(generationId);
  };

  const claimed = await store.updateGeneration(
    generationId,
    { status: "processing", stage: "classify", attempts: context.attempt, error: null, timings },
    { onlyIfStatusIn: ["queued", "processing"] },
  );
  if (!claimed) return { kind: "skipped", reason: "no longer queued" };

  try {
    const classification = classifyPrompt(record.prompt);
    const label = { domain: classification.domain, subcategory: classification.subcategory };
    await advance("classify", "enhance", {
      classification: {
        ...label,
        confidence: classification.confidence,
        certainty: classification.certainty,
      },
    });

    const custom = await store.getTemplate(record.userId, `${label.subcategory}.${record.quality}`);
    const enhancement = enhancePrompt(record.prompt, {
      label,
      quality: record.quality,
      aspectRatio: record.aspectRatio,
      certainty: classification.certainty,
      // Identical requests get the same A/B arm, and so the same cache entry and image.
      variantSeed: variantSeedFor(record),
      ...(custom ? { custom } : {}),
    });
    const template: TemplateUse = {
      id: enhancement.template.id,
      version: enhancement.template.version,
      variant: enhancement.template.variant,
    };
    const cacheKey = record.useCache
      ? cacheKeyFor({
          enhancedPrompt: enhancement.enhancedPrompt,
          quality: record.quality,
          model: record.requestedModel ?? provider.defaultModel,
          aspectRatio: record.aspectRatio,
          format: record.format,
          provider: provider.name,
          template: `${template.id}@${template.version}/${template.variant}`,
          // Per user unless the deployment shares one cache: a hit must not tell a user
          // what someone else drew.
          ...(deps.cacheScope === "global" ? {} : { scope: `user:${record.userId}` }),
        })
      : null;
    await advance("enhance", "cache", {
      enhancedPrompt: enhancement.enhancedPrompt,
      template,
      cacheKey,
    });

    // Each completed image counts once for its template's A/B stats (feedback rate = rated ÷ this).
    const counted = async (outcome: GenerationOutcome) => {
      if (outcome.kind === "completed") await store.recordTemplateUse(template);
      return outcome;
    };

    let lockHeld = false;
    if (cacheKey) {
      const claim = await claimOrWait(
        store,
        cacheKey,
        generationId,
        context.signal ? { signal: context.signal } : {},
      );
      if (claim.kind === "hit" && (await blobs.exists(claim.entry.image.key))) {
        timings.cacheMs = Date.now() - stageStarted;
        timings.totalMs = Date.now() - started;
        const completedAt = new Date().toISOString();
        const hit = {
          status: "completed" as const,
          stage: "done" as const,
          cached: true,
          provider: claim.entry.provider,
          model: claim.entry.model,
          cost: { usd: 0, savedUsd: claim.entry.costUsd },
          image: { ...claim.entry.image, url: imagePathFor(generationId) },
          timings: { ...timings },
          completedAt,
          error: null,
        };
        const [finished] = await store.finishGenerations([{ id: generationId, patch: hit }], {
          onlyIfStatusIn: ["processing"],
        });
        if (!finished) return { kind: "skipped", reason: "record moved on" };
        deps.logger.info(
          { generationId, cacheKey, savedUsd: claim.entry.costUsd },
          "served from cache",
        );
        return await counted({ kind: "completed", record: finished });
      }
      lockHeld = claim.kind === "owner";
    }
    try {
      await checkBudget(deps, record);
      await advance("cache", "generate", {});
      return await counted(
        await drawAndStore(deps, record, {
          label,
          enhancement,
          cacheKey,
          timings,
          started,
          context,
          advance,
          stageStartedAt: () => stageStarted,
        }),
      );
    } finally {
      if (lockHeld && cacheKey) await store.releaseCacheLock(cacheKey, generationId);
    }
  } catch (error) {
    if (error instanceof StageAbandoned) return { kind: "skipped", reason: "record moved on" };
    throw toAppError(error);
  }
}

/**
 * Fails fast, before any provider call, when this image would take the user past their
 * monthly budget. Concurrent generations may each pass the check, so a budget can be
 * overshot by at most the images in flight at once.
 */
async function checkBudget(deps: PipelineDeps, record: GenerationRecord): Promise<void> {
  const own = (await deps.store.getPreferences(record.userId)).monthlyBudgetUsd;
  const caps = [deps.monthlyBudgetUsd, own].filter((c): c is number => c !== undefined);
  if (caps.length === 0) return;
  const budget = Math.min(...caps);
  const price = deps.priceOf?.(record.requestedModel ?? deps.provider.defaultModel) ?? 0;
  if (price === 0) return;
  // Running totals: one read, however many images the month holds.
  const month = costWindows(new Date()).month;
  const spent =
    (await deps.store.costTotals(record.userId, [month.period]))[month.period]?.usd ?? 0;
  if (spent + price > budget) {
    throw new AppError(
      "BUDGET_EXCEEDED",
      `this image ($${price}) would take ${month.period}'s spend ($${roundUsd(spent)}) past the monthly budget of $${budget}; raise monthlyBudgetUsd in your preferences or wait for next month`,
    );
  }
}

interface DrawContext {
  label: { domain: ClassificationDomain; subcategory: ClassificationSubcategory };
  enhancement: ReturnType<typeof enhancePrompt>;
  cacheKey: string | null;
  timings: Record<string, number>;
  started: number;
  context: AttemptContext;
  advance: (finished: Stage, next: Stage, patch: Partial<GenerationRecord>) => Promise<void>;
  stageStartedAt: () => number;
}

/** generate → post-process → upload → record (and fill the cache). */
async function drawAndStore(
  deps: PipelineDeps,
  record: GenerationRecord,
  draw: DrawContext,
): Promise<GenerationOutcome> {
  const { store, blobs, provider } = deps;
  const { label, enhancement, cacheKey, timings, started, context, advance } = draw;
  const generationId = record.id;
  const maxCalls = callsLeft(deps, record);
  if (maxCalls === 0) {
    throw new AppError(
      "PROVIDER_ERROR",
      `no provider calls left: this generation used its budget of ${deps.maxProviderCalls ?? DEFAULT_MAX_PROVIDER_CALLS}`,
    );
  }
  const result = await provider.generate(
    {
      prompt: enhancement.enhancedPrompt,
      subject: subjectOf(record.prompt),
      label,
      quality: record.quality,
      aspectRatio: record.aspectRatio,
      ...(record.requestedModel ? { model: record.requestedModel } : {}),
    },
    {
      ...(context.signal ? { signal: context.signal } : {}),
      maxCalls,
    },
  );
  // The calls are recorded as soon as they are made: if a later stage fails, the retry still
  // knows they were spent (and paid for), and the generation's budget counts them.
  await advance("generate", "post_process", {
    provider: result.provider,
    model: result.model,
    providerCalls: record.providerCalls + result.calls,
  });

  const image = await postProcessImage(result.bytes, record.format);
  await advance("post_process", "upload", {});

  const key = imageKeyFor(record, cacheKey);
  await blobs.put(key, image.bytes, {
    contentType: image.mimeType,
    metadata: {
      generationId,
      userId: record.userId,
      model: result.model,
      sha256: image.sha256,
      ...(cacheKey ? { promptHash: cacheKey } : {}),
    },
    // Cache objects are create-only: a retried or concurrent upload of the same key is a no-op.
    ...(cacheKey ? { createOnly: true } : {}),
  });
  timings.uploadMs = Date.now() - draw.stageStartedAt();
  timings.totalMs = Date.now() - started;

  const completedAt = new Date().toISOString();
  const stored: ImageInfo = {
    url: imagePathFor(generationId),
    mimeType: image.mimeType,
    width: image.width,
    height: image.height,
    bytes: image.bytes.length,
    sha256: image.sha256,
    key,
  };
  const completed = {
    status: "completed" as const,
    stage: "done" as const,
    provider: result.provider,
    model: result.model,
    cost: { usd: result.costUsd, savedUsd: 0 },
    usage: result.usage ?? null,
    providerCalls: record.providerCalls + result.calls,
    note: result.note ?? null,
    cached: false,
    image: stored,
    timings: { ...timings },
    completedAt,
    error: null,
  };
  const [finished] = await store.finishGenerations([{ id: generationId, patch: completed }], {
    onlyIfStatusIn: ["processing"],
  });
  if (cacheKey) {
    // A failed generation never reaches this line, so it is never cached.
    await store.putCacheEntry(
      {
        key: cacheKey,
        image: stored,
        provider: result.provider,
        model: result.model,
        costUsd: result.costUsd,
        createdAt: completedAt,
      },
      deps.cacheTtlSeconds,
    );
  }
  if (!finished) return { kind: "skipped", reason: "record moved on during upload" };
  deps.logger.info(
    {
      generationId,
      model: result.model,
      calls: result.calls,
      costUsd: result.costUsd,
      totalMs: timings.totalMs,
    },
    "generation completed",
  );
  return { kind: "completed", record: finished };
}

// "post_process" → "postProcessMs": stage names are data, timing keys are JSON fields.
const timingKey = (stage: Stage) =>
  `${stage.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}Ms`;

class StageAbandoned extends Error {
  constructor(id: string) {
    super(`generation ${id} left processing`);
  }
}

const DEFAULT_MAX_PROVIDER_CALLS = 6;

/** What is left of the generation's budget of provider calls (GENERATION_MAX_PROVIDER_CALLS). */
export const callsLeft = (
  deps: Pick<PipelineDeps, "maxProviderCalls">,
  record: Pick<GenerationRecord, "providerCalls">,
) => Math.max(0, (deps.maxProviderCalls ?? DEFAULT_MAX_PROVIDER_CALLS) - record.providerCalls);

/**
 * Writes a failed attempt to the record and says whether the job should run again: only a
 * retryable error, with job attempts left and provider calls left in the generation's
 * budget. Otherwise the record ends "failed" with `retryable: false`, saying it is final;
 * while retries remain it goes back to "queued" with the error shown as retryable.
 */
export async function recordAttemptFailure(
  deps: Pick<PipelineDeps, "store" | "maxProviderCalls">,
  generationId: string,
  error: AppError,
  attempts: { attempt: number; maxAttempts: number },
): Promise<{ willRetry: boolean; record: GenerationRecord | null }> {
  const { store } = deps;
  // Calls the provider made before failing still count (they show what was tried).
  const calls = (error.details as { calls?: number } | undefined)?.calls ?? 0;
  const providerCalls = ((await store.getGeneration(generationId))?.providerCalls ?? 0) + calls;
  const budgetLeft = callsLeft(deps, { providerCalls }) > 0;
  const willRetry = error.retryable && attempts.attempt < attempts.maxAttempts && budgetLeft;
  if (willRetry) {
    await store.updateGeneration(
      generationId,
      {
        status: "queued",
        stage: "queued",
        providerCalls,
        error: { ...error.toJSON(), retryable: true },
      },
      { onlyIfStatusIn: ["queued", "processing"] },
    );
    return { willRetry, record: null };
  }
  const why = !error.retryable
    ? ""
    : !budgetLeft
      ? ` (final: the generation's ${providerCalls} provider calls used its whole budget)`
      : ` (final: all ${attempts.maxAttempts} attempts used)`;
  const [record] = await store.finishGenerations(
    [
      {
        id: generationId,
        patch: {
          status: "failed",
          providerCalls,
          error: { ...error.toJSON(), message: `${error.message}${why}`, retryable: false },
          completedAt: new Date().toISOString(),
        },
      },
    ],
    { onlyIfStatusIn: ["queued", "processing"] },
  );
  return { willRetry, record: record ?? null };
}
