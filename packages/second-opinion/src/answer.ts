import { createHash } from "node:crypto";
import {
  DOMAINS,
  type Domain,
  isLabel,
  LABELS,
  roundUsd,
  type Subcategory,
} from "@nanobanana/domain";
import { z } from "zod";

/**
 * The prompt as its answer is kept by: Unicode-normalised, trimmed, spaces collapsed and lower
 * case, so "A Red Kite " and "a red kite" are asked about (and paid for) once.
 */
export const normalizePrompt = (prompt: string) =>
  prompt.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();

/**
 * What an answer is kept by: sha256 of the normalised prompt, the model (another model may
 * answer otherwise) and the cache's scope. The scope is the user's own unless CACHE_SCOPE is
 * global, as for images: a cached answer must not tell a user that someone else sent the
 * same prompt.
 */
export function labelAnswerKey(prompt: string, model: string, scope: string): string {
  return createHash("sha256")
    .update(`${scope}\n${model}\n${normalizePrompt(prompt)}`)
    .digest("hex");
}

/** USD per 1M input and output tokens. */
export interface TokenPrice {
  inputUsdPerMillion: number;
  outputUsdPerMillion: number;
}

/** Gemini's usageMetadata, as far as billing goes. */
export interface TokenUsage {
  promptTokenCount?: number | undefined;
  candidatesTokenCount?: number | undefined;
  thoughtsTokenCount?: number | undefined;
}

/** What a call cost: its tokens at the model's price; thinking tokens are billed as output. */
export function costOf(usage: TokenUsage | undefined, price: TokenPrice): number {
  const input = usage?.promptTokenCount ?? 0;
  const output = (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0);
  return roundUsd((input * price.inputUsdPerMillion + output * price.outputUsdPerMillion) / 1e6);
}

const answerSchema = z
  .object({
    domain: z.enum(DOMAINS as [Domain, ...Domain[]]),
    subcategory: z.enum(LABELS.map((l) => l.subcategory) as [Subcategory, ...Subcategory[]]),
    // A long reason does not make the label wrong: kept short rather than refused.
    reason: z
      .string()
      .nullish()
      .transform((r) => (r?.trim() ? r.trim().slice(0, 200) : null)),
  })
  .refine((a) => isLabel(a.domain, a.subcategory), {
    message: "the subcategory is not one of the domain's",
  });

export type CheckedAnswer =
  | { ok: true; domain: Domain; subcategory: Subcategory; reason: string | null }
  | { ok: false; problem: string };

/**
 * The model's text as a label, or why it is not one: not JSON, or JSON that is not one of the
 * 16 labels (the schema's enums are separate, so a domain and another domain's subcategory
 * could come back together).
 */
export function checkAnswer(text: string | undefined): CheckedAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text ?? "");
  } catch {
    return {
      ok: false,
      problem: `the answer is not JSON: ${JSON.stringify((text ?? "").slice(0, 80))}`,
    };
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      problem: `the answer is not a label (${issue?.path.join(".") || "answer"}: ${issue?.message}): ${JSON.stringify(text).slice(0, 120)}`,
    };
  }
  return { ok: true, ...parsed.data };
}
