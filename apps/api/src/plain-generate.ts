import type { IncomingMessage, ServerResponse } from "node:http";
import { hashApiKey } from "@nanobanana/domain";
import { AppError, unauthorized } from "@nanobanana/errors";
import { type Logger, traceBindings } from "@nanobanana/logger";
import type { RequestHandler } from "express";
import type { KeyResolver } from "./auth.ts";
import { MAX_BODY_BYTES } from "./body-limits.ts";
import { jsonNestsDeeperThan, MAX_JSON_DEPTH, sendError } from "./http-errors.ts";
import { measureRequest } from "./http-metrics.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { type LoggedFacts, logRequest, requestIdFor } from "./request-log.ts";
import {
  acceptGeneration,
  baseUrlFor,
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
  /** Express's "trust proxy": with a proxy believed, the scheme is Express's to work out. */
  trustProxy?: boolean | number | string[];
}

const JSON_TYPE = /^application\/json\s*(;\s*charset="?utf-8"?\s*)?$/i;
const BEARER = /^Bearer\s+(\S+)$/i;

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
 * set an acceptance apart from a bare handler (issue 17). Plain means a known-length JSON
 * body and no header that asks for more: with an Idempotency-Key, Prefer, Cancel-After or
 * Content-Encoding, or anything else unusual, the request goes to Express, which serves every
 * form of the route. Both run the same code for each step: the key resolver, the rate limiter,
 * recordToGenerate and acceptGeneration, sendError, logRequest and measureRequest.
 * Returns false for a request it leaves to Express.
 */
export function plainGenerate(
  deps: PlainGenerateDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const fixedHeaders = fixedHeadersOf(deps.securityHeaders);
  const schemeKnown = deps.publicUrl !== undefined || !deps.trustProxy;
  return (req, res) => {
    const h = req.headers;
    const length = Number(h["content-length"]);
    if (
      req.method !== "POST" ||
      req.url !== "/generate" ||
      !schemeKnown ||
      !(length > 0 && length <= MAX_BODY_BYTES) ||
      h["transfer-encoding"] !== undefined ||
      h["content-encoding"] !== undefined ||
      h["idempotency-key"] !== undefined ||
      h.prefer !== undefined ||
      h["cancel-after"] !== undefined ||
      !JSON_TYPE.test(h["content-type"] ?? "")
    ) {
      return false;
    }
    for (const [name, value] of fixedHeaders) res.setHeader(name, value);
    measureRequest(req, res, () => "/generate");
    const trace = traceBindings(deps.logger, h);
    const requestId = requestIdFor(req, res);
    const facts: LoggedFacts = {};
    logRequest(deps.logger, req, res, { requestId, url: req.url, trace, facts: () => facts });
    const refuse = (error: unknown) =>
      sendError(error, req, res, deps.logger.child({ requestId, ...trace }));

    const chunks: Buffer[] = [];
    let received = 0;
    req.on("data", (chunk: Buffer) => {
      received += chunk.length;
      // More than Content-Length said: Node's parser would not allow it; never buffer on.
      if (received > length) req.destroy();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      accept(raw, h.authorization, h.host, facts, res).then(
        ({ statusUrl, body }) => {
          const text = JSON.stringify(body);
          res.writeHead(202, {
            Location: statusUrl,
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": Buffer.byteLength(text),
          });
          res.end(text);
        },
        (error: unknown) => refuse(error),
      );
    });
    return true;
  };

  async function accept(
    raw: Buffer,
    authorization: string | undefined,
    host: string | undefined,
    facts: LoggedFacts,
    res: ServerResponse,
  ) {
    const token = authorization?.match(BEARER)?.[1];
    if (!token) throw unauthorized("send your API key as Authorization: Bearer <key>");
    const caller = await deps.resolveKey(hashApiKey(token));
    if (!caller) throw unauthorized("that API key is not known (or was revoked)");
    facts.userId = caller.userId;
    // The preferences are read while the request is counted: two round trips at once, not
    // one after the other. (Read in vain when the limit refuses; caught here so that is quiet.)
    const preferences = deps.store.getPreferences(caller.userId);
    preferences.catch(() => undefined);
    const verdict = await deps.rateLimit?.(caller.keyId, "requests");
    if (verdict)
      for (const [name, value] of Object.entries(verdict.headers)) res.setHeader(name, value);
    if (verdict?.refusal) throw verdict.refusal;
    const body = parseJsonObject(raw);
    const record = await recordToGenerate(deps, caller.userId, body, {
      cancelAfter: undefined,
      preferences,
    });
    facts.generationId = record.id;
    const { statusUrl, response } = await acceptGeneration(
      deps,
      record,
      baseUrlFor(deps.publicUrl, "http", host),
      undefined,
    );
    return { statusUrl, body: response.body };
  }
}

/** As express.json({ strict: true }) with verifyJsonBody: an object or array, UTF-8, shallow. */
function parseJsonObject(raw: Buffer): unknown {
  if (jsonNestsDeeperThan(raw, MAX_JSON_DEPTH)) {
    throw new AppError(
      "INVALID_REQUEST",
      `the body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    );
  }
  const text = raw.toString("utf8");
  const first = text.trimStart()[0];
  try {
    if (first !== "{" && first !== "[") throw new SyntaxError("not an object or array");
    return JSON.parse(text);
  } catch {
    throw new AppError("INVALID_REQUEST", "the body is not valid JSON");
  }
}
