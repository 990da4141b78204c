import type { Preferences } from "@nanobanana/domain";
import type { PreferenceStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

/** Preferences in Redis: `user:{userId}:prefs`, JSON. */
export function redisPreferenceStore({ redis, k }: RedisContext): PreferenceStore {
  return {
    async getPreferences(userId) {
      const raw = await redis.get(k.prefs(userId));
      return raw ? (JSON.parse(raw) as Preferences) : {};
    },
    async setPreferences(userId, preferences) {
      await redis.set(k.prefs(userId), JSON.stringify(preferences));
    },
  };
}
