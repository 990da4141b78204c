import type { CacheEntry } from "@nanobanana/domain";
import type { CacheStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

// A lease is re-entrant for its owner: a generation re-run after its worker died takes its
// own lease back instead of waiting for it to lapse.
const ACQUIRE_LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Cache entries (`cache:{key}`, with a TTL) and their leases (`cache:{key}:lock`) in Redis. */
export function redisCacheStore({ redis, k }: RedisContext): CacheStore {
  return {
    async getCacheEntry(key) {
      const raw = await redis.get(k.cache(key));
      return raw ? (JSON.parse(raw) as CacheEntry) : null;
    },
    async putCacheEntry(entry, ttlSeconds) {
      await redis.set(k.cache(entry.key), JSON.stringify(entry), "EX", ttlSeconds);
    },
    async acquireCacheLock(key, owner, ttlMs) {
      return (await redis.eval(ACQUIRE_LEASE, 1, k.cacheLock(key), owner, ttlMs)) === 1;
    },
    async releaseCacheLock(key, owner) {
      await redis.eval(RELEASE_IF_OWNER, 1, k.cacheLock(key), owner);
    },
  };
}
