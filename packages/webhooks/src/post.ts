import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import type { CheckedTarget } from "./ssrf.ts";

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  /** From Retry-After on 429/503. */
  retryAfterMs: number | undefined;
  error: string | null;
  durationMs: number;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * A `lookup` for http(s).request that answers with the address the guard checked, never
 * asking DNS again: a DNS answer that changes between check and connect (rebinding) cannot
 * send the request to another address.
 */
export function pinnedLookup(target: CheckedTarget): LookupFunction {
  const [pinned] = target.addresses;
  return (_hostname, lookupOptions, callback) => {
    if (!pinned) return callback(new Error("no checked address"), "", 4);
    // Node asks for all addresses when autoSelectFamily is on.
    if ((lookupOptions as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(
        null,
        [pinned],
      );
    } else {
      callback(null, pinned.address, pinned.family);
    }
  };
}

/**
 * One POST to a checked target. The socket connects to the address that was checked
 * (pinnedLookup), so a DNS answer that changes between check and connect (rebinding)
 * cannot redirect the request. Redirects are not followed: a 3xx is a failed attempt.
 */
export function postWebhook(
  target: CheckedTarget,
  headers: Record<string, string>,
  body: string,
  settings: { timeoutMs: number },
): Promise<PostResult> {
  const started = performance.now();
  const url = target.url;
  const options: RequestOptions = {
    method: "POST",
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port || (url.protocol === "https:" ? 443 : 80),
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
    lookup: pinnedLookup(target),
    timeout: settings.timeoutMs,
    agent: false,
  };
  return new Promise((resolve) => {
    const finish = (result: Omit<PostResult, "durationMs">) =>
      resolve({ ...result, durationMs: Math.round(performance.now() - started) });
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(options, (res) => {
      let received = 0;
      // Read (and discard) the body so the socket closes cleanly; stop reading past a limit.
      res.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) res.destroy();
      });
      const done = () => {
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers["retry-after"];
        const seconds = retryAfter === undefined ? Number.NaN : Number(retryAfter);
        finish({
          ok: status >= 200 && status < 300,
          statusCode: status,
          retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
          error:
            status >= 300 && status < 400
              ? `redirect to ${res.headers.location ?? "?"} not followed`
              : null,
        });
      };
      res.on("end", done);
      res.on("close", done);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)));
    req.on("error", (error) =>
      finish({ ok: false, statusCode: null, retryAfterMs: undefined, error: error.message }),
    );
    req.end(body);
  });
}
