import type { GenerationRecord } from "./types.ts";

/** The API's error codes (`{error:{code,message}}`), and the client's own for what never reached it. */
export type ErrorCode =
  | "INVALID_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL"
  // The client's own:
  | "CONNECTION_ERROR"
  | "ABORTED"
  | "TIMEOUT"
  | "GENERATION_FAILED"
  | "INVALID_RESPONSE"
  // Any other code a newer service may answer.
  | (string & {});

export interface ErrorDetails {
  status?: number | undefined;
  code: ErrorCode;
  message: string;
  /** The service's X-Request-Id for this request: quote it when reporting a problem. */
  requestId?: string | undefined;
  /** How long the service asked to wait before trying again (Retry-After), in ms. */
  retryAfterMs?: number | undefined;
  /** The generation this is about, when one was created: it is never lost. */
  generationId?: string | undefined;
  batchId?: string | undefined;
  /** The Idempotency-Key the create was sent with: send it again to get the same ids back. */
  idempotencyKey?: string | undefined;
  cause?: unknown;
}

/** Every error the client throws. `status` is the HTTP status when the API answered. */
export class NanoBananaError extends Error {
  readonly status: number | undefined;
  readonly code: ErrorCode;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  generationId: string | undefined;
  batchId: string | undefined;
  idempotencyKey: string | undefined;

  constructor(details: ErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.generationId = details.generationId;
    this.batchId = details.batchId;
    this.idempotencyKey = details.idempotencyKey;
  }
}

/** 400 (and 413, 415): the request is wrong; sending it again will not help. */
export class InvalidRequestError extends NanoBananaError {}
/** 401: no key, or a key the service does not know. */
export class AuthenticationError extends NanoBananaError {}
/** 403: someone else's resource without an admin key. */
export class PermissionDeniedError extends NanoBananaError {}
/** 404: no such generation, batch or route (or not yours). */
export class NotFoundError extends NanoBananaError {}
/** 409: the image of an unfinished generation, a cancel too late, an Idempotency-Key clash. */
export class ConflictError extends NanoBananaError {}
/** 429, after the client's own retries: see `retryAfterMs`. */
export class RateLimitError extends NanoBananaError {}
/** 5xx, after the client's own retries. */
export class ServiceUnavailableError extends NanoBananaError {}
/** The service could not be reached (DNS, refused, reset), after the client's own retries. */
export class ConnectionError extends NanoBananaError {}
/** The caller's AbortSignal fired. `generationId` says which generation, if one was created. */
export class AbortedError extends NanoBananaError {}
/** `timeoutMs` passed. `generationId` says which generation is still running. */
export class TimeoutError extends NanoBananaError {}
/** What `run()` throws when the generation ended failed or canceled: `record` has the details. */
export class GenerationFailedError extends NanoBananaError {
  readonly record: GenerationRecord;
  constructor(record: GenerationRecord) {
    super({
      code: "GENERATION_FAILED",
      message:
        record.status === "canceled"
          ? `generation ${record.id} was canceled`
          : `generation ${record.id} failed: ${record.error?.code ?? "UNKNOWN"}: ${record.error?.message ?? "no reason given"}`,
      generationId: record.id,
      batchId: record.batchId ?? undefined,
    });
    this.record = record;
  }
}

/** Giving up waiting, by signal or by timeout: both carry the generation id. */
export type WaitAbortedError = AbortedError | TimeoutError;

/** The error class for an HTTP status, as the API documents its codes. */
export function errorFor(details: ErrorDetails & { status: number }): NanoBananaError {
  switch (details.status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return new InvalidRequestError(details);
    case 401:
      return new AuthenticationError(details);
    case 403:
      return new PermissionDeniedError(details);
    case 404:
      return new NotFoundError(details);
    case 409:
      return new ConflictError(details);
    case 429:
      return new RateLimitError(details);
    default:
      return details.status >= 500
        ? new ServiceUnavailableError(details)
        : new NanoBananaError(details);
  }
}
