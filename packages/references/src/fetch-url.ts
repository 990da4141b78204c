import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { AppError } from "@nanobanana/errors";
import {
  type CheckedTarget,
  checkTarget,
  pinnedLookup,
  type Resolver,
  TargetRefused,
} from "@nanobanana/webhooks";
import { REFERENCE_LIMITS } from "./limits.ts";
import { tooLarge } from "./uploads.ts";

export interface FetchOptions {
  /**
   * Lifts the guard's address and port checks, and lets plain http: through. For local
   * testing only (a test server on 127.0.0.1 has no certificate a client would trust); in
   * production reference URLs are https and public, as the request schema already says.
   */
  allowPrivate: boolean;
  /** Ports besides 80 and 443 a URL may name (the webhooks' WEBHOOK_PORTS list). */
  extraPorts?: readonly number[];
  /** DNS, replaceable in tests. */
  resolve?: Resolver;
}

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
}

export interface FetchedBody {
  bytes: Buffer;
  /** What the server said the body is; the real type is sniffed from the bytes. */
  contentType: string | undefined;
}

/** Statuses that say "not now" rather than "never": another attempt may get the image. */
const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/**
 * Fetches a reference image by URL, the way webhooks are sent: through the SSRF guard
 * (checkTarget) and connected to the address it checked (pinnedLookup), so DNS cannot be
 * rebound to a private address between check and connect. https only (http too when
 * `allowPrivate`, for tests), no redirects followed, one deadline for the whole exchange,
 * the body read only up to `maxBytes`.
 *
 * Failures are AppErrors that name the host: a refused target, a 3xx, a 4xx or a body too
 * large cannot succeed later (INVALID_REQUEST or PAYLOAD_TOO_LARGE, not retryable); a DNS
 * failure, a timeout, a connection error, 408/429 or a 5xx may (SERVICE_UNAVAILABLE,
 * retryable).
 */
export async function fetchReference(
  raw: string,
  options: FetchOptions,
  limits: FetchLimits = {
    maxBytes: REFERENCE_LIMITS.maxBytes,
    timeoutMs: REFERENCE_LIMITS.fetchTimeoutMs,
  },
): Promise<FetchedBody> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError("INVALID_REQUEST", `"${raw.slice(0, 100)}" is not a URL`);
  }
  const what = `reference image from ${url.host}`;
  const schemeAllowed =
    url.protocol === "https:" || (options.allowPrivate && url.protocol === "http:");
  if (!schemeAllowed) {
    throw new TargetRefused(what, `only https URLs are fetched, not ${url.protocol}`);
  }
  const target = await checkTarget(
    raw,
    {
      allowPrivate: options.allowPrivate,
      ...(options.resolve ? { resolve: options.resolve } : {}),
      ...(options.extraPorts ? { extraPorts: options.extraPorts } : {}),
    },
    { what, publicOnly: "reference images are fetched only from public addresses" },
  );
  return get(target, what, limits);
}

const unavailable = (what: string, reason: string, cause?: unknown) =>
  new AppError("SERVICE_UNAVAILABLE", `${what} could not be fetched: ${reason}; try again`, {
    retryable: true,
    cause,
  });

function get(target: CheckedTarget, what: string, limits: FetchLimits): Promise<FetchedBody> {
  const { url } = target;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      reject(error);
    };
    // One deadline for connect, headers and body: a server trickling a byte a second must not
    // hold a worker for longer than this either.
    const deadline = setTimeout(
      () => fail(unavailable(what, `no complete answer within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      {
        method: "GET",
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || (url.protocol === "https:" ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: { accept: "image/*", "user-agent": "NanoBanana-Reference/1" },
        lookup: pinnedLookup(target),
        agent: false,
      },
      (res) => {
        const refusal = refusalOf(res, what, limits);
        if (refusal) {
          res.resume();
          return fail(refusal);
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          // Stop reading at once: the rest of an oversized body is never buffered.
          if (received > limits.maxBytes)
            return fail(tooLarge(what, `more than ${limits.maxBytes}`));
          chunks.push(chunk);
        });
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve({ bytes: Buffer.concat(chunks), contentType: res.headers["content-type"] });
        });
        res.on("error", (error) => fail(unavailable(what, error.message, error)));
        res.on("close", () => {
          if (!res.complete) fail(unavailable(what, "the connection closed mid-body"));
        });
      },
    );
    req.on("error", (error) => fail(unavailable(what, connectionReason(error), error)));
    req.end();
  });
}

/** Why an answer's status or headers rule its body out, or null when the body is wanted. */
function refusalOf(res: IncomingMessage, what: string, limits: FetchLimits): AppError | null {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    return new AppError(
      "INVALID_REQUEST",
      `${what} answered ${status}, a redirect to ${String(res.headers.location ?? "?").slice(0, 200)}; redirects are not followed, link the image itself`,
    );
  }
  if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
    return unavailable(what, `it answered ${status}`);
  }
  if (status < 200 || status >= 300) {
    return new AppError(
      "INVALID_REQUEST",
      `${what} answered ${status}; link an image anyone can fetch`,
    );
  }
  const length = Number(res.headers["content-length"]);
  if (Number.isFinite(length) && length > limits.maxBytes) return tooLarge(what, length);
  return null;
}

function connectionReason(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${code} (${error.message})` : error.message;
}
