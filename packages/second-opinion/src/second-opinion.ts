import { ApiError, GoogleGenAI } from "@google/genai";
import type { Certainty, Domain, SecondOpinionUse, Subcategory } from "@nanobanana/domain";
import type { Logger } from "@nanobanana/logger";
import type { LabelAnswer, LabelAnswerStore } from "@nanobanana/store";
import { checkAnswer, costOf, labelAnswerKey, type TokenPrice } from "./answer.ts";
import { MAX_OUTPUT_TOKENS, RESPONSE_SCHEMA, SYSTEM_INSTRUCTION } from "./request.ts";

/** The local classifier's answer, as far as the second opinion weighs it. */
export interface LocalLabel {
  domain: Domain;
  subcategory: Subcategory;
  confidence: number;
  certainty: Certainty;
}

/**
 * The label to use and who decided it: what a generation's record keeps as its classification
 * (and POST /classify adds to its answer). `confidence` stays the local classifier's.
 */
export interface Verdict extends LocalLabel {
  source: "local" | "gemini";
  /** The local classifier's own answer, when the second opinion decided another label. */
  local?: LocalLabel;
  /** Set when the model was asked (or its answer came from the cache). */
  secondOpinion?: SecondOpinionUse;
}

export interface SecondOpinionOptions {
  /** The text model asked (CLASSIFIER_SECOND_OPINION_MODEL). */
  model: string;
  /** Asked when the local classifier's confidence is below this (CLASSIFIER_SECOND_OPINION_BELOW). */
  below: number;
  timeoutMs: number;
  price: TokenPrice;
  /** API-key mode; or Vertex AI with `vertex`. */
  apiKey?: string | undefined;
  vertex?: { project: string; location: string } | undefined;
  /** Any Gemini-compatible endpoint (GEMINI_BASE_URL): a proxy, or the stand-in. */
  baseUrl?: string | undefined;
  /** Where answers are kept, so one prompt is asked about once. */
  store: LabelAnswerStore;
  /** How long an answer is kept (CACHE_TTL_DAYS). */
  cacheTtlSeconds: number;
  logger?: Logger | undefined;
}

export interface DecideOptions {
  /** Whose cache the answer is kept in: "user:{id}", or "global" (CACHE_SCOPE). */
  scope: string;
  signal?: AbortSignal | undefined;
}

export interface SecondOpinion {
  readonly model: string;
  /** Whether a local label this unsure is one to ask about. */
  wanted(local: Pick<LocalLabel, "confidence">): boolean;
  /**
   * The label to use: the local one when it is sure enough; else the model's, from the cache
   * when this prompt was asked about before, else asked now (with `responseSchema`, a timeout
   * and no retry). Never fails for the model's sake: a failed call or an answer that is not a
   * label leaves the local label (logged at warn, and said on the verdict), so the generation
   * goes on. Only a cancel (`signal`) ends it.
   */
  decide(prompt: string, local: LocalLabel, options: DecideOptions): Promise<Verdict>;
}

/** The local classifier's label, decided by it alone. */
export const localVerdict = (local: LocalLabel): Verdict => ({ ...local, source: "local" });

/** The model's label, with the local one beside it when they differ. */
function modelVerdict(
  local: LocalLabel,
  answer: Pick<LabelAnswer, "domain" | "subcategory" | "reason">,
  use: SecondOpinionUse,
): Verdict {
  const differs = answer.domain !== local.domain || answer.subcategory !== local.subcategory;
  return {
    domain: answer.domain,
    subcategory: answer.subcategory,
    confidence: local.confidence,
    // The model names one of the 16 labels outright: the subcategory's own template fits.
    certainty: "subcategory",
    source: "gemini",
    ...(differs ? { local: { ...local } } : {}),
    secondOpinion: { ...use, ...(answer.reason ? { reason: answer.reason } : {}) },
  };
}

/** Google's sentence where it gave one (the SDK puts its whole JSON error in the message). */
function describe(error: unknown): string {
  if (error instanceof ApiError) {
    try {
      const body = JSON.parse(error.message) as { error?: { message?: string; status?: string } };
      if (body.error?.message)
        return `${error.status} ${body.error.status ?? "ERROR"}: ${body.error.message}`;
    } catch {
      // not JSON: the message as it is
    }
    return `${error.status}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The classifier's second opinion through the official SDK, API-key or Vertex AI mode. The
 * SDK's own retries are off and nothing here retries: a second opinion is worth a second or
 * two of a generation, not a stuck one; without it the local label stands.
 */
export function createSecondOpinion(options: SecondOpinionOptions): SecondOpinion {
  const { model, price, store, logger } = options;
  const http = { timeout: options.timeoutMs, retryOptions: { attempts: 1 } };
  const client = new GoogleGenAI({
    ...(options.vertex
      ? { vertexai: true, project: options.vertex.project, location: options.vertex.location }
      : { apiKey: options.apiKey ?? "" }),
    httpOptions: { ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}), ...http },
  });

  /** A cache that cannot be read or written costs a call, never the generation. */
  async function cached(key: string): Promise<LabelAnswer | null> {
    try {
      return await store.getLabelAnswer(key);
    } catch (error) {
      logger?.warn({ model, err: describe(error) }, "second opinion cache unreadable; asking");
      return null;
    }
  }
  async function keep(answer: LabelAnswer): Promise<void> {
    try {
      await store.putLabelAnswer(answer, options.cacheTtlSeconds);
    } catch (error) {
      logger?.warn({ model, err: describe(error) }, "second opinion not cached");
    }
  }

  const wanted = (local: Pick<LocalLabel, "confidence">) => local.confidence < options.below;

  return {
    model,
    wanted,
    async decide(prompt, local, { scope, signal }) {
      if (!wanted(local)) return localVerdict(local);
      const key = labelAnswerKey(prompt, model, scope);
      const kept = await cached(key);
      if (kept) return modelVerdict(local, kept, { model, costUsd: 0, cached: true });

      const fallBack = (problem: string, costUsd: number): Verdict => {
        logger?.warn(
          { model, err: problem, costUsd, local: `${local.domain}/${local.subcategory}` },
          "second opinion unusable; the local label stands",
        );
        return {
          ...localVerdict(local),
          secondOpinion: { model, costUsd, cached: false, error: problem },
        };
      };
      let response: Awaited<ReturnType<typeof client.models.generateContent>>;
      try {
        response = await client.models.generateContent({
          model,
          contents: [{ role: "user", parts: [{ text: prompt }] }],
          config: {
            systemInstruction: SYSTEM_INSTRUCTION,
            responseMimeType: "application/json",
            responseSchema: RESPONSE_SCHEMA,
            maxOutputTokens: MAX_OUTPUT_TOKENS,
            httpOptions: http,
            ...(signal ? { abortSignal: signal } : {}),
          },
        });
      } catch (error) {
        // A cancelled generation stops here; it has no label to fall back to.
        if (signal?.aborted) throw error;
        // Google bills no answer it did not give.
        return fallBack(`${model} call failed: ${describe(error)}`, 0);
      }
      // An answer that came back was billed, used or not.
      const costUsd = costOf(response.usageMetadata, price);
      const checked = checkAnswer(response.text);
      if (!checked.ok) return fallBack(checked.problem, costUsd);
      const answer: LabelAnswer = {
        key,
        model,
        domain: checked.domain,
        subcategory: checked.subcategory,
        reason: checked.reason,
        costUsd,
        createdAt: new Date().toISOString(),
      };
      await keep(answer);
      return modelVerdict(local, answer, { model, costUsd, cached: false });
    },
  };
}
