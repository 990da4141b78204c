import { AppError } from "@nanobanana/errors";
import { parseRetryAfter, TRANSIENT_STATUS, TransientError } from "../retry.ts";

/** Stability's error body: `{id, name, errors}`. */
interface StabilityErrorBody {
  id?: string;
  name?: string;
  errors?: string[];
}

/** What Stability said, in its own words: "bad_request: prompt: cannot be empty". */
export function describeBody(status: number, text: string): { name?: string; said: string } {
  try {
    const body = JSON.parse(text) as StabilityErrorBody;
    if (body.name || body.errors?.length) {
      const said = `${body.name ?? status}${body.errors?.length ? `: ${body.errors.join("; ")}` : ""}`;
      return body.name ? { name: body.name, said } : { said };
    }
  } catch {
    // not JSON: quote it as it came
  }
  return { said: text.trim().slice(0, 200) || `${status} with no body` };
}

/**
 * How long to wait after a 429: Retry-After where Stability gives one, else `fallbackMs` (its
 * rate limit times a client out for 60 s, and says so only in words).
 */
export function stabilityRetryAfterMs(headers: Headers, fallbackMs: number): number {
  return parseRetryAfter(headers.get("retry-after")) ?? fallbackMs;
}

/**
 * A refused call as the retry loop takes it: a TransientError for what another call may mend
 * (408, 429, 5xx), an AppError for what it cannot: content moderation (SAFETY_BLOCKED), an
 * account out of credits (402), a model Stability does not serve, a bad request.
 */
export function classifyStatus(
  response: { status: number; headers: Headers },
  text: string,
  model: string,
  context: { rateLimitWaitMs: number; models: readonly string[] },
): Error {
  const { status } = response;
  const { name, said } = describeBody(status, text);
  if (status === 403 && name === "content_moderation") {
    return new AppError(
      "SAFETY_BLOCKED",
      `${model} would not draw this: Stability AI's content moderation flagged the request (${said}). Rephrase the prompt without the flagged content and submit again.`,
    );
  }
  if (status === 402) {
    return new AppError(
      "PROVIDER_ERROR",
      `Stability AI refused ${model}: the account is out of credits (402: ${said}). Buy credits; no retry can mend it.`,
    );
  }
  if (TRANSIENT_STATUS.has(status)) {
    return new TransientError(
      `${model} answered ${status}: ${said}`,
      status === 429
        ? stabilityRetryAfterMs(response.headers, context.rateLimitWaitMs)
        : parseRetryAfter(response.headers.get("retry-after")),
    );
  }
  if (status === 404) {
    return new AppError(
      "PROVIDER_ERROR",
      `${model} is not available (404: ${said}); change the setting that names it to a model Stability AI serves: ${context.models.join(", ")}`,
    );
  }
  return new AppError("PROVIDER_ERROR", `${model} refused the request (${status}): ${said}`);
}
