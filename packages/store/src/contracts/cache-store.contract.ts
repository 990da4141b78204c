import { newId } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { CacheStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

/** CacheStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeCacheStoreContract(name: string, makeStore: MakeStore<CacheStore>) {
  describe(`CacheStore contract: ${name}`, () => {
    it("keeps a cache entry and hands the lock to one owner at a time", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.getCacheEntry(key)).toBeNull();
      const entry = {
        key,
        image: {
          url: "/x",
          mimeType: "image/png",
          width: 1,
          height: 1,
          bytes: 1,
          sha256: "ab",
          key: "cache/x.png",
        },
        provider: "sketch",
        model: "sketch-v1",
        costUsd: 0.039,
        createdAt: new Date().toISOString(),
      };
      await store.putCacheEntry(entry, 60);
      expect(await store.getCacheEntry(key)).toEqual(entry);

      expect(await store.acquireCacheLock(key, "gen_a", 60_000)).toBe(true);
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(false);
      // The owner's re-run (after its worker died) takes its own lease back at once.
      expect(await store.acquireCacheLock(key, "gen_a", 60_000)).toBe(true);
      await store.releaseCacheLock(key, "gen_b");
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(false);
      await store.releaseCacheLock(key, "gen_a");
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(true);
    });

    it("lets a cache lock lapse after its lease", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.acquireCacheLock(key, "gen_a", 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.acquireCacheLock(key, "gen_b", 50)).toBe(true);
    });
  });
}
