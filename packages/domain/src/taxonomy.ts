/** The 4 domains × 4 subcategories of DESIGN.md; every other package derives from this table. */
export const TAXONOMY = {
  photography: ["portrait", "landscape", "product", "macro"],
  diagrams: ["architecture", "flowchart", "wireframe", "technical"],
  art: ["painting", "digital_art", "3d_render", "abstract"],
  products: ["ecommerce", "lifestyle", "editorial", "advertising"],
} as const;

export type Domain = keyof typeof TAXONOMY;
export type Subcategory = (typeof TAXONOMY)[Domain][number];

export const DOMAINS = Object.keys(TAXONOMY) as Domain[];

export interface Label {
  domain: Domain;
  subcategory: Subcategory;
}

/** Every (domain, subcategory) pair, in table order. */
export const LABELS: readonly Label[] = DOMAINS.flatMap((domain) =>
  TAXONOMY[domain].map((subcategory) => ({ domain, subcategory }) as Label),
);

export function isLabel(domain: string, subcategory: string): boolean {
  return LABELS.some((l) => l.domain === domain && l.subcategory === subcategory);
}

/**
 * How much of a label the classifier is sure of, which decides how specific a template may
 * be: the subcategory's own, the domain's general one, or the general one.
 */
export const CERTAINTIES = ["subcategory", "domain", "none"] as const;
export type Certainty = (typeof CERTAINTIES)[number];

export const QUALITIES = ["draft", "standard", "premium"] as const;
export type Quality = (typeof QUALITIES)[number];

/** Every ratio today's image models take; each model's own list says which it draws. */
export const ASPECT_RATIOS = [
  "1:1",
  "2:3",
  "3:2",
  "3:4",
  "4:3",
  "4:5",
  "5:4",
  "9:16",
  "16:9",
  "21:9",
] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Output sizes by their long side: 512 px, ~1K, ~2K, ~4K (Gemini's imageSize values). */
export const IMAGE_SIZES = ["512", "1K", "2K", "4K"] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

/** Long side in pixels of each size. */
export const LONG_SIDE: Record<ImageSize, number> = {
  "512": 512,
  "1K": 1024,
  "2K": 2048,
  "4K": 4096,
};

/** Most reference images one request may carry (Gemini 3 Pro Image takes 14). */
export const MAX_REFERENCE_IMAGES = 14;

export const IMAGE_FORMATS = ["png", "webp", "jpeg"] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const MIME_TYPES: Record<ImageFormat, string> = {
  png: "image/png",
  webp: "image/webp",
  jpeg: "image/jpeg",
};
