import type { Redis } from "ioredis";
import type { StoreOptions } from "../store.ts";

const DEFAULT_RETENTION_SECONDS = 90 * 86_400;

/**
 * Redis adapter. Layout under `prefix`:
 *   gen:{id}                  hash, one JSON value per record field
 *   user:{userId}:gens        sorted set of generation ids, all score 0: ids sort by time,
 *                             so lexicographic order is creation order and a cursor is an id
 *   batch:{id}                hash, as a generation; batch:{id}:settled, set of finished item ids
 *   idem:{scope}:{key}        string JSON {fingerprint, response}, with a TTL
 *   user:{userId}:whsec       the webhook signing secret; user:{userId}:prefs (JSON);
 *   user:{userId}:templates   hash of custom templates by id
 *   apikeys                   hash: key hash → ApiKeyRecord (never the key itself)
 *   delivery:{id}             hash; user:{userId}:deliveries (zset by time); subject:{id}:deliveries (list)
 *   cache:{key}               string JSON CacheEntry with a TTL; cache:{key}:lock, the owner's id
 *   label:{key}               string JSON LabelAnswer (a second opinion on a prompt) with a TTL
 *   user:{userId}:cost:{period}  running totals (µ$) of a day, ISO week or month
 *   eco:window:{window}       list of economy generations waiting to be gathered; eco:windows, set
 *   eco:job:{name}            hash of an economy batch job; eco:jobs:open, zset of unended ones
 *   ops:{hour}                the service's outcomes, error codes and confidence of one UTC hour
 *   accepted:unenqueued       zset of acceptances whose jobs are not yet confirmed enqueued
 *   batches:open              zset of batches without completedAt; outbox, zset of ids to notify
 * Records, batches and deliveries expire after the retention; the indexes are trimmed to it.
 */
export function redisKeys(prefix: string) {
  return {
    pendingEnqueue: `${prefix}:accepted:unenqueued`,
    openBatches: `${prefix}:batches:open`,
    outbox: `${prefix}:outbox`,
    cost: (userId: string, period: string) => `${prefix}:user:${userId}:cost:${period}`,
    operations: (hour: string) => `${prefix}:ops:${hour}`,
    economyWindow: (window: string) => `${prefix}:eco:window:${window}`,
    economyWindows: `${prefix}:eco:windows`,
    providerJob: (name: string) => `${prefix}:eco:job:${name}`,
    openProviderJobs: `${prefix}:eco:jobs:open`,
    gen: (id: string) => `${prefix}:gen:${id}`,
    history: (userId: string) => `${prefix}:user:${userId}:gens`,
    batch: (id: string) => `${prefix}:batch:${id}`,
    settled: (id: string) => `${prefix}:batch:${id}:settled`,
    idem: (scope: string, key: string) => `${prefix}:idem:${scope}:${key}`,
    secret: (userId: string) => `${prefix}:user:${userId}:whsec`,
    previousSecret: (userId: string) => `${prefix}:user:${userId}:whsec:previous`,
    prefs: (userId: string) => `${prefix}:user:${userId}:prefs`,
    apiKeys: `${prefix}:apikeys`,
    templates: (userId: string) => `${prefix}:user:${userId}:templates`,
    delivery: (id: string) => `${prefix}:delivery:${id}`,
    userDeliveries: (userId: string) => `${prefix}:user:${userId}:deliveries`,
    subjectDeliveries: (id: string) => `${prefix}:subject:${id}:deliveries`,
    cache: (key: string) => `${prefix}:cache:${key}`,
    cacheLock: (key: string) => `${prefix}:cache:${key}:lock`,
    labelAnswer: (key: string) => `${prefix}:label:${key}`,
    templateStats: `${prefix}:template-stats`,
  };
}

/** What every part of the Redis adapter works with. */
export interface RedisContext {
  redis: Redis;
  /** The keys of the layout above, under the store's prefix. */
  k: ReturnType<typeof redisKeys>;
  /** How long records, batches and deliveries are kept. */
  retentionSeconds: number;
}

export function redisContext(redis: Redis, prefix: string, options: StoreOptions): RedisContext {
  return {
    redis,
    k: redisKeys(prefix),
    retentionSeconds: options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS,
  };
}

/**
 * HSET arguments: each top-level field its own hash field holding JSON, undefined ones left
 * out, and null ones too with `omitNull` (for a hash whose reads fill them back in).
 */
export function encode(fields: object, { omitNull = false } = {}): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && !(omitNull && v === null)) out.push(k, JSON.stringify(v));
  }
  return out;
}

/** The keys of T whose value may be null. */
export type NullableKey<T> = { [K in keyof T]-?: null extends T[K] ? K : never }[keyof T];

/** The hash's fields parsed; `absentAreNull` names the fields that are null when not stored. */
export function decode<T>(
  hash: Record<string, string> | null | undefined,
  absentAreNull?: Record<string, null>,
): T | null {
  if (!hash?.id) return null;
  // A plain loop: a batch's status decodes every item's record on each poll, and building
  // entry arrays for Object.fromEntries cost a third of that.
  const record: Record<string, unknown> = { ...absentAreNull };
  for (const key of Object.keys(hash)) record[key] = JSON.parse(hash[key] as string);
  return record as T;
}

/** The hashes at `keys`, decoded, in the same order, null where missing (one round trip). */
export async function readHashes<T>(
  redis: Redis,
  keys: string[],
  absentAreNull?: Record<string, null>,
): Promise<Array<T | null>> {
  if (keys.length === 0) return [];
  // One key needs no pipeline (on a connection BullMQ defined its scripts on, making one costs
  // more than the read itself).
  if (keys.length === 1) return [decode<T>(await redis.hgetall(keys[0] as string), absentAreNull)];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, hash]) => {
    if (error) throw error;
    return decode<T>(hash as Record<string, string>, absentAreNull);
  });
}

/** A MULTI whose every command succeeded, or the first error. */
export async function execOrThrow(multi: ReturnType<Redis["multi"]>): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error("redis transaction was aborted");
  for (const [error] of results) if (error) throw error;
}
