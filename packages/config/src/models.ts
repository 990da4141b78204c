import {
  ASPECT_RATIOS,
  type AspectRatio,
  type Domain,
  type ImageSize,
  MAX_REFERENCE_IMAGES,
  type Orientation,
  orientationOf,
  type Quality,
  STABILITY_ASPECT_RATIOS,
  type Subcategory,
} from "@nanobanana/domain";

/**
 * The image models this service knows: what each draws and what it costs. Model names
 * change every few months, so everything about a model lives in this one table (and the
 * retired list below), never in code paths.
 *
 * Sources, read 2026-11-25:
 * - Names, release and shutdown dates: https://ai.google.dev/gemini-api/docs/deprecations
 *   (gemini-3.1-flash-image and gemini-3-pro-image GA on 2026-05-28; their -preview ids shut
 *   down on 2026-06-25; gemini-2.5-flash-image shut down on 2026-10-02).
 * - Prices: https://ai.google.dev/gemini-api/docs/pricing (paid tier, image output).
 *   3.1 Flash Image: $60 per 1M image tokens → 512 $0.045, 1K $0.067, 2K $0.101, 4K $0.151;
 *   (747, 1120, 1680 and 2520 image tokens: the Vertex AI model card). Batch Mode is 50% of the
 *   standard price, so the batch prices here are exactly half of the standard ones as listed:
 *   $0.0225 / $0.0335 / $0.0505 / $0.0755. 3 Pro Image: 1K and 2K $0.134, 4K $0.24;
 *   batch $0.067 / $0.12. 3.1 Flash-Lite Image: 1K only, $0.034 (batch $0.017), also
 *   listed on https://cloud.google.com/vertex-ai/generative-ai/pricing.
 * - Sizes, aspect ratios and the 14-image reference limit: the models' pages under
 *   https://ai.google.dev/gemini-api/docs/image-generation and Vertex AI's model cards.
 *
 * OpenAI, read 2026-11-26:
 * - Names: the openai SDK 7.57.0 (https://github.com/openai/openai-node, src/resources/images.ts):
 *   gpt-image-1.5, gpt-image-2 (2026-04-21), gpt-image-2.5-flare/-sunburst (2026-09-08) and
 *   gpt-image-2.6-flare/-sunburst (2026-11-04) are served; gpt-image-1 was shut down on
 *   2026-10-23, dall-e-2 and dall-e-3 on 2026-05-12; gpt-image-1-mini is marked deprecated
 *   (https://developers.openai.com/api/docs/models/gpt-image-1-mini). Standard sizes:
 *   1024x1024, 1536x1024, 1024x1536 (custom WxH from gpt-image-2 on, priced by the token).
 * - Prices per image, square / landscape / portrait: gpt-image-2 low $0.006 / $0.005 / $0.005,
 *   medium $0.053 / $0.041 / $0.041, high $0.211 / $0.165 / $0.165 (OpenAI's cost examples in
 *   https://developers.openai.com/api/docs/guides/image-generation, as quoted on
 *   https://yingtu.ai/en/blog/gpt-image-2-cost-per-image; 7024 and 5488 output tokens at $30 per
 *   1M: https://community.openai.com/t/livestream-starting-now-chatgpt-images-2-0/1379464);
 *   gpt-image-1.5 low $0.009 / $0.013, medium $0.034 / $0.05, high $0.133 / $0.2
 *   (https://www.llmreference.com/model/gpt-image-1.5/openai-api,
 *   https://docs.apiyi.com/en/api-capabilities/gpt-image-2/historical-versions).
 * - Not here: the 2.5 and 2.6 models, which OpenAI prices only by the token ($8 image input,
 *   $30 image output per 1M: https://developers.openai.com/api/docs/models/gpt-image-2.6-sunburst)
 *   with no per-image table to be read; add them with MODEL_PRICES and a catalog line when there is.
 * Stability AI, read 2026-11-26: credits per image, 1 credit = $0.01
 * (https://platform.stability.ai/pricing, as listed on
 * https://developer.puter.com/tutorials/stability-ai-api-pricing/ in June 2026): Stable Image
 * Ultra 8, SD 3.5 Large 6.5, SD 3.5 Large Turbo 4, SD 3.5 Medium 3.5, Stable Image Core 3.
 * Ratios 16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, 9:16, 9:21 at about 1 megapixel
 * (https://platform.stability.ai/docs/api-reference).
 * Neither maker has a batch mode in this service: their batchUsd is their usd (nothing saved),
 * and the economy tier, which needs the provider's batch mode, never sends them work.
 * MODEL_PRICES overrides any price without a code change.
 */
export interface ModelSpec {
  provider: "gemini" | "sketch" | "openai" | "stability";
  /** What it is good at, as GET /models tells callers. */
  description: string;
  /**
   * USD per image by output size: standard (interactive) and batch (Gemini Batch Mode). With
   * qualityPrices, the standard quality's dearest orientation: what a size costs at most by default.
   */
  prices: Partial<Record<ImageSize, { usd: number; batchUsd: number }>>;
  /**
   * Where the price also turns on the quality asked for and the orientation drawn (OpenAI's GPT
   * Image models): USD per image by size, quality and orientation.
   */
  qualityPrices?: Partial<Record<ImageSize, Record<Quality, Record<Orientation, number>>>>;
  aspectRatios: readonly AspectRatio[];
  /** Most reference images one request may send it. */
  maxReferenceImages: number;
}

/** What OpenAI's GPT Image models draw at their standard sizes, 1024x1024, 1536x1024 and 1024x1536. */
const OPENAI_ASPECT_RATIOS: readonly AspectRatio[] = ["1:1", "3:2", "2:3"];

/** A maker with no batch mode here: one price for both columns. */
const noBatch = (usd: number) => ({ usd, batchUsd: usd });

/** Square, landscape and portrait prices of one quality. */
const byOrientation = (square: number, oblong: number): Record<Orientation, number> => ({
  square,
  landscape: oblong,
  portrait: oblong,
});

export const MODEL_CATALOG: Readonly<Record<string, ModelSpec>> = {
  "gemini-3.1-flash-image": {
    provider: "gemini",
    description: "Nano Banana 2: fast, every size from 512 px to 4K, references and edits",
    prices: {
      "512": { usd: 0.045, batchUsd: 0.0225 },
      "1K": { usd: 0.067, batchUsd: 0.0335 },
      "2K": { usd: 0.101, batchUsd: 0.0505 },
      "4K": { usd: 0.151, batchUsd: 0.0755 },
    },
    aspectRatios: ASPECT_RATIOS,
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
  "gemini-3-pro-image": {
    provider: "gemini",
    description: "Nano Banana Pro: the most legible text and precise edits; premium and fallback",
    prices: {
      "1K": { usd: 0.134, batchUsd: 0.067 },
      "2K": { usd: 0.134, batchUsd: 0.067 },
      "4K": { usd: 0.24, batchUsd: 0.12 },
    },
    aspectRatios: ASPECT_RATIOS,
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
  "gemini-3.1-flash-lite-image": {
    provider: "gemini",
    description: "Nano Banana 2 Lite: the cheapest and fastest, 1K only; for drafts",
    prices: { "1K": { usd: 0.034, batchUsd: 0.017 } },
    aspectRatios: ASPECT_RATIOS,
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
  "gpt-image-2": {
    provider: "openai",
    description:
      "OpenAI GPT Image 2: close instruction following and legible text; square, 3:2 or 2:3, priced by quality",
    prices: { "1K": noBatch(0.053) },
    qualityPrices: {
      "1K": {
        draft: byOrientation(0.006, 0.005),
        standard: byOrientation(0.053, 0.041),
        premium: byOrientation(0.211, 0.165),
      },
    },
    aspectRatios: OPENAI_ASPECT_RATIOS,
    // OpenAI takes 16 images per edit; a request here carries at most MAX_REFERENCE_IMAGES.
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
  "gpt-image-1.5": {
    provider: "openai",
    description:
      "OpenAI GPT Image 1.5: precise edits that keep faces and logos; square, 3:2 or 2:3, priced by quality",
    prices: { "1K": noBatch(0.05) },
    qualityPrices: {
      "1K": {
        draft: byOrientation(0.009, 0.013),
        standard: byOrientation(0.034, 0.05),
        premium: byOrientation(0.133, 0.2),
      },
    },
    aspectRatios: OPENAI_ASPECT_RATIOS,
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
  "stable-image-ultra": {
    provider: "stability",
    description:
      "Stability AI Stable Image Ultra: photorealism and fine detail; one image to start from",
    prices: { "1K": noBatch(0.08) },
    aspectRatios: STABILITY_ASPECT_RATIOS,
    maxReferenceImages: 1,
  },
  "stable-image-core": {
    provider: "stability",
    description: "Stability AI Stable Image Core: fast and cheap, text to image only",
    prices: { "1K": noBatch(0.03) },
    aspectRatios: STABILITY_ASPECT_RATIOS,
    maxReferenceImages: 0,
  },
  "sd3.5-large": {
    provider: "stability",
    description:
      "Stable Diffusion 3.5 Large: the open-weight model at full strength; one image to start from",
    prices: { "1K": noBatch(0.065) },
    aspectRatios: STABILITY_ASPECT_RATIOS,
    maxReferenceImages: 1,
  },
  "sd3.5-large-turbo": {
    provider: "stability",
    description: "Stable Diffusion 3.5 Large Turbo: Large in a few steps, for drafts",
    prices: { "1K": noBatch(0.04) },
    aspectRatios: STABILITY_ASPECT_RATIOS,
    maxReferenceImages: 1,
  },
  "sd3.5-medium": {
    provider: "stability",
    description: "Stable Diffusion 3.5 Medium: the smaller open-weight model",
    prices: { "1K": noBatch(0.035) },
    aspectRatios: STABILITY_ASPECT_RATIOS,
    maxReferenceImages: 1,
  },
  "sketch-v1": {
    provider: "sketch",
    description: "The offline renderer: a labelled sketch of the right kind of picture, free",
    prices: {
      "512": { usd: 0, batchUsd: 0 },
      "1K": { usd: 0, batchUsd: 0 },
      "2K": { usd: 0, batchUsd: 0 },
      "4K": { usd: 0, batchUsd: 0 },
    },
    aspectRatios: ASPECT_RATIOS,
    maxReferenceImages: MAX_REFERENCE_IMAGES,
  },
};

/** Model ids Google has shut down, each with its replacement, so a stale setting is named. */
export const RETIRED_MODELS: Readonly<Record<string, { shutdown: string; replacement: string }>> = {
  "gemini-2.5-flash-image": { shutdown: "2026-10-02", replacement: "gemini-3.1-flash-image" },
  "gemini-3.1-flash-image-preview": {
    shutdown: "2026-06-25",
    replacement: "gemini-3.1-flash-image",
  },
  "gemini-3-pro-image-preview": { shutdown: "2026-06-25", replacement: "gemini-3-pro-image" },
};

/** "gemini-2.5-flash-image was shut down on 2026-10-02; use gemini-3.1-flash-image". */
export function retiredModelMessage(model: string): string | null {
  const retired = RETIRED_MODELS[model];
  return retired
    ? `${model} was shut down on ${retired.shutdown}; use ${retired.replacement}`
    : null;
}

/** A routing rule: what a generation is (any field left out matches all) → the model to draw with. */
export interface ModelRoute {
  domain?: Domain;
  subcategory?: Subcategory;
  quality?: Quality;
  model: string;
}

/**
 * The default routes, first match wins, after which GEMINI_MODEL draws:
 * - diagrams need legible labels, which Pro renders best;
 * - premium pays for Pro;
 * - a draft is for looking, not publishing: Lite at half the price of Flash.
 */
export const DEFAULT_MODEL_ROUTES: readonly ModelRoute[] = [
  { domain: "diagrams", model: "gemini-3-pro-image" },
  { quality: "premium", model: "gemini-3-pro-image" },
  { quality: "draft", model: "gemini-3.1-flash-lite-image" },
];

/**
 * Every model a Gemini deployment may draw with, each with the setting that names it (the
 * first that does): what a stale or missing model is reported against.
 */
export function configuredModels(settings: {
  model: string;
  premiumModel: string;
  routes: readonly ModelRoute[];
}): Array<{ model: string; setting: "GEMINI_MODEL" | "GEMINI_PREMIUM_MODEL" | "MODEL_ROUTES" }> {
  const named = [
    { model: settings.model, setting: "GEMINI_MODEL" as const },
    { model: settings.premiumModel, setting: "GEMINI_PREMIUM_MODEL" as const },
    ...settings.routes.map((r) => ({ model: r.model, setting: "MODEL_ROUTES" as const })),
  ];
  return named.filter((n, i) => named.findIndex((m) => m.model === n.model) === i);
}

/** Prices by model and size: the catalog's, with MODEL_PRICES's overrides on top. */
export type PriceTable = Record<
  string,
  Partial<Record<ImageSize, { usd: number; batchUsd: number }>>
>;

export function priceTable(overrides: Record<string, number | Partial<Record<ImageSize, number>>>) {
  const table: PriceTable = Object.fromEntries(
    Object.entries(MODEL_CATALOG).map(([model, spec]) => [model, { ...spec.prices }]),
  );
  for (const [model, price] of Object.entries(overrides)) {
    const sizes = table[model] ?? {};
    table[model] = sizes;
    const bySize =
      typeof price === "number"
        ? Object.fromEntries(
            (Object.keys(sizes).length ? Object.keys(sizes) : ["1K"]).map((s) => [s, price]),
          )
        : price;
    // Batch Mode is half the standard price on every current Gemini model; a maker with no
    // batch mode here keeps one price. A model the catalog does not know is taken for Gemini's.
    const batchMode = BATCH_MODE_PROVIDERS.has(MODEL_CATALOG[model]?.provider ?? "gemini");
    for (const [size, usd] of Object.entries(bySize) as Array<[ImageSize, number]>) {
      sizes[size] = { usd, batchUsd: batchMode ? Math.round(usd * 500) / 1000 : usd };
    }
  }
  return table;
}

/** Makers whose batch mode this service uses (the economy tier). */
const BATCH_MODE_PROVIDERS: ReadonlySet<ModelSpec["provider"]> = new Set(["gemini", "sketch"]);

/** What one image's price turns on. */
export interface PricedImage {
  imageSize: ImageSize;
  quality: Quality;
  aspectRatio: AspectRatio;
}

/**
 * USD for one image as it was asked for: for a model priced by quality and orientation, the
 * catalog's price for those, unless MODEL_PRICES set the model's price at that size (which then
 * stands for every quality); for any other, the table's price for the size (0 when none).
 */
export function imagePriceOf(prices: PriceTable, model: string, image: PricedImage): number {
  const flat = prices[model]?.[image.imageSize]?.usd;
  const spec = MODEL_CATALOG[model];
  const byQuality = spec?.qualityPrices?.[image.imageSize];
  if (byQuality && flat === spec?.prices[image.imageSize]?.usd) {
    return byQuality[image.quality][orientationOf(image.aspectRatio)];
  }
  return flat ?? 0;
}

/** One model as a deployment offers it (GET /models): what it draws, at what price. */
export interface OfferedModel {
  id: string;
  provider: string;
  description: string;
  /** Sizes it draws, each with its standard and batch price. */
  sizes: Array<{ imageSize: ImageSize; usd: number; batchUsd: number }>;
  aspectRatios: readonly AspectRatio[];
  maxReferenceImages: number;
}

/** What a deployment draws with, and how it chooses. */
export interface ModelOffer {
  /** The first maker, whose default model draws what nothing else chooses. */
  provider: "gemini" | "sketch" | "openai" | "stability";
  /** Every maker PROVIDER names, in the order a request falls back across them. */
  makers: ReadonlyArray<"gemini" | "sketch" | "openai" | "stability">;
  defaultModel: string;
  /** Takes over when the chosen model fails; null when there is none. */
  fallbackModel: string | null;
  routes: readonly ModelRoute[];
  models: OfferedModel[];
}

/** Why `model` cannot draw this (its size, ratio, or number of references), or null. */
/**
 * Why `model`, as this deployment offers it, cannot draw this, or null when it can (or is not
 * in the offer: it is not judged).
 */
export function whyOfferedModelCannotDraw(
  models: readonly OfferedModel[],
  model: string,
  what: { imageSize: ImageSize; aspectRatio: AspectRatio; references: number },
): string | null {
  const offered = models.find((m) => m.id === model);
  return offered ? whyModelCannotDraw(offered, what) : null;
}

export function whyModelCannotDraw(
  model: Pick<OfferedModel, "id" | "sizes" | "aspectRatios" | "maxReferenceImages">,
  what: { imageSize: ImageSize; aspectRatio: AspectRatio; references: number },
): string | null {
  if (!model.sizes.some((s) => s.imageSize === what.imageSize)) {
    return `imageSize: ${model.id} does not draw ${what.imageSize} (it draws ${model.sizes.map((s) => s.imageSize).join(", ")})`;
  }
  if (!model.aspectRatios.includes(what.aspectRatio)) {
    return `aspectRatio: ${model.id} does not draw ${what.aspectRatio} (it draws ${model.aspectRatios.join(", ")})`;
  }
  if (what.references > model.maxReferenceImages) {
    return `images: ${model.id} takes at most ${model.maxReferenceImages} reference images (got ${what.references})`;
  }
  return null;
}
