import type { Preferences } from "@nanobanana/domain";
import { coalesce } from "../coalesce.ts";
import type { PreferenceStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

/** Preferences in Redis: `user:{userId}:prefs`, JSON. */
export function redisPreferenceStore({ redis, k }: RedisContext): PreferenceStore {
  // Every request that creates reads its user's preferences: the reads of requests that
  // arrive together go as one MGET.
  const read = coalesce((keys: string[]) => redis.mget(...keys));
  return {
    async getPreferences(userId) {
      const raw = await read(k.prefs(userId));
      return raw ? (JSON.parse(raw) as Preferences) : {};
    },
    async setPreferences(userId, preferences) {
      await redis.set(k.prefs(userId), JSON.stringify(preferences));
    },
  };
}
