import { AppError, isAppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { z } from "zod";

/** Zod issues as one readable line: "items[2].prompt: prompt must not be empty; quality: …". */
export function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
        .join("");
      const message =
        issue.code === "unrecognized_keys"
          ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`
          : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join("; ");
}

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined) {
    throw new AppError("INVALID_REQUEST", "send a JSON body with Content-Type: application/json");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new AppError("INVALID_REQUEST", describeIssues(parsed.error.issues));
  return parsed.data;
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new AppError("NOT_FOUND", `no route ${req.method} ${req.path}`));
};

/**
 * Redis or Firestore unreachable: the request could not be recorded, so it is a 503 the
 * client may retry, never a 500. (ioredis: offline or out of retries; gRPC 14: UNAVAILABLE.)
 */
export function isBackendUnavailable(error: unknown): boolean {
  const e = error as { name?: string; message?: string; code?: string | number } | null;
  if (!e) return false;
  return (
    e.name === "MaxRetriesPerRequestError" ||
    e.code === "ECONNREFUSED" ||
    e.code === "ECONNRESET" ||
    e.code === 14 ||
    /Connection is closed|enableOfflineQueue|Stream isn't writeable/.test(e.message ?? "")
  );
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

/** The one place errors become HTTP: `{error:{code,message}}`, never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const parserError = err as BodyParserError;
    let error: AppError;
    if (isAppError(err)) {
      error = err;
    } else if (parserError.type === "entity.parse.failed") {
      error = new AppError("INVALID_REQUEST", "the body is not valid JSON");
    } else if (parserError.type === "entity.too.large") {
      error = new AppError(
        "PAYLOAD_TOO_LARGE",
        `the body is larger than ${parserError.limit} bytes`,
      );
    } else if (isBackendUnavailable(err)) {
      error = new AppError(
        "SERVICE_UNAVAILABLE",
        "our storage is unreachable right now; nothing was accepted, try again shortly",
        { retryable: true, cause: err },
      );
    } else if (
      parserError.type === "charset.unsupported" ||
      parserError.type === "encoding.unsupported"
    ) {
      error = new AppError("UNSUPPORTED_MEDIA_TYPE", "send the body as UTF-8 JSON");
    } else {
      error = new AppError("INTERNAL", "something went wrong on our side; it has been logged", {
        cause: err,
      });
    }
    const log = (req as { log?: Logger }).log ?? logger;
    if (error.status >= 500) log.error({ err, code: error.code }, "request failed");
    else log.info({ code: error.code, message: error.message }, "request refused");
    if (res.headersSent) return;
    res.status(error.status).json({ error: { code: error.code, message: error.message } });
  };
}
