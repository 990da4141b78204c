/** The A/B variant templates: a second wording of some subcategories' stock templates. */
import type { StockTemplate } from "./stock-templates.ts";

/**
 * A/B variants: another wording of a stock template, given to half the generations that
 * would use it so feedback can show which reads better. Keyed by subcategory.
 */
export const TEMPLATE_VARIANTS: Partial<Record<string, StockTemplate>> = {
  portrait: {
    lead: "Editorial portrait photograph of {subject}, natural and unposed",
    tiers: {
      draft: ["waist-up framing", "soft daylight", "genuine expression"],
      standard: [
        "waist-up framing with room to breathe, subject slightly off-centre",
        "soft daylight from one side, shadows left gently open",
        "50mm lens at f/2.8 so the setting stays readable but soft",
        "genuine, relaxed expression caught between poses",
        "natural skin texture and true colour",
        "high-resolution, light retouching",
      ],
      premium: [
        "waist-up environmental framing, subject off-centre with a hint of their surroundings",
        "directional daylight from a large window, a bounce card for gentle fill",
        "full-frame camera, 50mm prime at f/2.8, focus on the nearest eye",
        "a genuine expression caught between poses, relaxed hands",
        "true-to-life skin texture and colour, subtle filmic grade",
        "ultra-detailed, restrained professional retouching",
      ],
    },
  },
  ecommerce: {
    lead: "Marketplace-ready product photo of {subject} on a pure white background",
    tiers: {
      draft: ["pure white background", "whole product in frame", "even light"],
      standard: [
        "pure white (#FFFFFF) background, the product filling about 85% of the frame",
        "three-quarter front view that shows the main features",
        "even, shadowless softbox light with a faint contact shadow",
        "exact product colour and material, labels legible",
        "sharp edge to edge, clean cut-out ready",
      ],
      premium: [
        "pure white (#FFFFFF) seamless background meeting marketplace rules, product filling about 85% of the frame",
        "three-quarter front view at product height, every key feature visible",
        "large overhead softbox plus two strip lights for clean edges and controlled reflections, a faint natural contact shadow",
        "colour-managed, exact product colours and materials, logos and labels crisp",
        "focus-stacked edge-to-edge sharpness, dust-free commercial retouching",
      ],
    },
  },
};
