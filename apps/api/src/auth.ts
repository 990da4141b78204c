import type { ApiKeyEntry } from "@nanobanana/config";
import { hashApiKey, keyIdOf, USER_ID } from "@nanobanana/domain";
import { forbidden, invalidRequest, unauthorized } from "@nanobanana/errors";
import type { ApiKeyStore } from "@nanobanana/store";
import type { Request, RequestHandler } from "express";
import { logFacts } from "./request-log.ts";

export interface Caller {
  userId: string;
  admin: boolean;
  /** A short, non-secret name for the key (first 12 hex of its hash), for limits and logs. */
  keyId: string;
}

export type KeyResolver = (hash: string) => Promise<Caller | null>;

/**
 * Who a key's hash belongs to. Keys are held only as SHA-256 hashes and looked up by hash,
 * so no comparison ever runs over the secret itself (no timing side channel on the key).
 * Keys from API_KEYS are hashed once, here; keys made at run time live in the Store, hashed,
 * and a revoked one stops working on its next request.
 */
export function keyResolver(
  keys: readonly ApiKeyEntry[],
  store?: Pick<ApiKeyStore, "findApiKey">,
): KeyResolver {
  const byHash = new Map(
    keys.map((k) => {
      const hash = hashApiKey(k.key);
      return [hash, { userId: k.userId, admin: k.admin, keyId: keyIdOf(hash) }];
    }),
  );
  return async (hash) => {
    const configured = byHash.get(hash);
    if (configured) return configured;
    const stored = store ? await store.findApiKey(hash) : null;
    return stored && !stored.revokedAt
      ? { userId: stored.userId, admin: stored.admin, keyId: stored.keyId }
      : null;
  };
}

/** The caller an Authorization header names, or 401. */
export async function callerFor(
  resolve: KeyResolver,
  authorization: string | undefined,
): Promise<Caller> {
  const key = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!key) throw unauthorized("send your API key as Authorization: Bearer <key>");
  const caller = await resolve(hashApiKey(key));
  if (!caller) throw unauthorized("that API key is not known (or was revoked)");
  return caller;
}

/** Bearer-key auth. */
export function authenticate(resolve: KeyResolver): RequestHandler {
  return async (req, _res, next) => {
    const caller = await callerFor(resolve, req.get("authorization"));
    res(req).caller = caller;
    if (req.res) logFacts(req.res, { userId: caller.userId });
    next();
  };
}

const res = (req: Request) => req.res?.locals as { caller?: Caller };

export function callerOf(req: Request): Caller {
  const caller = res(req).caller;
  if (!caller) throw unauthorized("not authenticated");
  return caller;
}

/** Users see only their own things; admins see everyone's. `me` names the caller. */
export function resolveUserId(req: Request, requested: string): string {
  const caller = callerOf(req);
  const userId = requested === "me" ? caller.userId : requested;
  // The id reaches Redis keys and Firestore document paths: nothing but a plain user id.
  if (!USER_ID.test(userId)) throw invalidRequest(`"${userId.slice(0, 40)}" is not a user id`);
  if (userId !== caller.userId && !caller.admin) {
    throw forbidden("you can only see your own history, cost and settings (or use an admin key)");
  }
  return userId;
}
