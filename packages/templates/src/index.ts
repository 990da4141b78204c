import { createHash } from "node:crypto";
import { normalizeText } from "@nanobanana/classifier";
import type { AspectRatio, Certainty, Label, Quality } from "@nanobanana/domain";
import { DOMAIN_GENERAL_TEMPLATES, GENERAL_TEMPLATE } from "./fallback-templates.ts";
import { SPECIALISED_TEMPLATES } from "./specialised-templates.ts";
import { STOCK_TEMPLATES, type StockTemplate, TEMPLATE_VERSION } from "./stock-templates.ts";
import { TEMPLATE_VARIANTS } from "./variant-templates.ts";

export { DOMAIN_GENERAL_TEMPLATES, GENERAL_TEMPLATE } from "./fallback-templates.ts";
export { SPECIALISED_TEMPLATES } from "./specialised-templates.ts";
export { STOCK_TEMPLATES, type StockTemplate, TEMPLATE_VERSION } from "./stock-templates.ts";
export { TEMPLATE_VARIANTS } from "./variant-templates.ts";

export interface TemplateRef {
  id: string;
  version: number;
  domain: Label["domain"];
  subcategory: Label["subcategory"];
  quality: Quality;
  /** "a" for the stock wording, "b" for its A/B variant. */
  variant: "a" | "b";
}

export interface Enhancement {
  enhancedPrompt: string;
  template: TemplateRef;
  words: { in: number; out: number };
}

export interface EnhanceOptions {
  label: Label;
  quality: Quality;
  aspectRatio?: AspectRatio;
  /** Below "subcategory", a general template of the domain, or of nothing, is used. */
  certainty?: Certainty;
  /**
   * Seeds the A/B assignment: any stable string; identical requests must pass the same seed
   * (`variantSeedFor` derives it from the request), so one request always gets the same arm.
   */
  variantSeed?: string;
  /** A user's own template for this subcategory and tier, used instead of the stock one. */
  custom?: { id: string; version: number; lead: string; clauses: readonly string[] };
  /**
   * How many reference images the request carries. Above 0 the brief is an edit of them
   * (editBrief), not a scene drawn from scratch.
   */
  references?: number;
}

export const templateIdFor = (label: Label, quality: Quality) =>
  `${label.domain}.${label.subcategory}.${quality}`;

/**
 * The user's words as the subject: whitespace folded and a trailing full stop dropped,
 * nothing else touched (the subject is the user's, the craft around it is ours).
 */
export function subjectOf(prompt: string): string {
  return prompt
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.\s]+$/, "");
}

// What no professional brief would accept, said to the model explicitly.
const GUARDS: Record<Quality, string | null> = {
  draft: null,
  standard: "avoid watermarks, logos, stray text, distorted proportions and blurry details",
  premium:
    "avoid watermarks, logos, stray text, distorted proportions, extra limbs, banding and compression artefacts",
};

/**
 * The guards when reference images are given: their logos and text are the subject's and must
 * stay, so only new ones are unwanted.
 */
const EDIT_GUARDS: Record<Quality, string | null> = {
  draft: null,
  standard: "avoid watermarks, new logos, stray text, distorted proportions and blurry details",
  premium:
    "avoid watermarks, new logos, stray text, distorted proportions, extra limbs, banding and compression artefacts",
};

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

interface Chosen {
  template: Pick<StockTemplate, "lead"> & { tiers: Partial<StockTemplate["tiers"]> };
  id: string;
  version: number;
  variant: "a" | "b";
}

/** Half the seeds get "b", the same seed always the same answer. */
export const variantFor = (seed: string, key: string): "a" | "b" =>
  (createHash("sha256").update(`${key}:${seed}`).digest()[0] ?? 0) % 2 === 0 ? "a" : "b";

/** What decides a request's A/B arm: the same for /enhance (a preview) and /generate. */
export interface VariantRequest {
  prompt: string;
  quality: string;
  aspectRatio: string;
  userId: string;
}

/**
 * The A/B seed of a request (a short sha256 hex): identical requests get the same seed, so
 * the same arm, and POST /enhance previews the arm POST /generate will draw.
 */
export const variantSeedFor = (request: VariantRequest): string =>
  createHash("sha256")
    .update(JSON.stringify([request.userId, request.prompt, request.quality, request.aspectRatio]))
    .digest("hex")
    .slice(0, 16);

/**
 * One sentence of the brief: surrounding space dropped and a full stop added unless it
 * already ends a sentence ("…on a desk." or "…now!" is not given a second one).
 */
const sentence = (text: string): string => {
  const trimmed = text.trim();
  return /[.!?…]["'”’)\]]*$/.test(trimmed) ? trimmed : `${trimmed}.`;
};

/** A clause with nothing but punctuation and space in it says nothing and is left out. */
const saysSomething = (clause: string) => /[\p{L}\p{N}]/u.test(clause);

/**
 * The template for a prompt: the user's own, else by certainty — the general one, the
 * domain's general one, a specialised one the prompt names (sequence diagram, collage…),
 * or the subcategory's stock template (or its A/B variant).
 */
function chooseTemplate(prompt: string, options: EnhanceOptions): Chosen {
  const { label, quality } = options;
  const certainty = options.certainty ?? "subcategory";
  if (options.custom && certainty === "subcategory") {
    return {
      template: { lead: options.custom.lead, tiers: { [quality]: options.custom.clauses } },
      id: `custom:${options.custom.id}`,
      version: options.custom.version,
      variant: "a",
    };
  }
  const stock = (template: StockTemplate, id: string): Chosen => ({
    template,
    id,
    version: TEMPLATE_VERSION,
    variant: "a",
  });
  if (certainty === "none") return stock(GENERAL_TEMPLATE, `general.${quality}`);
  if (certainty === "domain") {
    return stock(DOMAIN_GENERAL_TEMPLATES[label.domain], `${label.domain}.general.${quality}`);
  }
  // Same normal form as the classifier (lowercase, no accents, singular): "sequence diagrams" matches.
  const text = normalizeText(prompt);
  const specialised = SPECIALISED_TEMPLATES.find(
    (t) => t.domain === label.domain && t.when.test(text),
  );
  if (specialised) {
    return stock(specialised.template, `${label.domain}.${specialised.kind}.${quality}`);
  }
  const id = templateIdFor(label, quality);
  const alternative = TEMPLATE_VARIANTS[label.subcategory];
  if (alternative && options.variantSeed && variantFor(options.variantSeed, id) === "b") {
    return { ...stock(alternative, id), variant: "b" };
  }
  return stock(STOCK_TEMPLATES[label.subcategory], id);
}

/**
 * The medium a lead names, for an edit brief's style line: "Studio product photograph of
 * {subject}" → "studio product photograph". What follows the subject ("on a pure white
 * background") is left out: in an edit the request says where the subject goes.
 */
export function mediumOf(lead: string): string {
  const before = lead.split("{subject}")[0] ?? "";
  const medium = before.replace(/\s+(of|inspired by|for|showing|featuring|about)\s*$/i, "").trim();
  if (!saysSomething(medium)) return "professional image";
  // "Studio product photograph" reads lower-case mid-sentence; "UML diagram", "3D render" do not.
  return /^\p{Lu}\p{Ll}/u.test(medium) ? medium.charAt(0).toLowerCase() + medium.slice(1) : medium;
}

/**
 * The opening of a brief for a request with reference images: the images are given, what
 * they show must not change, only what the prompt asks does. The template's craft follows
 * as the standard to finish to, never a reason to alter the referenced subject.
 */
function editLeads(subject: string, lead: string, count: number): string[] {
  const one = count === 1;
  const images = one ? "the reference image" : `the ${count} reference images`;
  return [
    one
      ? `Edit the reference image provided, as asked: ${subject}`
      : `Compose the ${count} reference images provided into one image, as asked: ${subject}`,
    `Keep ${one ? "the subject of the reference image" : "each subject of the reference images"} exactly as it is: its identity, shape, proportions, colours, logos and any text on it stay unchanged`,
    `Change only what the request asks for, such as the background, setting, pose or lighting it describes; everything else stays as in ${images}`,
    `Style: ${mediumOf(lead)}, finished to the professional standard below wherever that agrees with the request and does not alter ${images}`,
  ];
}

/** Expand a short prompt into a professional specification with the template for its label and tier. */
export function enhancePrompt(prompt: string, options: EnhanceOptions): Enhancement {
  const chosen = chooseTemplate(prompt, options);
  const subject = subjectOf(prompt);
  const references = Math.max(0, Math.floor(options.references ?? 0));
  // A function replacer, so "$&" or "$1" in a prompt stays literal.
  const lead = chosen.template.lead.replace("{subject}", () => subject);
  const clauses = [...(chosen.template.tiers[options.quality] ?? [])];
  const guard = (references > 0 ? EDIT_GUARDS : GUARDS)[options.quality];
  if (guard) clauses.push(guard);
  if (options.aspectRatio) clauses.push(`composed for a ${options.aspectRatio} frame`);
  // The lead as written (it holds the subject verbatim), each clause capitalised. With
  // references, the edit brief's sentences stand where the lead was (the subject verbatim in
  // the first).
  const leads = references > 0 ? editLeads(subject, chosen.template.lead, references) : [lead];
  const enhancedPrompt = [
    ...leads.map(sentence),
    ...clauses.filter(saysSomething).map((c) => sentence(capitalise(c.trim()))),
  ].join(" ");
  return {
    enhancedPrompt,
    template: {
      id: chosen.id,
      version: chosen.version,
      domain: options.label.domain,
      subcategory: options.label.subcategory,
      quality: options.quality,
      variant: chosen.variant,
    },
    words: { in: countWords(prompt), out: countWords(enhancedPrompt) },
  };
}
