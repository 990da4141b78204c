import type { EconomyStore, ProviderJobRecord } from "../store.ts";
import { encode, type RedisContext } from "./shared.ts";

// Joining twice adds once: the list holds each id once (LPOS before RPUSH, atomically).
//   KEYS: window list, windows set; ARGV: generation id, window
const JOIN = `
if redis.call('LPOS', KEYS[1], ARGV[1]) == false then
  redis.call('RPUSH', KEYS[1], ARGV[1])
end
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('LLEN', KEYS[1])
`;

// Up to ARGV[1] ids off the window's head, into a new job hash, in one step.
//   KEYS: window list, windows set, job hash, open jobs zset
//   ARGV: max, window, now ms, name, then the job's fields (without ids)
const TAKE = `
local ids = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #ids == 0 then
  redis.call('SREM', KEYS[2], ARGV[2])
  return nil
end
redis.call('LTRIM', KEYS[1], #ids, -1)
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
redis.call('HSET', KEYS[3], unpack(ARGV, 5))
redis.call('HSET', KEYS[3], 'ids', cjson.encode(ids), 'window', cjson.encode(ARGV[2]))
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[4])
return ids
`;

function decodeJob(hash: Record<string, string>): ProviderJobRecord | null {
  if (!hash.name) return null;
  return Object.fromEntries(
    Object.entries(hash).map(([k, v]) => [k, JSON.parse(v)]),
  ) as ProviderJobRecord;
}

/** Economy windows and batch jobs in Redis (layout: shared.ts). */
export function redisEconomyStore({ redis, k }: RedisContext): EconomyStore {
  return {
    async joinEconomyWindow(window, generationId) {
      return Number(
        await redis.eval(JOIN, 2, k.economyWindow(window), k.economyWindows, generationId, window),
      );
    },
    async takeEconomyWindow(window, max, job) {
      const ids = (await redis.eval(
        TAKE,
        4,
        k.economyWindow(window),
        k.economyWindows,
        k.providerJob(job.name),
        k.openProviderJobs,
        max,
        window,
        Date.now(),
        job.name,
        ...encode(job),
      )) as string[] | null;
      return ids ? { ...job, window, ids } : null;
    },
    async economyWindows() {
      return (await redis.smembers(k.economyWindows)).sort();
    },
    async getProviderJob(name) {
      return decodeJob(await redis.hgetall(k.providerJob(name)));
    },
    async updateProviderJob(name, patch) {
      const multi = redis
        .multi()
        .hset(k.providerJob(name), ...encode({ ...patch, updatedAt: new Date().toISOString() }));
      // An ended job is kept a week for inspection; its images are on their records.
      if (patch.state === "ended") {
        multi.zrem(k.openProviderJobs, name).expire(k.providerJob(name), 7 * 86_400);
      }
      await multi.exec();
    },
    async openProviderJobs(limit) {
      return redis.zrange(k.openProviderJobs, 0, limit - 1);
    },
  };
}
