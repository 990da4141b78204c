import { ApiError } from "@google/genai";

export { parseRetryAfter, TRANSIENT_STATUS } from "../retry.ts";

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
