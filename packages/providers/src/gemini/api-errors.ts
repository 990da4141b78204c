import { ApiError } from "@google/genai";

// 408, 429 and 5xx may succeed later; every other status is the request's own fault.
export const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What went wrong, in Google's own sentence where it gave one. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    // The SDK puts Google's whole JSON error body in the message; the sentence inside is what helps.
    try {
      const body = JSON.parse(error.message) as { error?: { message?: string; status?: string } };
      if (body.error?.message) return `${body.error.status ?? "ERROR"}: ${body.error.message}`;
    } catch {
      // not JSON: fall through to the message as it is
    }
  }
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ? `${error.message} (${cause.code})` : error.message;
  }
  return String(error);
}
