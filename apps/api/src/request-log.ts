import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Logger, traceBindings } from "@nanobanana/logger";
import type { RequestHandler, Response } from "express";

// A caller's X-Request-Id is kept when sane, so their logs and ours line up.
const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** What a handler learned that the request's log line should name (res.locals.logged). */
export interface LoggedFacts {
  userId?: string;
  generationId?: string;
  batchId?: string;
}

/** Adds fields to the request's completion line (the caller, the generation it made). */
export function logFacts(res: Response, facts: LoggedFacts): void {
  const locals = res.locals as { logged?: LoggedFacts };
  locals.logged = { ...locals.logged, ...facts };
}

/**
 * One line a request when it ends, with its request id, the caller, what it made and how long
 * it took: "request completed" (info), "request errored" (error, for a 5xx) or "request
 * aborted" (warn, when the client hung up first). Sets X-Request-Id and answers it. Works on
 * Node's request and response, for Express and the plain POST /generate path alike.
 */
export function logRequest(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  options: {
    requestId: string;
    url: string;
    facts: () => LoggedFacts | undefined;
    trace: Record<string, unknown>;
  },
): void {
  const started = performance.now();
  const { requestId } = options;
  const line = (level: "info" | "warn" | "error", message: string) => {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        requestId,
        ...options.trace,
        ...options.facts(),
        req: { method: req.method, url: options.url },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(performance.now() - started),
      },
      message,
    );
  };
  res.once("finish", () =>
    line(
      res.statusCode >= 500 ? "error" : "info",
      res.statusCode >= 500 ? "request errored" : "request completed",
    ),
  );
  res.once("close", () => {
    if (!res.writableFinished) line("warn", "request aborted");
  });
}

/** The caller's X-Request-Id when sane, else a new one; answered as X-Request-Id. */
export function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers["x-request-id"];
  const requestId =
    typeof incoming === "string" && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader("X-Request-Id", requestId);
  return requestId;
}

/**
 * logRequest for every request Express serves. `req.log` is a child logger with the request
 * id (and trace), made only when a handler logs something of its own: most never do, and a
 * child made for every request was a visible share of a busy API's time. The health probe,
 * every few seconds, is not logged.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFor(req, res);
    const trace = traceBindings(logger, req.headers);
    let child: Logger | undefined;
    Object.defineProperty(req, "log", {
      configurable: true,
      get: () => {
        child ??= logger.child({ requestId, ...trace });
        return child;
      },
    });
    if (req.url !== "/health") {
      logRequest(logger, req, res, {
        requestId,
        url: req.originalUrl,
        trace,
        facts: () => (res.locals as { logged?: LoggedFacts }).logged,
      });
    }
    next();
  };
}
