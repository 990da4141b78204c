import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "@nanobanana/errors";
import { type Logger, traceBindings } from "@nanobanana/logger";
import encodeUrl from "encodeurl";
import type { RequestHandler } from "express";
import { callerFor, type KeyResolver } from "./auth.ts";
import { MAX_BODY_BYTES } from "./body-limits.ts";
import { refuseDeepJson, sendError } from "./http-errors.ts";
import { measureRequest } from "./http-metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { type LoggedFacts, logRequest, requestIdFor } from "./request-log.ts";
import {
  acceptGeneration,
  baseUrlFor,
  GENERATE_OPTION_HEADERS,
  type GenerationRouteDeps,
  recordToGenerate,
} from "./routes/generations.ts";

export interface PlainGenerateDeps
  extends Pick<
    GenerationRouteDeps,
    "store" | "blobs" | "offer" | "models" | "webhooks" | "economy" | "accept" | "publicUrl"
  > {
  resolveKey: KeyResolver;
  rateLimit?: RateLimiter | undefined;
  logger: Logger;
  /** The app's own security headers (helmet's), answered with every response. */
  securityHeaders: RequestHandler;
  /**
   * Express's compiled "trust proxy" (app.get("trust proxy fn")): whether the hop at `addr` is a
   * proxy whose X-Forwarded-Proto is believed. None: no proxy is.
   */
  trustProxy?: ((addr: string | undefined, hop: number) => boolean) | undefined;
}

const JSON_TYPE = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;

/**
 * The headers a middleware sets on every response (helmet's), found once by running it
 * against a stand-in response, so the plain path answers them without running it each time.
 */
function fixedHeadersOf(middleware: RequestHandler): Array<[string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: unknown) => headers.set(name, String(value)),
    removeHeader: (name: string) => headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  middleware({ headers: {} } as never, res as never, () => undefined);
  return [...headers];
}

/**
 * POST /generate in its plain form served on Node's request before Express sees it: the
 * service's busiest request, and Express's own per-request work (its request and response
 * prototypes, a router walking some twenty layers, its response helpers) was most of what
 * set an acceptance apart from a bare handler (issue 17). Plain means a JSON body of known
 * length and none of the route's option headers (GENERATE_OPTION_HEADERS) or a
 * Content-Encoding: anything else goes to Express, which serves every form of the route.
 * Both run the same code for each step: callerFor, the rate limiter, recordToGenerate and
 * acceptGeneration, sendError, logRequest and measureRequest. Returns false for a request it
 * leaves to Express.
 */
export function plainGenerate(
  deps: PlainGenerateDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const fixedHeaders = fixedHeadersOf(deps.securityHeaders);
  const isPlain = (req: IncomingMessage, length: number) => {
    const h = req.headers;
    return (
      req.method === "POST" &&
      req.url === "/generate" &&
      length > 0 &&
      length <= MAX_BODY_BYTES &&
      h["transfer-encoding"] === undefined &&
      h["content-encoding"] === undefined &&
      GENERATE_OPTION_HEADERS.every((name) => h[name] === undefined) &&
      JSON_TYPE.test(h["content-type"] ?? "")
    );
  };
  // As Express's req.protocol: a believed proxy's X-Forwarded-Proto, else the socket's.
  const schemeOf = (req: IncomingMessage): "http" | "https" => {
    const own = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
    if (!deps.trustProxy?.(req.socket.remoteAddress, 0)) return own;
    const forwarded = String(req.headers["x-forwarded-proto"] ?? own);
    return forwarded.split(",")[0]?.trim() === "https" ? "https" : "http";
  };

  return (req, res) => {
    const length = Number(req.headers["content-length"]);
    if (!isPlain(req, length)) return false;
    for (const [name, value] of fixedHeaders) res.setHeader(name, value);
    // Labelled as Express labels it: by the route once the request reached it.
    let routed = false;
    measureRequest(req, res, () => (routed ? "/generate" : "unmatched"));
    const trace = traceBindings(deps.logger, req.headers);
    const requestId = requestIdFor(req, res);
    const facts: LoggedFacts = {};
    logRequest(deps.logger, req, res, { requestId, url: "/generate", trace, facts: () => facts });

    const serve = async (raw: Buffer) => {
      const caller = await callerFor(deps.resolveKey, req.headers.authorization);
      facts.userId = caller.userId;
      // The preferences are read while the request is counted: two round trips at once, not
      // one after the other. (Read in vain when the limit refuses: caught, so that is quiet.)
      const preferences = deps.store.getPreferences(caller.userId);
      preferences.catch(() => undefined);
      const verdict = await deps.rateLimit?.(caller.keyId, "requests");
      for (const [name, value] of Object.entries(verdict?.headers ?? {}))
        res.setHeader(name, value);
      if (verdict?.refusal) throw verdict.refusal;
      const body = parseJsonBody(raw);
      routed = true;
      const record = await recordToGenerate(deps, caller.userId, body, {
        cancelAfter: undefined,
        preferences,
      });
      facts.generationId = record.id;
      const { statusUrl, response } = await acceptGeneration(
        deps,
        record,
        baseUrlFor(deps.publicUrl, schemeOf(req), req.headers.host),
        undefined,
      );
      const text = JSON.stringify(response.body);
      res.writeHead(202, {
        Location: encodeUrl(statusUrl),
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
    };

    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      // More than Content-Length said: Node's parser would not allow it; never buffer on.
      if (received > length) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      serve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).catch(
        (error: unknown) => sendError(error, req, res, deps.logger.child({ requestId, ...trace })),
      );
    });
    return true;
  };
}

/**
 * As express.json({ strict: true }) with verifyJsonBody reads a body: UTF-8 (a byte order
 * mark dropped), nested no deeper than MAX_JSON_DEPTH, an object or an array.
 */
function parseJsonBody(raw: Buffer): unknown {
  refuseDeepJson(raw);
  const text = raw.toString("utf8").replace(/^\uFEFF/, "");
  const first = text.trimStart()[0];
  try {
    if (first !== "{" && first !== "[") throw new SyntaxError("not an object or array");
    return JSON.parse(text);
  } catch {
    throw new AppError("INVALID_REQUEST", "the body is not valid JSON");
  }
}
