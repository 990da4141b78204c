/**
 * One error base for the whole service. `code` is stable (clients switch on it);
 * `status` is the HTTP status the API answers with; `retryable` tells the worker
 * whether another attempt could succeed.
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SERVICE_UNAVAILABLE: 503,
  // Outcomes of a generation; they reach HTTP only inside a record, 422/502 if thrown.
  SAFETY_BLOCKED: 422,
  BUDGET_EXCEEDED: 402,
  CANCELED: 409,
  PROVIDER_ERROR: 502,
  /** Economy: not drawn by its deadline, and the request said `onDeadline: "fail"`. */
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface AppErrorOptions {
  retryable?: boolean;
  details?: unknown;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Keep instanceof working across transpilation targets and name the class in stacks.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): { code: ErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

export const invalidRequest = (message: string, details?: unknown) =>
  new AppError("INVALID_REQUEST", message, { details });
export const notFound = (message: string) => new AppError("NOT_FOUND", message);
export const forbidden = (message: string) => new AppError("FORBIDDEN", message);
export const unauthorized = (message: string) => new AppError("UNAUTHORIZED", message);
export const serviceUnavailable = (message: string, cause?: unknown) =>
  new AppError("SERVICE_UNAVAILABLE", message, { retryable: true, cause });

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** Any thrown value as an AppError; unknown failures become a retryable INTERNAL error. */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AppError("INTERNAL", message, { retryable: true, cause: error });
}
