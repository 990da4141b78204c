import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { CacheEntry } from "@nanobanana/domain";
import type { CacheStore } from "@nanobanana/store";

/** Everything that decides the picture; nothing else (not the user, not the metadata). */
export interface CacheKeyParts {
  enhancedPrompt: string;
  quality: string;
  model: string;
  aspectRatio: string;
  /** Output size (512, 1K, 2K, 4K). */
  imageSize: string;
  /** The reference images' sha256, in order ("" for none). */
  references: string;
  format: string;
  provider: string;
  /** The template's id@version: editing wording invalidates what it drew. */
  template: string;
  /** Whose cache this is ("user:{id}"); absent when the deployment shares one (CACHE_SCOPE). */
  scope?: string;
}

/** sha256 over a canonical (key-sorted) JSON of the parts. */
export function cacheKeyFor(parts: CacheKeyParts): string {
  const canonical = JSON.stringify(
    Object.fromEntries(Object.entries(parts).sort(([a], [b]) => (a < b ? -1 : 1))),
  );
  return createHash("sha256").update(canonical).digest("hex");
}

export type CacheClaim =
  | { kind: "hit"; entry: CacheEntry }
  | { kind: "owner" }
  | { kind: "gave_up_waiting" };

// Long enough for a slow model call with its retries; if the owner dies, a waiter takes over.
export const CACHE_LOCK_MS = 5 * 60_000;
const POLL_MS = 100;

/**
 * Identical requests in flight share one provider call: the first takes the key's lock and
 * draws; the others wait for its cache entry. If the owner fails (lock released or lapsed,
 * no entry), the next waiter takes the lock and draws instead.
 */
export async function claimOrWait(
  store: CacheStore,
  key: string,
  owner: string,
  options: { signal?: AbortSignal } = {},
): Promise<CacheClaim> {
  const deadline = Date.now() + CACHE_LOCK_MS;
  for (;;) {
    const entry = await store.getCacheEntry(key);
    if (entry) return { kind: "hit", entry };
    if (await store.acquireCacheLock(key, owner, CACHE_LOCK_MS)) {
      // The owner before us may have finished between our read and our lock.
      const late = await store.getCacheEntry(key);
      if (late) {
        await store.releaseCacheLock(key, owner);
        return { kind: "hit", entry: late };
      }
      return { kind: "owner" };
    }
    if (Date.now() > deadline) return { kind: "gave_up_waiting" };
    await sleep(POLL_MS, undefined, options.signal ? { signal: options.signal } : {});
  }
}
