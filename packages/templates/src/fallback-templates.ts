/**
 * The fallback templates: general ones, used instead of a subcategory's stock template
 * (stock-templates.ts) when the classifier's certainty is below "subcategory".
 */
import type { Domain } from "@nanobanana/domain";
import type { StockTemplate } from "./stock-templates.ts";

/**
 * Templates for when the subcategory is unsure: one per domain (the medium is known, the
 * genre is not) and one for when even the domain is unsure. They ask for what every good
 * image in the medium needs and nothing that could be wrong for the subject.
 */
export const DOMAIN_GENERAL_TEMPLATES: Record<Domain, StockTemplate> = {
  photography: {
    lead: "Professional photograph of {subject}",
    tiers: {
      draft: ["clear subject", "natural light", "true colours"],
      standard: [
        "composition that gives the subject room, on the rule of thirds",
        "natural, flattering light with soft shadows",
        "sharp focus on the subject, gentle background separation",
        "true-to-life colours and a balanced exposure",
        "high-resolution, clean professional finish",
      ],
      premium: [
        "considered composition with a clear focal point, balanced negative space and clean edges",
        "light chosen for the subject: soft and directional, highlights held, shadows open",
        "full-frame camera with a fast prime, precise focus where the eye goes first",
        "faithful colour with a restrained, professional grade",
        "ultra-detailed, high dynamic range, no noise or over-sharpening",
      ],
    },
  },
  diagrams: {
    lead: "Clear diagram of {subject}",
    tiers: {
      draft: ["simple shapes with labels", "arrows for relationships", "white background"],
      standard: [
        "labelled shapes for each element, grouped by role",
        "arrows that show direction and read left to right or top to bottom",
        "consistent spacing on a grid, no crossing lines",
        "limited palette with one accent colour, legible sans-serif labels",
        "flat vector style on a white background",
      ],
      premium: [
        "every element a labelled shape, related elements grouped in titled containers",
        "directed connectors with short labels, routed orthogonally without crossings",
        "strict grid alignment and even spacing, a clear reading order",
        "restrained palette with one accent for the main path, a compact legend",
        "crisp vector rendering, legible sans-serif type at small sizes, print-ready",
      ],
    },
  },
  art: {
    lead: "Original artwork of {subject}",
    tiers: {
      draft: ["strong composition", "harmonious colours", "expressive style"],
      standard: [
        "a clear focal point and a composition that leads the eye",
        "a harmonious palette with deliberate contrast",
        "a consistent, expressive style throughout",
        "rich detail where it matters, calm areas to rest the eye",
        "gallery-quality finish",
      ],
      premium: [
        "a strong, intentional composition with a single focal point and supporting rhythm",
        "a cohesive palette with controlled value structure and accents of saturated colour",
        "one consistent artistic voice in mark-making and edges",
        "layered detail and texture where the eye lands, simplification elsewhere",
        "museum-quality finish, high resolution",
      ],
    },
  },
  products: {
    lead: "Commercial product image of {subject}",
    tiers: {
      draft: ["product clearly visible", "clean background", "soft studio light"],
      standard: [
        "the product as the hero, fully visible and in focus",
        "clean, uncluttered setting that suits the brand",
        "soft studio lighting that shows shape, material and texture",
        "accurate product colours, no colour cast",
        "high-resolution, commercial retouching",
      ],
      premium: [
        "the product as the undisputed hero, three-quarter view showing form and key details",
        "minimal, on-brand setting with space for copy",
        "shaped softbox lighting with controlled reflections and gentle gradient highlights",
        "exact product colours and materials, logos and labels crisp",
        "flawless commercial retouching, ultra-detailed",
      ],
    },
  },
};

/** For when even the domain is unsure (certainty "none"). */
export const GENERAL_TEMPLATE: StockTemplate = {
  lead: "High-quality image of {subject}",
  tiers: {
    draft: ["clear subject", "balanced composition", "pleasing colours"],
    standard: [
      "a clear subject with a balanced composition",
      "good light that shows form and texture",
      "harmonious colours and clean detail",
      "high-resolution, polished finish",
    ],
    premium: [
      "a clear focal subject with balanced, intentional composition",
      "light that models form and texture, no harsh clipping",
      "a harmonious, considered palette",
      "fine detail, clean edges, no artefacts",
      "high-resolution, professional finish",
    ],
  },
};
