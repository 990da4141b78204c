import type { GenerationRecord } from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import type { Redis } from "ioredis";
import type { GenerationPatch, Page, Store, UpdateOptions } from "./store.ts";

// Each top-level field of a record is its own hash field holding JSON, so a patch is one
// HSET of just the changed fields, and the status check + write happen atomically in Lua.
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then
  local status = redis.call('HGET', KEYS[1], 'status')
  local allowed = false
  for s in string.gmatch(ARGV[1], '[^,]+') do
    if status == s then allowed = true end
  end
  if not allowed then return 0 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

function encode(fields: Record<string, unknown>): string[] {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => [k, JSON.stringify(v)]);
}

function decode(hash: Record<string, string>): GenerationRecord | null {
  if (!hash.id) return null;
  return Object.fromEntries(
    Object.entries(hash).map(([k, v]) => [k, JSON.parse(v)]),
  ) as unknown as GenerationRecord;
}

/**
 * Redis adapter. Layout under `prefix`:
 *   {prefix}:gen:{id}            hash, one JSON value per record field
 *   {prefix}:user:{userId}:gens  sorted set of ids, all score 0: ids are time-sortable,
 *                                so lexicographic order is creation order and the cursor is an id.
 */
export function createRedisStore(redis: Redis, prefix: string): Store {
  const genKey = (id: string) => `${prefix}:gen:${id}`;
  const historyKey = (userId: string) => `${prefix}:user:${userId}:gens`;

  return {
    name: "redis",
    async createGeneration(record) {
      await redis
        .multi()
        .hset(genKey(record.id), ...encode(record as unknown as Record<string, unknown>))
        .zadd(historyKey(record.userId), 0, record.id)
        .exec();
    },
    async getGeneration(id) {
      return decode(await redis.hgetall(genKey(id)));
    },
    async updateGeneration(id, patch: GenerationPatch, options: UpdateOptions = {}) {
      const fields = encode({ ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() });
      const allowed = (options.onlyIfStatusIn ?? []).map((s) => JSON.stringify(s)).join(",");
      const applied = await redis.eval(UPDATE_SCRIPT, 1, genKey(id), allowed, ...fields);
      return applied === 1;
    },
    async listHistory(userId, { limit, cursor }): Promise<Page<GenerationRecord>> {
      if (cursor !== undefined && !/^gen_[0-9a-z]{26}$/.test(cursor)) {
        throw invalidRequest("cursor is not one this API handed out");
      }
      const ids = await redis.zrevrangebylex(
        historyKey(userId),
        cursor ? `(${cursor}` : "+",
        "-",
        "LIMIT",
        0,
        limit + 1,
      );
      const pageIds = ids.slice(0, limit);
      const pipeline = redis.pipeline();
      for (const id of pageIds) pipeline.hgetall(genKey(id));
      const results = (await pipeline.exec()) ?? [];
      const items = results
        .map(([, hash]) => decode((hash ?? {}) as Record<string, string>))
        .filter((r): r is GenerationRecord => r !== null);
      return { items, nextCursor: ids.length > limit ? (pageIds.at(-1) ?? null) : null };
    },
    async ping() {
      await redis.ping();
    },
  };
}
