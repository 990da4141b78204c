import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError, type ErrorCode, isAppError } from "@nanobanana/errors";
import type { Logger } from "@nanobanana/logger";
import type { ErrorRequestHandler, RequestHandler } from "express";
import { z } from "zod";

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
      // "imageSize: imageSize must be one of …" says the name twice; the schema's own
      // messages already start with it.
      const last = String(issue.path.at(-1) ?? "");
      if (path && last && message.startsWith(`${last} `)) {
        return `${path.slice(0, path.length - last.length)}${message}`;
      }
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

/**
 * A whole number in a query string, e.g. `limit: queryInt("limit", { min: 1, max: 100, default: 20 })`.
 * Absent: the default. Anything else that is not a plain decimal within the bounds (a repeated
 * parameter, "1.5", "1e2", "-1", "", 101) is refused with one message naming the bounds.
 */
export function queryInt(name: string, options: { min: number; max: number; default: number }) {
  const message = `${name} must be a whole number from ${options.min} to ${options.max}`;
  return z
    .string({ error: message })
    .transform((value, ctx): number => {
      const text = value.trim();
      const n = /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
      if (n >= options.min && n <= options.max) return n;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    })
    .default(options.default);
}

/**
 * The deepest a JSON body may nest arrays and objects. The API's own bodies are at most 5 deep
 * ({items:[{webhook:{events:[…]}}]}); the bound keeps JSON.parse, the schemas and the
 * idempotency fingerprint (canonical() in idempotency.ts recurses once per level) cheap and
 * off the end of the stack.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether raw JSON nests arrays/objects deeper than `max`, in one pass over the bytes that stops
 * at the first level too many. Brackets inside strings (escaped quotes included) do not count.
 * Exact for valid JSON and for every valid prefix of invalid JSON, which is all JSON.parse
 * reads before it fails. Works on UTF-8 bytes: every byte of a multi-byte character is >= 0x80,
 * so it never looks like a quote, backslash or bracket.
 */
export function jsonNestsDeeperThan(raw: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next byte is escaped, whatever it is
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * express.json's `verify` hook: runs on the raw body after it is read (and decompressed) and
 * before JSON.parse, so a body nested thousands deep is refused for the cost of a scan. The scan
 * reads UTF-8 bytes, so other charsets (UTF-16/32, which express.json would otherwise decode)
 * are refused; RFC 8259 asks for UTF-8 between systems anyway.
 */
export function verifyJsonBody(
  _req: IncomingMessage,
  _res: unknown,
  raw: Buffer,
  encoding: string | null,
): void {
  if (encoding !== null && encoding !== "utf-8") {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `send the body as UTF-8 JSON, not ${encoding}`);
  }
  refuseDeepJson(raw);
}

/** 400 for a raw JSON body nested deeper than MAX_JSON_DEPTH, for the cost of one scan. */
export function refuseDeepJson(raw: Uint8Array): void {
  if (jsonNestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    throw new AppError(
      "INVALID_REQUEST",
      `the body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    );
  }
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

interface HttpStyleError {
  /** body-parser / raw-body: "entity.parse.failed", "entity.too.large", … */
  type?: string;
  status?: number;
  statusCode?: number;
  /** http-errors: true when the message is meant for the client (4xx). */
  expose?: boolean;
  limit?: number;
  /** zlib: Z_DATA_ERROR, Z_BUF_ERROR, ERR__ERROR_FORMAT_…; ioredis/gRPC use it too. */
  code?: unknown;
  message?: string;
}

/** The codes a 4xx from a library (body-parser, the router) keeps its own status under. */
const CODE_OF_STATUS: Partial<Record<number, ErrorCode>> = {
  400: "INVALID_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
};

/** An error any part of the stack threw, as the AppError and HTTP status the client sees. */
function toHttpError(err: unknown, req: IncomingMessage): { error: AppError; status: number } {
  if (isAppError(err)) return { error: err, status: err.status };
  const e = (err ?? {}) as HttpStyleError;
  const refuse = (code: ErrorCode, message: string, retryable = false) => {
    const error = new AppError(code, message, { cause: err, retryable });
    return { error, status: error.status };
  };
  if (e.type === "entity.parse.failed")
    return refuse("INVALID_REQUEST", "the body is not valid JSON");
  if (e.type === "entity.too.large") {
    return refuse("PAYLOAD_TOO_LARGE", `the body is larger than ${e.limit} bytes`);
  }
  if (e.type === "charset.unsupported") {
    return refuse("UNSUPPORTED_MEDIA_TYPE", "send the body as UTF-8 JSON");
  }
  if (e.type === "encoding.unsupported") {
    return refuse(
      "UNSUPPORTED_MEDIA_TYPE",
      `Content-Encoding ${String(req.headers["content-encoding"]).slice(0, 40)} is not supported; send gzip, deflate, br or none`,
    );
  }
  if (isBackendUnavailable(err)) {
    return refuse(
      "SERVICE_UNAVAILABLE",
      "our storage is unreachable right now; nothing was accepted, try again shortly",
      true,
    );
  }
  const status = e.status ?? e.statusCode;
  if (err instanceof URIError && status === 400) {
    // The router could not decode a path parameter, e.g. GET /generation/%/status.
    return refuse(
      "INVALID_REQUEST",
      "the URL path has a malformed %-escape; send a literal % as %25",
    );
  }
  if (typeof status === "number" && status >= 400 && status < 500 && e.expose === true) {
    const encoding = req.headers["content-encoding"]?.slice(0, 40);
    if (
      status === 400 &&
      encoding &&
      typeof e.code === "string" &&
      /^(Z_|ERR_)/.test(e.code) &&
      e.type === undefined
    ) {
      // body-parser could not decompress: the body is not what Content-Encoding claims.
      return refuse(
        "INVALID_REQUEST",
        `the body is not valid ${encoding} data, as its Content-Encoding: ${encoding} says (${e.message})`,
      );
    }
    // Any other http-errors style 4xx keeps its status; its message was meant for the client.
    const code = CODE_OF_STATUS[status] ?? "INVALID_REQUEST";
    return { error: new AppError(code, e.message || "bad request", { cause: err }), status };
  }
  return refuse("INTERNAL", "something went wrong on our side; it has been logged");
}

/**
 * The one place errors become HTTP: `{error:{code,message}}`, never a stack trace. Written on
 * Node's response, so Express and the plain POST /generate path (plain-generate.ts) answer alike.
 */
export function sendError(
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  log: Pick<Logger, "error" | "info">,
): void {
  const { error, status } = toHttpError(err, req);
  if (status >= 500) log.error({ err, code: error.code }, "request failed");
  else log.info({ code: error.code, message: error.message }, "request refused");
  if (res.headersSent) return;
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) =>
    sendError(err, req, res, (req as { log?: Logger }).log ?? logger);
}
