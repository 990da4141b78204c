import { type Schema, Type } from "@google/genai";
import { DOMAINS, LABELS } from "@nanobanana/domain";

/**
 * What the model is told: the 16 labels as packages/classifier/corpus/LABELS.md defines them
 * for the people who label the corpus, shortened. The same rule decides: the kind of picture,
 * not what it shows.
 */
export const SYSTEM_INSTRUCTION = `You label the prompts people send to an image service. Give the one label a user would expect the service to treat the prompt as: the kind of picture they want, not what it shows. A watercolour of a mountain is art/painting, not photography/landscape; a cutaway of an engine is diagrams/technical; a 3D render of a sneaker for a shop is products/ecommerce, a 3D render of a robot is art/3d_render. When the prompt does not say the medium, take the one a user would mean: "a lighthouse at dusk" is a photo. Prompts may be short, rambling, misspelt or in another language.

photography, a photograph:
- portrait: people or animals as the subject (headshots, family photos, pets, fashion shots that sell nothing)
- landscape: places: nature, seascapes, cities, streets, buildings inside or out, night skies, aerials
- product: objects or food photographed for their own sake, with no shop or campaign named
- macro: extreme close-ups: insects, droplets, textures, snowflakes

diagrams, an explanatory drawing:
- architecture: software and IT systems: services, clouds, networks, databases, UML class or deployment diagrams
- flowchart: steps and decisions: processes, workflows, journeys, decision trees, sequence diagrams, org charts
- wireframe: screen and page layouts: UI mockups, app screens, website sections, dashboards
- technical: physical things explained: engineering drawings, blueprints, floor plans, cutaways, schematics, science illustrations

art, made rather than photographed, and not to sell a product:
- painting: traditional media or their look: oil, watercolour, ink, pencil, charcoal, "in the style of" a painter
- digital_art: illustration and concept art made on a computer: anime, comic, pixel art, vector, icons, game art
- 3d_render: CGI: 3D renders, voxel, low-poly, clay or Blender looks, isometric 3D
- abstract: no subject: shapes, patterns, textures, fractals, gradients, generative art

products, pictures made to sell something:
- ecommerce: listing and catalogue images: a product on a plain or white background, packshots, "for our shop"
- lifestyle: the product in use by people in real life
- editorial: magazine and blog styling: flat lays, curated arrangements, gift guides
- advertising: campaigns and promotions: ads, banners, billboards, posters for a launch or a sale

Answer with the domain, one of that domain's four subcategories, and a reason of a few words.`;

/** The answer's shape, enforced by Gemini's structured output (an OpenAPI-style Schema). */
export const RESPONSE_SCHEMA: Schema = {
  type: Type.OBJECT,
  properties: {
    domain: { type: Type.STRING, enum: [...DOMAINS] },
    subcategory: {
      type: Type.STRING,
      enum: LABELS.map((l) => l.subcategory),
      description: "One of the chosen domain's four subcategories.",
    },
    reason: { type: Type.STRING, description: "Why, in a few words." },
  },
  required: ["domain", "subcategory"],
  propertyOrdering: ["domain", "subcategory", "reason"],
};

/**
 * The most the model may write. A label and a few words take about 30 tokens; the cap bounds
 * what a rambling or thinking model can cost, and an answer cut short is refused like any
 * other unreadable one.
 */
export const MAX_OUTPUT_TOKENS = 1024;
