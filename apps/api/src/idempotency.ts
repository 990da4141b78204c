import { createHash } from "node:crypto";
import { AppError, invalidRequest } from "@nanobanana/errors";
import type { IdempotencyStore, StoredResponse } from "@nanobanana/store";
import type { Request, Response } from "express";
import { callerOf } from "./auth.ts";

/** JSON with sorted keys, so the same body always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** A claimed Idempotency-Key: the handler stores its answer together with what it accepts. */
export interface IdempotencyClaim {
  scope: string;
  key: string;
  fingerprint: string;
  ttlSeconds: number;
}

/**
 * Runs `handle` at most once per (user, Idempotency-Key): the same key with the same body
 * gets the first response again and enqueues nothing; with another body it is a 409.
 * A request that failed frees its key, so the client can retry with it. The claim lasts
 * `pendingSeconds` while the request runs (a crash frees the key within seconds); the
 * answer is kept `ttlSeconds`, written by the handler in the same step as what it accepts,
 * so a client whose connection died after acceptance gets its ids back on retry.
 */
export async function respondIdempotently(
  req: Request,
  res: Response,
  deps: { store: IdempotencyStore; ttlSeconds: number; pendingSeconds: number },
  handle: (claim: IdempotencyClaim | undefined) => Promise<StoredResponse>,
): Promise<void> {
  const key = req.get("idempotency-key");
  if (key === undefined) {
    const response = await handle(undefined);
    res.status(response.status).json(response.body);
    return;
  }
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw invalidRequest("Idempotency-Key must be 1-255 visible ASCII characters");
  }
  const scope = callerOf(req).userId;
  const fingerprint = createHash("sha256")
    .update(`${req.method} ${req.path} ${canonical(req.body)}`)
    .digest("hex");
  const reservation = await deps.store.reserveIdempotencyKey(
    scope,
    key,
    fingerprint,
    deps.pendingSeconds,
  );
  if (reservation.kind === "replay") {
    res
      .set("Idempotent-Replayed", "true")
      .status(reservation.response.status)
      .json(reservation.response.body);
    return;
  }
  if (reservation.kind === "mismatch") {
    throw new AppError(
      "CONFLICT",
      "this Idempotency-Key was already used with a different request body",
    );
  }
  if (reservation.kind === "in_progress") {
    res.set("Retry-After", "2");
    throw new AppError(
      "CONFLICT",
      "a request with this Idempotency-Key is still being processed; retry shortly",
    );
  }
  let response: StoredResponse;
  try {
    response = await handle({ scope, key, fingerprint, ttlSeconds: deps.ttlSeconds });
  } catch (error) {
    await deps.store.releaseIdempotencyKey(scope, key).catch(() => undefined);
    throw error;
  }
  await deps.store.completeIdempotencyKey(scope, key, response, deps.ttlSeconds);
  res.status(response.status).json(response.body);
}
