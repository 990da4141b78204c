/**
 * The small Gemini text models the classifier's second opinion may ask, and what they cost:
 * USD per 1M tokens, input and output (output includes thinking tokens, which Google bills as
 * output). Like the image table (models.ts), names and prices live here only, never in code.
 *
 * Sources, read 2026-11-26:
 * - Current models: https://ai.google.dev/gemini-api/docs/models lists gemini-3.1-flash-lite
 *   and gemini-3.5-flash-lite as stable (with 3.5/3.6/3.7/3.8 Flash, all dearer).
 * - gemini-3.5-flash-lite, $0.30 input / $2.50 output, default thinking level "minimal":
 *   https://ai.google.dev/gemini-api/docs/whats-new-gemini-3.6
 * - gemini-3.1-flash-lite, GA 2026-05-07, $0.25 input / $1.50 output: the paid tier's row on
 *   https://ai.google.dev/gemini-api/docs/pricing as passed through unchanged by
 *   https://openrouter.ai/google/gemini-3.1-flash-lite and
 *   https://vercel.com/ai-gateway/models/gemini-3.1-flash-lite (Google's own row could not be
 *   read here; check it there before relying on the figure).
 * - Not listed: gemini-2.5-flash-lite ($0.10 / $0.40) is cheaper but past its announced
 *   shutdown date (2026-07-22, https://ai.google.dev/gemini-api/docs/deprecations); a model
 *   not in this table needs CLASSIFIER_SECOND_OPINION_PRICE.
 * The cheapest current one, gemini-3.1-flash-lite, is the default: labelling a prompt needs no
 * reasoning, and its default thinking level is "minimal".
 */
export interface TextModelPrice {
  /** USD per 1M input (prompt) tokens. */
  inputUsdPerMillion: number;
  /** USD per 1M output tokens, thinking tokens included. */
  outputUsdPerMillion: number;
}

export const TEXT_MODEL_PRICES: Readonly<Record<string, TextModelPrice>> = {
  "gemini-3.1-flash-lite": { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 },
  "gemini-3.5-flash-lite": { inputUsdPerMillion: 0.3, outputUsdPerMillion: 2.5 },
};

export const DEFAULT_SECOND_OPINION_MODEL = "gemini-3.1-flash-lite";
