import { createHash } from "node:crypto";
import type { ApiKeyEntry } from "@nanobanana/config";
import { forbidden, unauthorized } from "@nanobanana/errors";
import type { Request, RequestHandler } from "express";

export interface Caller {
  userId: string;
  admin: boolean;
  /** A short, non-secret name for the key (first 12 hex of its hash), for limits and logs. */
  keyId: string;
}

const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

/**
 * Bearer-key auth. Keys are held only as SHA-256 hashes and looked up by hash, so no
 * comparison ever runs over the secret itself (no timing side channel on the key).
 */
export function authenticate(keys: readonly ApiKeyEntry[]): RequestHandler {
  const byHash = new Map(
    keys.map((k) => {
      const hash = hashKey(k.key);
      return [hash, { userId: k.userId, admin: k.admin, keyId: hash.slice(0, 12) }];
    }),
  );
  return (req, _res, next) => {
    const header = req.get("authorization");
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) {
      throw unauthorized("send your API key as Authorization: Bearer <key>");
    }
    const caller = byHash.get(hashKey(match[1]));
    if (!caller) throw unauthorized("that API key is not known");
    res(req).caller = caller;
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
  if (userId !== caller.userId && !caller.admin) {
    throw forbidden("you can only see your own history, cost and settings (or use an admin key)");
  }
  return userId;
}
