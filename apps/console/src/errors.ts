/**
 * An error from the SDK in plain words. The SDK throws typed errors with `code` and `message`
 * (the API's own message when it answered); the page shows the message, with a hint for the
 * codes a person can do something about.
 */
export interface Explained {
  /** The hint, or a general "Something went wrong." */
  title: string;
  /** What a person can do about it, when the code says. */
  hint: string | null;
  /** The API's (or the client's) own message. */
  detail: string;
  code: string | null;
}

const HINTS: Record<string, string> = {
  UNAUTHORIZED: "Check the key, or sign in again with a valid one.",
  FORBIDDEN: "This needs an admin key.",
  NOT_FOUND: "It does not exist, or it is not yours.",
  RATE_LIMITED: "Too many requests in a minute. Wait a moment and try again.",
  SERVICE_UNAVAILABLE: "The service is unavailable just now. Try again shortly.",
  CONNECTION_ERROR: "The API could not be reached. Is the server running?",
  TIMEOUT: "The API took too long to answer.",
  PAYLOAD_TOO_LARGE: "That is too large for the API.",
  UNSUPPORTED_MEDIA_TYPE: "That file type is not supported.",
  BUDGET_EXCEEDED: "Your monthly budget is used up.",
  SAFETY_BLOCKED: "The model refused this prompt for safety reasons.",
};

export function explain(error: unknown): Explained {
  const e = error as { code?: unknown; message?: unknown; record?: { error?: unknown } } | null;
  // A generation that ended failed carries its record's own error code.
  const recordError = e?.record?.error as { code?: string; message?: string } | null | undefined;
  const code =
    typeof recordError?.code === "string"
      ? recordError.code
      : typeof e?.code === "string"
        ? e.code
        : null;
  const message =
    typeof recordError?.message === "string"
      ? recordError.message
      : typeof e?.message === "string" && e.message
        ? e.message
        : String(error);
  const hint = code ? HINTS[code] : undefined;
  return { title: hint ?? "Something went wrong.", hint: hint ?? null, detail: message, code };
}

export const isAbort = (error: unknown): boolean => {
  const e = error as { name?: string; code?: string } | null;
  return e?.name === "AbortError" || e?.code === "ABORTED";
};
