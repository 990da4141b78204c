import type { CacheEntry } from "@nanobanana/domain";
import type { CacheStore } from "../store.ts";
import { expiresIn, type FirestoreContext, toDate } from "./shared.ts";

/** Cache entries (cache/{key}) and their leases (cacheLocks/{key}) in Firestore, with expiresAt. */
export function firestoreCacheStore({ db, collections }: FirestoreContext): CacheStore {
  const { cache, cacheLocks } = collections;
  return {
    async getCacheEntry(key) {
      const snap = await cache.doc(key).get();
      const data = snap.data() as (CacheEntry & { expiresAt: Date }) | undefined;
      if (!data || toDate(data.expiresAt) < new Date()) return null;
      const { expiresAt: _expiresAt, ...entry } = data;
      return entry;
    },
    async putCacheEntry(entry, ttlSeconds) {
      await cache.doc(entry.key).set({ ...entry, expiresAt: expiresIn(ttlSeconds) });
    },
    async acquireCacheLock(key, owner, ttlMs) {
      const ref = cacheLocks.doc(key);
      return db.runTransaction(async (tx) => {
        const held = (await tx.get(ref)).data() as { owner: string; expiresAt: Date } | undefined;
        // Re-entrant for its owner (a generation re-run after its worker died).
        if (held && held.owner !== owner && toDate(held.expiresAt) > new Date()) return false;
        tx.set(ref, { owner, expiresAt: new Date(Date.now() + ttlMs) });
        return true;
      });
    },
    async releaseCacheLock(key, owner) {
      const ref = cacheLocks.doc(key);
      await db.runTransaction(async (tx) => {
        if ((await tx.get(ref)).get("owner") === owner) tx.delete(ref);
      });
    },
  };
}
