import {
  type ApiKeyRecord,
  type BatchRecord,
  type CacheEntry,
  type CostSummary,
  type CustomTemplate,
  costPeriodsOf,
  type GenerationRecord,
  idFloor,
  type Preferences,
  type TemplateStats,
  type TemplateUse,
  type WebhookDelivery,
} from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import type { Redis } from "ioredis";
import {
  compareStats,
  type IdempotencyReservation,
  type Page,
  type Store,
  type StoreOptions,
} from "./store.ts";

// Each top-level field of a record is its own hash field holding JSON, so a patch is one
// HSET of just the changed fields, and a status check + write happen atomically in Lua.
const UPDATE_IF_STATUS = `
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

// A record's move to a terminal status and everything that follows from it, in one step:
// the batch's settled set (and the batch's completion when it was the last item), the cost
// totals of its day, week and month, and the outbox. Returns 0 (not applied), 1, or 2 when
// it also completed its batch.
//   KEYS: gen, settled, batch, openBatches, outbox, costDay, costWeek, costMonth
//   ARGV: allowed statuses, id, now ms, batch id or '', usd µ$, saved µ$, cached 0/1, model,
//         completed 0/1, retention s, completedAt JSON, then the record's fields
const FINISH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local status = redis.call('HGET', KEYS[1], 'status')
local allowed = false
for s in string.gmatch(ARGV[1], '[^,]+') do
  if status == s then allowed = true end
end
if not allowed then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 12))
local webhook = redis.call('HGET', KEYS[1], 'webhook')
-- A canceled generation has no event of its own; only its batch's completion may.
local notifiable = redis.call('HGET', KEYS[1], 'status') ~= '"canceled"'
if notifiable and webhook and webhook ~= 'null' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2]) end
if ARGV[9] == '1' then
  for i = 6, 8 do
    redis.call('HINCRBY', KEYS[i], 'usd', ARGV[5])
    redis.call('HINCRBY', KEYS[i], 'saved', ARGV[6])
    redis.call('HINCRBY', KEYS[i], 'images', 1)
    if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[i], 'hits', 1) end
    if ARGV[8] ~= '' then
      redis.call('HINCRBY', KEYS[i], 'usd:' .. ARGV[8], ARGV[5])
      redis.call('HINCRBY', KEYS[i], 'images:' .. ARGV[8], 1)
    end
    redis.call('EXPIRE', KEYS[i], ARGV[10])
  end
end
if ARGV[4] == '' then return 1 end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[10])
local total = tonumber(redis.call('HGET', KEYS[3], 'total'))
if total == nil or redis.call('HGET', KEYS[3], 'completedAt') ~= 'null' then return 1 end
if redis.call('SCARD', KEYS[2]) < total then return 1 end
redis.call('HSET', KEYS[3], 'completedAt', ARGV[11])
redis.call('ZREM', KEYS[4], ARGV[4])
local batchWebhook = redis.call('HGET', KEYS[3], 'webhook')
if batchWebhook and batchWebhook ~= 'null' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[4]) end
return 2
`;

// FINISH's last part alone, for a batch found open by the sweep or by a reader.
//   KEYS: batch, settled, openBatches, outbox; ARGV: batch id, now ms, completedAt JSON
const COMPLETE_BATCH = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'completedAt') ~= 'null' then
  redis.call('ZREM', KEYS[3], ARGV[1])
  return 0
end
if redis.call('SCARD', KEYS[2]) < tonumber(redis.call('HGET', KEYS[1], 'total')) then return 0 end
redis.call('HSET', KEYS[1], 'completedAt', ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[1])
local webhook = redis.call('HGET', KEYS[1], 'webhook')
if webhook and webhook ~= 'null' then redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1]) end
return 1
`;

// Feedback replaces earlier feedback; the variant's up/down counts move with it, in one step.
const RECORD_FEEDBACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local previous = redis.call('HGET', KEYS[1], 'feedback')
local before = nil
if previous and previous ~= 'null' then before = cjson.decode(previous).rating end
redis.call('HSET', KEYS[1], 'feedback', ARGV[1], 'updatedAt', ARGV[4])
if before ~= ARGV[2] then
  if before then redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|' .. before, -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|' .. ARGV[2], 1)
end
return 1
`;

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

// The replaced secret keeps signing for the overlap (its key expires with it).
const ROTATE_SECRET = `
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
if old and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], old, 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[2])
end
return 1
`;

// ARGV: created ms, id, retention s, then the delivery's fields. Deliveries expire with the
// records they are about; the user's index drops entries older than that.
const CREATE_DELIVERY = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]) * 1000)
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 1
`;

function encode(fields: object): string[] {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => [k, JSON.stringify(v)]);
}

const DEFAULT_RETENTION_SECONDS = 90 * 86_400;

// Money is counted in whole micro-dollars, so totals never drift as floats would.
const toMicros = (usd: number) => Math.round(usd * 1e6);

function totalsFrom(hash: Record<string, string>): CostSummary {
  const byModel = Object.keys(hash)
    .filter((field) => field.startsWith("images:"))
    .map((field) => {
      const model = field.slice("images:".length);
      return { model, usd: Number(hash[`usd:${model}`] ?? 0) / 1e6, images: Number(hash[field]) };
    })
    .filter((m) => m.images > 0)
    .sort((a, b) => a.model.localeCompare(b.model));
  return {
    usd: Number(hash.usd ?? 0) / 1e6,
    savedUsd: Number(hash.saved ?? 0) / 1e6,
    images: Number(hash.images ?? 0),
    cacheHits: Number(hash.hits ?? 0),
    byModel,
  };
}

/** A MULTI whose every command succeeded, or the first error. */
async function execOrThrow(multi: ReturnType<Redis["multi"]>): Promise<void> {
  const results = await multi.exec();
  if (!results) throw new Error("redis transaction was aborted");
  for (const [error] of results) if (error) throw error;
}

function decode<T>(hash: Record<string, string> | null | undefined): T | null {
  if (!hash?.id) return null;
  return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, JSON.parse(v)])) as T;
}

const ID_CURSOR = /^gen_[0-9a-z]{26}$/;

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
 *   user:{userId}:cost:{period}  running totals (µ$) of a day, ISO week or month
 *   accepted:unenqueued       zset of acceptances whose jobs are not yet confirmed enqueued
 *   batches:open              zset of batches without completedAt; outbox, zset of ids to notify
 * Records, batches and deliveries expire after the retention; the indexes are trimmed to it.
 */
export function createRedisStore(redis: Redis, prefix: string, options: StoreOptions = {}): Store {
  const retentionSeconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  const k = {
    pendingEnqueue: `${prefix}:accepted:unenqueued`,
    openBatches: `${prefix}:batches:open`,
    outbox: `${prefix}:outbox`,
    cost: (userId: string, period: string) => `${prefix}:user:${userId}:cost:${period}`,
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
    templateStats: `${prefix}:template-stats`,
  };
  // Stats fields are "{template id}|{variant}|{generations|up|down}".
  const statsPrefix = (t: TemplateUse) => `${t.id}|${t.variant}`;

  const readHashes = async <T>(keys: string[]): Promise<Array<T | null>> => {
    if (keys.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, hash]) => {
      if (error) throw error;
      return decode<T>(hash as Record<string, string>);
    });
  };

  return {
    name: "redis",

    async accept({ records, batch, idempotency }) {
      const now = Date.now();
      const acceptanceId = batch?.id ?? records[0]?.id;
      if (!acceptanceId) return;
      // One MULTI: a batch is accepted whole or not at all, with its marker and its answer.
      const multi = redis.multi();
      const users = new Set<string>();
      for (const record of records) {
        multi
          .hset(k.gen(record.id), ...encode(record))
          .expire(k.gen(record.id), retentionSeconds)
          .zadd(k.history(record.userId), 0, record.id);
        users.add(record.userId);
      }
      if (batch) {
        multi
          .hset(k.batch(batch.id), ...encode(batch))
          .expire(k.batch(batch.id), retentionSeconds)
          .zadd(k.openBatches, now, batch.id);
      }
      multi.zadd(k.pendingEnqueue, now, acceptanceId);
      if (idempotency) {
        multi.set(
          k.idem(idempotency.scope, idempotency.key),
          JSON.stringify({ fingerprint: idempotency.fingerprint, response: idempotency.response }),
          "EX",
          idempotency.ttlSeconds,
        );
      }
      // History beyond retention points at expired records: trim it as new ones arrive.
      const oldest = idFloor("gen", now - retentionSeconds * 1000);
      for (const userId of users) multi.zremrangebylex(k.history(userId), "-", `(${oldest}`);
      await execOrThrow(multi);
    },
    async unconfirmedAcceptances(before, limit) {
      return redis.zrangebyscore(k.pendingEnqueue, "-inf", Date.parse(before), "LIMIT", 0, limit);
    },
    async confirmEnqueued(acceptanceId) {
      await redis.zrem(k.pendingEnqueue, acceptanceId);
    },

    async getGeneration(id) {
      return decode<GenerationRecord>(await redis.hgetall(k.gen(id)));
    },
    async getGenerations(ids) {
      return readHashes<GenerationRecord>(ids.map(k.gen));
    },
    async updateGeneration(id, patch, options = {}) {
      const fields = encode({ ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() });
      const allowed = (options.onlyIfStatusIn ?? []).map((s) => JSON.stringify(s)).join(",");
      return (await redis.eval(UPDATE_IF_STATUS, 1, k.gen(id), allowed, ...fields)) === 1;
    },
    async listHistory(userId, { limit, cursor }): Promise<Page<GenerationRecord>> {
      if (cursor !== undefined && !ID_CURSOR.test(cursor))
        throw invalidRequest("cursor is not one this API handed out");
      const ids = await redis.zrevrangebylex(
        k.history(userId),
        cursor ? `(${cursor}` : "+",
        "-",
        "LIMIT",
        0,
        limit + 1,
      );
      const pageIds = ids.slice(0, limit);
      const items = (await readHashes<GenerationRecord>(pageIds.map(k.gen))).filter(
        (r): r is GenerationRecord => r !== null,
      );
      return { items, nextCursor: ids.length > limit ? (pageIds.at(-1) ?? null) : null };
    },

    async finishGenerations(finishes, { onlyIfStatusIn }) {
      if (finishes.length === 0) return [];
      // What the script needs to name its keys (owner, batch, creation time) never changes.
      const before = await readHashes<GenerationRecord>(finishes.map((f) => k.gen(f.id)));
      const allowed = onlyIfStatusIn.map((s) => JSON.stringify(s)).join(",");
      const now = Date.now();
      const pipeline = redis.pipeline();
      const sent: GenerationRecord[] = [];
      finishes.forEach(({ id, patch }, i) => {
        const record = before[i];
        if (!record) return;
        const [day, week, month] = costPeriodsOf(record.createdAt);
        const batchId = record.batchId ?? "";
        const stamped = { ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() };
        const fields = encode(stamped);
        pipeline.eval(
          FINISH,
          8,
          k.gen(id),
          k.settled(batchId),
          k.batch(batchId),
          k.openBatches,
          k.outbox,
          k.cost(record.userId, day),
          k.cost(record.userId, week),
          k.cost(record.userId, month),
          allowed,
          id,
          now,
          batchId,
          toMicros(patch.cost?.usd ?? 0),
          toMicros(patch.cost?.savedUsd ?? 0),
          patch.cached ? "1" : "0",
          patch.model ?? "",
          patch.status === "completed" ? "1" : "0",
          // Month totals outlive the records they count by a month.
          retentionSeconds + 31 * 86_400,
          JSON.stringify(patch.completedAt),
          ...fields,
        );
        // What the script writes when it applies: the record as read, with the patch over it.
        // (A JSON round trip: what a read would decode, undefined fields left out.)
        sent.push({ ...record, ...(JSON.parse(JSON.stringify(stamped)) as typeof stamped) });
      });
      const results = (await pipeline.exec()) ?? [];
      return sent.filter((_, i) => {
        const [error, applied] = results[i] ?? [];
        if (error) throw error;
        return Number(applied) > 0;
      });
    },
    async costTotals(userId, periods) {
      const pipeline = redis.pipeline();
      for (const period of periods) pipeline.hgetall(k.cost(userId, period));
      const results = (await pipeline.exec()) ?? [];
      return Object.fromEntries(
        periods.map((period, i) => {
          const [error, hash] = results[i] ?? [];
          if (error) throw error;
          return [period, totalsFrom((hash ?? {}) as Record<string, string>)];
        }),
      );
    },

    async getBatch(id) {
      return decode<BatchRecord>(await redis.hgetall(k.batch(id)));
    },
    async completeBatchIfSettled(batchId, at) {
      const completed = await redis.eval(
        COMPLETE_BATCH,
        4,
        k.batch(batchId),
        k.settled(batchId),
        k.openBatches,
        k.outbox,
        batchId,
        Date.now(),
        JSON.stringify(at),
      );
      return completed === 1;
    },
    async openBatches(before, limit) {
      return redis.zrangebyscore(k.openBatches, "-inf", Date.parse(before), "LIMIT", 0, limit);
    },
    async pendingNotifications(before, limit) {
      return redis.zrangebyscore(k.outbox, "-inf", Date.parse(before), "LIMIT", 0, limit);
    },
    async clearNotification(subjectId) {
      await redis.zrem(k.outbox, subjectId);
    },

    async reserveIdempotencyKey(
      scope,
      key,
      fingerprint,
      ttlSeconds,
    ): Promise<IdempotencyReservation> {
      const redisKey = k.idem(scope, key);
      const claimed = await redis.set(
        redisKey,
        JSON.stringify({ fingerprint, response: null }),
        "EX",
        ttlSeconds,
        "NX",
      );
      if (claimed === "OK") return { kind: "new" };
      const raw = await redis.get(redisKey);
      if (!raw) return this.reserveIdempotencyKey(scope, key, fingerprint, ttlSeconds);
      const held = JSON.parse(raw) as {
        fingerprint: string;
        response: { status: number; body: unknown } | null;
      };
      if (held.fingerprint !== fingerprint) return { kind: "mismatch" };
      return held.response ? { kind: "replay", response: held.response } : { kind: "in_progress" };
    },
    async completeIdempotencyKey(scope, key, response, ttlSeconds) {
      const redisKey = k.idem(scope, key);
      const raw = await redis.get(redisKey);
      const fingerprint = raw ? (JSON.parse(raw) as { fingerprint: string }).fingerprint : "";
      await redis.set(redisKey, JSON.stringify({ fingerprint, response }), "EX", ttlSeconds);
    },
    async releaseIdempotencyKey(scope, key) {
      await redis.del(k.idem(scope, key));
    },

    async putApiKey(key) {
      await redis.hset(k.apiKeys, key.hash, JSON.stringify(key));
    },
    async findApiKey(hash) {
      const raw = await redis.hget(k.apiKeys, hash);
      return raw ? (JSON.parse(raw) as ApiKeyRecord) : null;
    },
    async listApiKeys() {
      return (await redis.hvals(k.apiKeys))
        .map((raw) => JSON.parse(raw) as ApiKeyRecord)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    },
    async revokeApiKey(keyId, at) {
      const key = (await this.listApiKeys()).find((candidate) => candidate.keyId === keyId);
      if (!key) return false;
      await redis.hset(
        k.apiKeys,
        key.hash,
        JSON.stringify({ ...key, revokedAt: key.revokedAt ?? at }),
      );
      return true;
    },

    async getPreferences(userId) {
      const raw = await redis.get(k.prefs(userId));
      return raw ? (JSON.parse(raw) as Preferences) : {};
    },
    async setPreferences(userId, preferences) {
      await redis.set(k.prefs(userId), JSON.stringify(preferences));
    },
    async listTemplates(userId) {
      const all = await redis.hvals(k.templates(userId));
      return all
        .map((raw) => JSON.parse(raw) as CustomTemplate)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async getTemplate(userId, id) {
      const raw = await redis.hget(k.templates(userId), id);
      return raw ? (JSON.parse(raw) as CustomTemplate) : null;
    },
    async putTemplate(template) {
      await redis.hset(k.templates(template.userId), template.id, JSON.stringify(template));
    },
    async deleteTemplate(userId, id) {
      return (await redis.hdel(k.templates(userId), id)) === 1;
    },

    async recordTemplateUse(template) {
      await redis.hincrby(k.templateStats, `${statsPrefix(template)}|generations`, 1);
    },
    async recordFeedback(generationId, feedback, template) {
      const recorded = await redis.eval(
        RECORD_FEEDBACK,
        2,
        k.gen(generationId),
        k.templateStats,
        JSON.stringify(feedback),
        feedback.rating,
        statsPrefix(template),
        JSON.stringify(feedback.at),
      );
      return recorded === 1;
    },
    async templateStats() {
      const byVariant = new Map<string, TemplateStats>();
      for (const [field, value] of Object.entries(await redis.hgetall(k.templateStats))) {
        const [template = "", variant = "", count = ""] = field.split("|");
        const stats = byVariant.get(`${template}|${variant}`) ?? {
          template,
          variant,
          generations: 0,
          up: 0,
          down: 0,
        };
        if (count === "generations" || count === "up" || count === "down") {
          stats[count] = Number(value);
        }
        byVariant.set(`${template}|${variant}`, stats);
      }
      return [...byVariant.values()].sort(compareStats);
    },

    async getOrCreateWebhookSecret(userId, make) {
      await redis.set(k.secret(userId), make(), "NX");
      return (await redis.get(k.secret(userId))) ?? "";
    },
    async webhookSigningSecrets(userId, make) {
      const current = await this.getOrCreateWebhookSecret(userId, make);
      const previous = await redis.get(k.previousSecret(userId));
      return previous && previous !== current ? [current, previous] : [current];
    },
    async rotateWebhookSecret(userId, next, previousUntil) {
      await redis.eval(
        ROTATE_SECRET,
        2,
        k.secret(userId),
        k.previousSecret(userId),
        next,
        Math.max(0, Date.parse(previousUntil) - Date.now()),
      );
    },

    async createDelivery(delivery) {
      const created = await redis.eval(
        CREATE_DELIVERY,
        3,
        k.delivery(delivery.id),
        k.userDeliveries(delivery.userId),
        k.subjectDeliveries(delivery.subjectId),
        Date.parse(delivery.createdAt),
        delivery.id,
        retentionSeconds,
        ...encode(delivery),
      );
      return created === 1;
    },
    async getDelivery(id) {
      return decode<WebhookDelivery>(await redis.hgetall(k.delivery(id)));
    },
    async updateDelivery(id, patch) {
      await redis.hset(
        k.delivery(id),
        ...encode({ ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() }),
      );
    },
    async listDeliveries(userId, { limit }) {
      const ids = await redis.zrevrange(k.userDeliveries(userId), 0, limit - 1);
      return (await readHashes<WebhookDelivery>(ids.map(k.delivery))).filter(
        (d): d is WebhookDelivery => d !== null,
      );
    },
    async deliveriesFor(subjectId) {
      const ids = await redis.lrange(k.subjectDeliveries(subjectId), 0, -1);
      return (await readHashes<WebhookDelivery>(ids.map(k.delivery))).filter(
        (d): d is WebhookDelivery => d !== null,
      );
    },

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

    async ping() {
      await redis.ping();
    },
  };
}
