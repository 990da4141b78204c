import {
  ASPECT_RATIOS,
  type AspectRatio,
  type Domain,
  type ImageSize,
  MAX_REFERENCE_IMAGES,
  type Quality,
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
 * MODEL_PRICES overrides any price without a code change.
 */
export interface ModelSpec {
  provider: "gemini" | "sketch";
  /** What it is good at, as GET /models tells callers. */
  description: string;
  /** USD per image by output size: standard (interactive) and batch (Gemini Batch Mode). */
  prices: Partial<Record<ImageSize, { usd: number; batchUsd: number }>>;
  aspectRatios: readonly AspectRatio[];
  /** Most reference images one request may send it. */
  maxReferenceImages: number;
}

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
    for (const [size, usd] of Object.entries(bySize) as Array<[ImageSize, number]>) {
      // Batch Mode is half the standard price on every current model.
      sizes[size] = { usd, batchUsd: Math.round(usd * 500) / 1000 };
    }
  }
  return table;
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
  provider: "gemini" | "sketch";
  defaultModel: string;
  /** Takes over when the chosen model fails; null when there is none. */
  fallbackModel: string | null;
  routes: readonly ModelRoute[];
  models: OfferedModel[];
}

/** Why `model` cannot draw this (its size, ratio, or number of references), or null. */
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
