import { AppError } from "@nanobanana/errors";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { parseRetryAfter, TRANSIENT_STATUS, TransientError } from "../retry.ts";

/** OpenAI's error body, as the SDK keeps it in `APIError.error`. */
interface OpenAIErrorBody {
  message?: string;
  type?: string;
  code?: string | null;
  moderation_details?: { moderation_stage?: string; categories?: string[] };
}

/** Refusals on policy grounds: the image models' safety system, and the older images' name for it. */
const SAFETY_CODES = new Set(["moderation_blocked", "content_policy_violation"]);

/** "1s", "6m0s", "20ms", "1h2m3.5s": how x-ratelimit-reset-* say how long until a limit resets. */
export function parseResetDuration(value: string | null): number | undefined {
  if (!value) return undefined;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) return undefined;
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
  return Math.round(
    parts.reduce((ms, [, n, unit = "s"]) => ms + Number(n) * (unitMs[unit] ?? 0), 0),
  );
}

/**
 * How long OpenAI asked us to wait: retry-after-ms, else retry-after, else the reset of each
 * limit that is used up (x-ratelimit-remaining-X of 0 → x-ratelimit-reset-X), the longest.
 */
export function openAIRetryAfterMs(headers: Headers | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = parseRetryAfter(headers.get("retry-after"));
  if (retryAfter !== undefined) return retryAfter;
  const resets: number[] = [];
  headers.forEach((value, name) => {
    const limit = name.match(/^x-ratelimit-remaining-(.+)$/)?.[1];
    if (limit && value.trim() === "0") {
      const reset = parseResetDuration(headers.get(`x-ratelimit-reset-${limit}`));
      if (reset !== undefined) resets.push(reset);
    }
  });
  return resets.length ? Math.max(...resets) : undefined;
}

/** What went wrong, in OpenAI's own sentence where it gave one. */
export function describe(error: unknown): string {
  if (error instanceof APIError) {
    const body = error.error as OpenAIErrorBody | undefined;
    if (body?.message) return body.message;
  }
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}

/**
 * An error from the SDK as the retry loop takes it: a TransientError for what another call may
 * mend (408, 429, 5xx, timeouts, resets), an AppError for what it cannot: a refusal
 * (SAFETY_BLOCKED), an account out of credit, a model OpenAI does not serve, a bad request.
 */
export function classify(
  error: unknown,
  model: string,
  context: { timeoutMs: number; models: readonly string[] },
): Error {
  if (error instanceof AppError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new TransientError(`${model} did not answer within ${context.timeoutMs} ms`, undefined);
  }
  if (error instanceof APIConnectionError || !(error instanceof APIError) || !error.status) {
    // Connection resets and answers the SDK could not read: worth another try.
    return new TransientError(`${model} call failed: ${describe(error)}`, undefined);
  }
  const body = error.error as OpenAIErrorBody | undefined;
  const code = body?.code ?? error.code ?? undefined;
  if (error.status === 400 && code && SAFETY_CODES.has(code)) {
    const stage = body?.moderation_details?.moderation_stage;
    const categories = body?.moderation_details?.categories?.join(", ");
    return new AppError(
      "SAFETY_BLOCKED",
      `${model} would not draw this: OpenAI's safety system refused the ${stage === "output" ? "drawing" : "prompt"}${categories ? ` (${categories})` : ""}. Rephrase the prompt without the flagged content and submit again.`,
      // The prompt passed and the picture drawn from it did not: a plainer brief may pass.
      stage === "output" ? { details: { refusedImage: true } } : {},
    );
  }
  if (error.status === 429 && code === "insufficient_quota") {
    return new AppError(
      "PROVIDER_ERROR",
      `OpenAI refused ${model}: the account is out of credit (insufficient_quota). Add credit or raise the project's budget; no retry can mend it.`,
    );
  }
  if (TRANSIENT_STATUS.has(error.status)) {
    return new TransientError(
      `${model} answered ${error.status}: ${describe(error)}`,
      openAIRetryAfterMs(error.headers),
    );
  }
  if (error.status === 404) {
    return new AppError(
      "PROVIDER_ERROR",
      `${model} is not available (404: ${describe(error)}); change the setting that names it to a model OpenAI serves: ${context.models.join(", ")}`,
    );
  }
  return new AppError(
    "PROVIDER_ERROR",
    `${model} refused the request (${error.status}${code ? ` ${code}` : ""}): ${describe(error)}`,
  );
}
