import type { AspectRatio, Label, Quality } from "@nanobanana/domain";
import { STOCK_TEMPLATES, TEMPLATE_VERSION } from "./stock-templates.ts";

export { STOCK_TEMPLATES, type StockTemplate, TEMPLATE_VERSION } from "./stock-templates.ts";

export interface TemplateRef {
  id: string;
  version: number;
  domain: Label["domain"];
  subcategory: Label["subcategory"];
  quality: Quality;
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
  /** A user's own template for this subcategory and tier, used instead of the stock one. */
  custom?: { id: string; version: number; lead: string; clauses: readonly string[] };
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

const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Expand a short prompt into a professional specification with the template for its label and tier. */
export function enhancePrompt(prompt: string, options: EnhanceOptions): Enhancement {
  const template = options.custom
    ? { lead: options.custom.lead, tiers: { [options.quality]: options.custom.clauses } }
    : STOCK_TEMPLATES[options.label.subcategory];
  const subject = subjectOf(prompt);
  // A function replacer, so "$&" or "$1" in a prompt stays literal.
  const lead = template.lead.replace("{subject}", () => subject);
  const clauses = [...(template.tiers[options.quality] ?? [])];
  const guard = GUARDS[options.quality];
  if (guard) clauses.push(guard);
  if (options.aspectRatio) clauses.push(`composed for a ${options.aspectRatio} frame`);
  const enhancedPrompt = `${lead}. ${clauses.map(capitalise).join(". ")}.`;
  return {
    enhancedPrompt,
    template: {
      id: options.custom
        ? `custom:${options.custom.id}`
        : templateIdFor(options.label, options.quality),
      version: options.custom ? options.custom.version : TEMPLATE_VERSION,
      domain: options.label.domain,
      subcategory: options.label.subcategory,
      quality: options.quality,
    },
    words: { in: countWords(prompt), out: countWords(enhancedPrompt) },
  };
}
