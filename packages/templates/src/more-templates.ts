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

/**
 * Kinds of work that the 16 subcategories cover badly, chosen by what the prompt names.
 * Each is tied to a domain: it is used only when the classifier is sure of that domain.
 */
export interface SpecialisedTemplate {
  kind: string;
  domain: Domain;
  /** Matched against the prompt as the classifier normalises it (lowercase, no accents, singular). */
  when: RegExp;
  template: StockTemplate;
}

export const SPECIALISED_TEMPLATES: readonly SpecialisedTemplate[] = [
  {
    kind: "sequence",
    domain: "diagrams",
    when: /\b(sequence diagram|diagrama de secuencia|diagramme de sequence|sequenzdiagramm|diagrama de sequencia|message flow between)\b/,
    template: {
      lead: "UML sequence diagram of {subject}",
      tiers: {
        draft: [
          "participants as boxes along the top",
          "dashed lifelines",
          "labelled message arrows",
        ],
        standard: [
          "participants as labelled boxes across the top, in the order they first act",
          "dashed vertical lifelines with activation bars while each participant works",
          "solid arrows for calls and dashed arrows for returns, each labelled with the message",
          "time flowing top to bottom, messages numbered in order",
          "alt and loop fragments drawn as titled frames where the flow branches or repeats",
          "flat vector style, monospace message labels, white background",
        ],
        premium: [
          "actors and participants as labelled boxes across the top in order of first involvement, actors as stick figures",
          "dashed lifelines with activation bars, nested activations for callbacks",
          "synchronous calls as solid arrows with filled heads, async messages with open heads, returns dashed, every message labelled and numbered",
          "alt, opt and loop combined fragments as titled frames with guard conditions in brackets",
          "notes attached to lifelines for timeouts and retries",
          "strict UML 2 notation, even vertical spacing, crisp vector rendering on white",
        ],
      },
    },
  },
  {
    kind: "uml",
    domain: "diagrams",
    when: /\b(class diagram|uml class|entity relationship|er diagram|erd|state diagram|state machine)\b/,
    template: {
      lead: "UML diagram of {subject}",
      tiers: {
        draft: ["boxes per class or state", "labelled relationships", "white background"],
        standard: [
          "one box per class, entity or state, with its name in bold",
          "attributes and operations in separate compartments where they apply",
          "relationships with the right notation: inheritance, composition, associations with multiplicity",
          "aligned on a grid with no crossing lines",
          "flat vector style, monospace labels, white background",
        ],
        premium: [
          "one box per class, entity or state, names in bold, stereotypes in guillemets",
          "typed attributes and operations in compartments, visibility marked",
          "exact UML notation: hollow triangles for inheritance, filled diamonds for composition, multiplicities on both ends",
          "related elements clustered, orthogonal connectors without crossings",
          "crisp vector rendering, monospace type, print-ready on white",
        ],
      },
    },
  },
  {
    kind: "mixed_media",
    domain: "art",
    when: /\b(mixed media|collage|assemblage|decoupage|torn paper|paper cut)\b/,
    template: {
      lead: "Mixed-media artwork of {subject}",
      tiers: {
        draft: ["layered paper and paint", "visible textures", "handmade feel"],
        standard: [
          "layers of torn paper, printed ephemera and paint built up by hand",
          "visible textures: paper edges, brush marks, glue sheen",
          "a limited palette that ties the different materials together",
          "a clear focal point among the layers",
          "photographed flat under soft, even light",
        ],
        premium: [
          "rich layering of collage, acrylic washes, ink and found ephemera, each layer partly revealing the one below",
          "tactile surface: deckled paper edges, impasto, scraped and sanded passages, subtle gold leaf accents",
          "a restrained palette and repeated motifs that unify the materials",
          "a strong focal point with a deliberate path for the eye through the layers",
          "captured flat under raking light that shows relief, colour-accurate, high resolution",
        ],
      },
    },
  },
];

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
