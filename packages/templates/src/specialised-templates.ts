/**
 * The specialised templates: sequence diagrams, UML/ER/state diagrams and mixed media, used
 * instead of the subcategory's stock template when the prompt names one of them.
 */
import type { Domain } from "@nanobanana/domain";
import type { StockTemplate } from "./stock-templates.ts";

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
