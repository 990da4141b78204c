import type { BlobStore } from "@nanobanana/blob-store";
import { classifyPrompt } from "@nanobanana/classifier";
import {
  type Certainty,
  type Domain as ClassificationDomain,
  type Subcategory as ClassificationSubcategory,
  type ClassificationSummary,
  callsLeft,
  costWindows,
  type GenerationRecord,
  type ImageInfo,
  type ImageSize,
  isLabel,
  type ProviderAttempt,
  roundUsd,
  type Stage,
  type TemplateUse,
} from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import type {
  CompletedPatch,
  DrawAttempt,
  DrawGeneration,
  Drawing,
  EconomyDeferral,
} from "@nanobanana/generations";
import type { ImageProvider, ImageRequest, ImageResult, PricedImage } from "@nanobanana/providers";
import {
  type LocalLabel,
  localVerdict,
  type SecondOpinion,
  type Verdict,
} from "@nanobanana/second-opinion";
import type {
  CacheStore,
  GenerationStore,
  PreferenceStore,
  TemplateStore,
} from "@nanobanana/store";
import { enhancePrompt, subjectOf, variantSeedFor } from "@nanobanana/templates";
import { cacheKeyFor, claimOrWait } from "./cache.ts";
import { chooseModel, type ModelChoice, type ModelRouting } from "./choose-model.ts";
import { postProcessImage } from "./post-process.ts";

/** What drawing reads and writes: templates, preferences, cost totals and the cache. */
export type PipelineStore = CacheStore &
  PreferenceStore &
  Pick<TemplateStore, "getTemplate"> &
  Pick<GenerationStore, "costTotals">;

export interface PipelineDeps {
  store: PipelineStore;
  blobs: BlobStore;
  provider: ImageProvider;
  /** How long a drawn image serves identical requests (CACHE_TTL_DAYS). */
  cacheTtlSeconds: number;
  /** Every user's monthly cap (MONTHLY_BUDGET_USD); a user's preferences may set a lower one. */
  monthlyBudgetUsd?: number | undefined;
  /** USD per image of a model as asked for (size; quality and orientation for some makers). */
  priceOf?: (model: string, image: PricedImage) => number;
  /** Which model draws what; without it, the provider's default draws everything. */
  routing?: ModelRouting;
  /** Loads a request's reference images (uploads and URLs), in order. */
  loadReferences?: (userId: string, sources: readonly string[]) => Promise<LoadedReference[]>;
  /** user: each user's cache is their own (the default); global: everyone shares one. */
  cacheScope?: "user" | "global";
  /** Provider calls one generation may make in all, across every layer of retries. */
  maxProviderCalls: number;
  /**
   * The economy tier, where the provider has a batch mode: economy records are put off to a
   * batch job (at this price) instead of drawn now.
   */
  economy?: { batchPriceOf: (model: string, imageSize: ImageSize) => number };
  /**
   * The classifier's second opinion (CLASSIFIER_SECOND_OPINION): asked when the local label is
   * unsure. Without it the local classifier decides alone.
   */
  secondOpinion?: Pick<SecondOpinion, "decide">;
}

/** A reference image as loaded for drawing. */
export interface LoadedReference {
  source: string;
  bytes: Buffer;
  mimeType: string;
  sha256: string;
}

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
 * classify → enhance → cache → generate → post-process → upload, for a record the lifecycle
 * (`@nanobanana/generations`) has claimed. It reports each stage through `attempt.progress`
 * and returns what the record becomes; it never writes a status. Safe to run again for the
 * same id: the upload key is fixed per generation, so a re-run overwrites, not duplicates.
 */
export async function drawGeneration(
  deps: PipelineDeps,
  record: GenerationRecord,
  attempt: DrawAttempt,
): Promise<Drawing | EconomyDeferral> {
  const { store, blobs, provider } = deps;
  const generationId = record.id;
  const started = Date.now();
  const timings: Record<string, number> = { ...record.timings };
  let stageStarted = started;
  const advance = async (finished: Stage, next: Stage, patch: Partial<GenerationRecord>) => {
    const now = Date.now();
    timings[timingKey(finished)] = now - stageStarted;
    stageStarted = now;
    await attempt.progress(next, { ...patch, timings: { ...timings } });
  };

  const { label, certainty, classification } = await decideLabel(deps, record, attempt);
  // From here on the record is what the store holds: its classification, and what that cost.
  const classified: GenerationRecord = { ...record, classification };
  await advance("classify", "enhance", { classification });

  const references = record.references.length
    ? ((await deps.loadReferences?.(
        record.userId,
        record.references.map((r) => r.source),
      )) ?? [])
    : [];
  // Two independent reads, one round trip's wait.
  const [preferences, custom] = await Promise.all([
    store.getPreferences(record.userId),
    store.getTemplate(record.userId, `${label.subcategory}.${record.quality}`),
  ]);
  const chosen: ModelChoice = deps.routing
    ? chooseModel(deps.routing, {
        label,
        quality: record.quality,
        imageSize: record.imageSize ?? "1K",
        aspectRatio: record.aspectRatio,
        references: references.length,
        requestedModel: record.requestedModel,
        preferredModel: preferences.model,
      })
    : {
        model: record.requestedModel ?? provider.defaultModel,
        choice: record.requestedModel ? "requested" : "routed",
        reason: record.requestedModel ? "named by the request" : "the provider's only model",
      };
  const enhanceWith = (certainty: Certainty) =>
    enhancePrompt(record.prompt, {
      label,
      quality: record.quality,
      aspectRatio: record.aspectRatio,
      certainty,
      // Identical requests get the same A/B arm, and so the same cache entry and image.
      variantSeed: variantSeedFor(record),
      ...(references.length ? { references: references.length } : {}),
      ...(custom ? { custom } : {}),
    });
  const enhancement = enhanceWith(certainty);
  const template = templateUseOf(enhancement);
  const cacheKey = record.useCache
    ? cacheKeyFor({
        enhancedPrompt: enhancement.enhancedPrompt,
        quality: record.quality,
        model: chosen.model,
        aspectRatio: record.aspectRatio,
        imageSize: record.imageSize ?? "1K",
        // The same words with other reference images are another picture.
        references: references.map((r) => r.sha256).join(","),
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
    modelReason: `${chosen.model}: ${chosen.reason}`,
    references: references.map((r) => ({
      source: r.source,
      sha256: r.sha256,
      mimeType: r.mimeType,
    })),
  });

  let lockHeld = false;
  if (cacheKey) {
    const claim = await claimOrWait(
      store,
      cacheKey,
      generationId,
      attempt.signal ? { signal: attempt.signal } : {},
    );
    if (claim.kind === "hit" && (await blobs.exists(claim.entry.image.key))) {
      timings.cacheMs = Date.now() - stageStarted;
      timings.totalMs = Date.now() - started;
      // What the hit saved is what this request would have paid: an economy one, the batch price.
      const wouldPay =
        record.tier === "economy" && deps.economy && provider.batch
          ? deps.economy.batchPriceOf(claim.entry.model, record.imageSize ?? "1K")
          : claim.entry.costUsd;
      const hit: CompletedPatch = {
        status: "completed",
        stage: "done",
        cached: true,
        provider: claim.entry.provider,
        model: claim.entry.model,
        // The image was free; a second opinion asked for this request was not.
        cost: { usd: secondOpinionCostOf(classified), savedUsd: wouldPay },
        image: { ...claim.entry.image, url: imagePathFor(generationId) },
        timings: { ...timings },
        completedAt: new Date().toISOString(),
        error: null,
      };
      return {
        patch: hit,
        template,
        summary: { cached: true, cacheKey, savedUsd: wouldPay },
      };
    }
    lockHeld = claim.kind === "owner";
  }
  try {
    if (record.tier === "economy" && deps.economy && provider.batch) {
      // Not drawn now: it waits for the maker's batch job, paid at the batch price.
      const batchPrice = deps.economy.batchPriceOf(chosen.model, record.imageSize ?? "1K");
      await checkBudget(deps, record, chosen.model, preferences.monthlyBudgetUsd, batchPrice);
      return { kind: "economy", window: `${chosen.model}/${record.imageSize ?? "1K"}` };
    }
    await checkBudget(deps, record, chosen.model, preferences.monthlyBudgetUsd);
    await advance("cache", "generate", {});
    const drawn = await drawAndStore(deps, classified, {
      label,
      chosen,
      references,
      plainBrief: () => enhanceWith("none"),
      enhancement,
      cacheKey,
      timings,
      started,
      attempt,
      advance,
      stageStartedAt: () => stageStarted,
    });
    return drawn;
  } finally {
    if (lockHeld && cacheKey) await store.releaseCacheLock(cacheKey, generationId);
  }
}
const templateUseOf = (
  enhancement: Pick<ReturnType<typeof enhancePrompt>, "template">,
): TemplateUse => ({
  id: enhancement.template.id,
  version: enhancement.template.version,
  variant: enhancement.template.variant,
});

/** The label a generation is drawn by, how sure it is, and what its record keeps of it. */
interface Decided {
  label: { domain: ClassificationDomain; subcategory: ClassificationSubcategory };
  certainty: Certainty;
  classification: ClassificationSummary;
}

/**
 * The label to draw by, and who decided it: the local classifier, or the second opinion when
 * one is configured and the local label is unsure. A re-run keeps what an earlier attempt's
 * second opinion decided, and what it cost: asked again, it would come free from the cache and
 * the paid call would drop off the bill.
 */
async function decideLabel(
  deps: PipelineDeps,
  record: GenerationRecord,
  attempt: DrawAttempt,
): Promise<Decided> {
  const earlier = record.classification;
  if (
    earlier?.secondOpinion &&
    isLabel(earlier.domain, earlier.subcategory) &&
    earlier.certainty !== undefined
  ) {
    return {
      label: {
        domain: earlier.domain as ClassificationDomain,
        subcategory: earlier.subcategory as ClassificationSubcategory,
      },
      certainty: earlier.certainty,
      classification: earlier,
    };
  }
  const classification = classifyPrompt(record.prompt);
  const local: LocalLabel = {
    domain: classification.domain,
    subcategory: classification.subcategory,
    confidence: classification.confidence,
    certainty: classification.certainty,
  };
  const verdict: Verdict = deps.secondOpinion
    ? await deps.secondOpinion.decide(record.prompt, local, {
        // Per user unless the deployment shares one cache, as for images.
        scope: deps.cacheScope === "global" ? "global" : `user:${record.userId}`,
        signal: attempt.signal,
      })
    : localVerdict(local);
  return {
    label: { domain: verdict.domain, subcategory: verdict.subcategory },
    certainty: verdict.certainty,
    classification: verdict,
  };
}

/** What the record's second opinion cost (0 without one, or when it came from the cache). */
const secondOpinionCostOf = (record: Pick<GenerationRecord, "classification">) =>
  record.classification?.secondOpinion?.costUsd ?? 0;

/** The pipeline as the lifecycle's `DrawGeneration` port. */
export const createDrawer =
  (deps: PipelineDeps): DrawGeneration =>
  (record, attempt) =>
    drawGeneration(deps, record, attempt);

/**
 * Fails fast, before any provider call, when this image would take the user past their
 * monthly budget. Concurrent generations may each pass the check, so a budget can be
 * overshot by at most the images in flight at once.
 */
async function checkBudget(
  deps: PipelineDeps,
  record: GenerationRecord,
  model: string,
  /** The user's own cap, from the preferences already read for routing. */
  own: number | undefined,
  /** The image's price when not the model's standard one (economy: its batch price). */
  priceOverride?: number,
): Promise<void> {
  const caps = [deps.monthlyBudgetUsd, own].filter((c): c is number => c !== undefined);
  if (caps.length === 0) return;
  const budget = Math.min(...caps);
  const price = priceOverride ?? deps.priceOf?.(model, pricedImageOf(record)) ?? 0;
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
  chosen: ModelChoice;
  references: readonly LoadedReference[];
  /** The general template's brief: what a refused drawing is tried once more with. */
  plainBrief: () => ReturnType<typeof enhancePrompt>;
  enhancement: ReturnType<typeof enhancePrompt>;
  cacheKey: string | null;
  timings: Record<string, number>;
  started: number;
  attempt: DrawAttempt;
  advance: (finished: Stage, next: Stage, patch: Partial<GenerationRecord>) => Promise<void>;
  stageStartedAt: () => number;
}

/** generate → post-process → upload (and fill the cache). */
async function drawAndStore(
  deps: PipelineDeps,
  record: GenerationRecord,
  draw: DrawContext,
): Promise<Drawing> {
  const { provider } = deps;
  const { label, enhancement, cacheKey, timings, started, attempt, advance } = draw;
  const maxCalls = callsLeft(deps.maxProviderCalls, record);
  if (maxCalls === 0) {
    throw new AppError(
      "PROVIDER_ERROR",
      `no provider calls left: this generation used its budget of ${deps.maxProviderCalls}`,
    );
  }
  const request = (prompt: string): ImageRequest => ({
    prompt,
    subject: subjectOf(record.prompt),
    label,
    quality: record.quality,
    aspectRatio: record.aspectRatio,
    imageSize: record.imageSize ?? "1K",
    ...(draw.references.length
      ? { references: draw.references.map((r) => ({ bytes: r.bytes, mimeType: r.mimeType })) }
      : {}),
    model: draw.chosen.model,
    modelChoice: draw.chosen.choice,
  });
  const options = (calls: number) => ({
    ...(attempt.signal ? { signal: attempt.signal } : {}),
    maxCalls: calls,
  });
  let result: ImageResult;
  let brief = enhancement;
  const providerAttempts: ProviderAttempt[] = [];
  try {
    result = await provider.generate(request(enhancement.enhancedPrompt), options(maxCalls));
  } catch (error) {
    // The prompt passed but the picture drawn from it was refused (or only text came back):
    // once more with the plain general brief, whose wording asks for nothing but the subject.
    const details = (error instanceof AppError ? error.details : undefined) as
      | { refusedImage?: boolean; calls?: number; model?: string }
      | undefined;
    const spent = details?.calls ?? 0;
    const plain = draw.plainBrief();
    // Nothing plainer to try when the brief already was the general one.
    if (
      !details?.refusedImage ||
      maxCalls - spent < 1 ||
      plain.template.id === enhancement.template.id
    )
      throw error;
    brief = plain;
    providerAttempts.push({
      model: details.model ?? draw.chosen.model,
      template: enhancement.template.id,
      outcome: "refused",
      // Google bills the image it returns; a refusal returns none.
      costUsd: 0,
      message: (error as AppError).message,
    });
    try {
      result = await provider.generate(request(brief.enhancedPrompt), options(maxCalls - spent));
    } catch (second) {
      const failed = second instanceof AppError ? second : null;
      if (!failed) throw second;
      const calls = spent + ((failed.details as { calls?: number } | undefined)?.calls ?? 0);
      throw new AppError(
        failed.code,
        `${failed.message} (after a first refusal: ${(error as AppError).message})`,
        { retryable: failed.retryable, details: { ...(failed.details as object), calls } },
      );
    }
    result = { ...result, calls: result.calls + spent };
    providerAttempts.push({
      model: result.model,
      template: brief.template.id,
      outcome: "drawn",
      costUsd: result.costUsd,
    });
  }
  // The price table (MODEL_PRICES over the catalog) is what an image costs, whoever drew it.
  const priced = deps.priceOf
    ? { ...result, costUsd: deps.priceOf(result.model, pricedImageOf(record)) }
    : result;
  return storeImage(deps, record, {
    result: priced,
    brief,
    providerAttempts,
    cacheKey,
    timings,
    started,
    advance,
    stageStartedAt: draw.stageStartedAt,
    chosen: draw.chosen,
  });
}

/** What an image's price depends on, from its record. */
const pricedImageOf = (record: GenerationRecord): PricedImage => ({
  imageSize: record.imageSize ?? "1K",
  quality: record.quality,
  aspectRatio: record.aspectRatio,
});

/** What storing a drawn image needs to know of how it was drawn. */
export interface DrawnImage {
  result: ImageResult;
  /** The brief it was drawn from (the plain one after a refusal). */
  brief: Pick<ReturnType<typeof enhancePrompt>, "enhancedPrompt" | "template">;
  providerAttempts: ProviderAttempt[];
  cacheKey: string | null;
  timings: Record<string, number>;
  started: number;
  advance: (finished: Stage, next: Stage, patch: Partial<GenerationRecord>) => Promise<void>;
  stageStartedAt: () => number;
  chosen: Pick<ModelChoice, "model" | "reason">;
  /** Economy: what the batch price saved against the standard one. */
  economySavedUsd?: number;
}

/**
 * post-process → upload → cache, once the image is in hand: one path for an image drawn now
 * and one a batch job drew, so both are stored, cached and recorded the same way.
 */
export async function storeImage(
  deps: PipelineDeps,
  record: GenerationRecord,
  drawn: DrawnImage,
): Promise<Drawing> {
  const { store, blobs } = deps;
  const { result, brief, providerAttempts, cacheKey, timings, started, advance } = drawn;
  const generationId = record.id;
  // The calls are recorded as soon as they are made: if a later stage fails, the retry still
  // knows they were spent (and paid for), and the generation's budget counts them.
  await advance("generate", "post_process", {
    provider: result.provider,
    model: result.model,
    providerCalls: record.providerCalls + result.calls,
    // The record says who drew it and why, also when the fallback stepped in.
    ...(result.fallbackReason
      ? {
          modelReason: `${result.model}: drawn by ${result.provider}, as ${drawn.chosen.model} (${drawn.chosen.reason}) could not: ${result.fallbackReason}`,
        }
      : result.model !== drawn.chosen.model
        ? {
            modelReason: `${result.model}: the fallback, after ${drawn.chosen.model} (${drawn.chosen.reason}) kept failing or was gone`,
          }
        : {}),
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
  timings.uploadMs = Date.now() - drawn.stageStartedAt();
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
  const completed: CompletedPatch = {
    status: "completed",
    stage: "done",
    provider: result.provider,
    model: result.model,
    cost: {
      // The image, and the second opinion on its label (also for an economy image, which
      // was classified when it joined its window).
      usd: roundUsd(result.costUsd + secondOpinionCostOf(record)),
      savedUsd: 0,
      ...(drawn.economySavedUsd === undefined ? {} : { economySavedUsd: drawn.economySavedUsd }),
    },
    usage: result.usage ?? null,
    providerCalls: record.providerCalls + result.calls,
    note: result.note ?? null,
    cached: false,
    image: stored,
    timings: { ...timings },
    completedAt,
    error: null,
    ...(providerAttempts.length
      ? {
          providerAttempts,
          enhancedPrompt: brief.enhancedPrompt,
          template: templateUseOf(brief),
        }
      : {}),
  };
  if (cacheKey) {
    // Only a drawn and stored image gets here: a failed generation is never cached.
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
  return {
    patch: completed,
    template: templateUseOf(brief),
    summary: {
      model: result.model,
      calls: result.calls,
      costUsd: result.costUsd,
      ...(record.classification?.secondOpinion
        ? { labelBy: record.classification.source, secondOpinionUsd: secondOpinionCostOf(record) }
        : {}),
      totalMs: timings.totalMs,
    },
  };
}

// "post_process" → "postProcessMs": stage names are data, timing keys are JSON fields.
export const timingKey = (stage: Stage) =>
  `${stage.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}Ms`;
