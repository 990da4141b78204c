import {
  type BatchRecord,
  CONFIDENCE_BUCKETS,
  type CostSummary,
  confidenceBucketOf,
  costPeriodsOf,
  type GenerationRecord,
  idFloor,
  type OperationsTotals,
  operationsHourOf,
} from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import type { Redis } from "ioredis";
import { secondOpinionShare } from "../second-opinion-share.ts";
import { acceptanceIdOf, type GenerationStore, type Page } from "../store.ts";
import {
  decode,
  encode,
  execOrThrow,
  type NullableKey,
  type RedisContext,
  readHashes,
} from "./shared.ts";

/**
 * A new record has 19 null fields of its 40, and they are not written at acceptance: they
 * were a third of a 1000-item batch's write (JSON, Lua and Redis's hashes alike). A read fills
 * them in. The type makes this list every field that may be null; Lua scripts that read one
 * (`webhook`, `feedback`) treat absent as null.
 */
const NULL_UNTIL_SET: Record<NullableKey<GenerationRecord>, null> = {
  batchId: null,
  requestedModel: null,
  modelReason: null,
  webhook: null,
  classification: null,
  enhancedPrompt: null,
  template: null,
  feedback: null,
  provider: null,
  model: null,
  cacheKey: null,
  deadline: null,
  providerJob: null,
  tierReason: null,
  usage: null,
  note: null,
  image: null,
  error: null,
  completedAt: null,
};
const readGenerations = (redis: Redis, keys: string[]) =>
  readHashes<GenerationRecord>(redis, keys, NULL_UNTIL_SET);

// Each top-level field of a record is its own hash field holding JSON, so a patch is one
// HSET of just the changed fields, and a status check + write happen atomically in Lua.
// Lua: true when KEYS[1]'s status is one of the comma-separated statuses in ARGV[1].
const STATUS_ALLOWED = `
local function statusAllowed()
  local status = redis.call('HGET', KEYS[1], 'status')
  for s in string.gmatch(ARGV[1], '[^,]+') do
    if status == s then return true end
  end
  return false
end
`;

const UPDATE_IF_STATUS = `${STATUS_ALLOWED}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' and not statusAllowed() then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`;

// A record's move to a terminal status and everything that follows from it, in one step:
// the batch's settled set (and the batch's completion when it was the last item), the cost
// totals of its day, week and month, the service's operations totals of the hour, and the
// outbox. Returns 0 (not applied), 1, or 2 when it also completed its batch.
//   KEYS: gen, settled, batch, openBatches, outbox, costDay, costWeek, costMonth, opsHour
//   ARGV: allowed statuses, id, now ms, batch id or '', usd µ$, saved µ$, cached 0/1, model,
//         completed 0/1, retention s, completedAt JSON, quality, status, error code or '',
//         confidence bucket or '', operations retention s, economy saving µ$ or '', the image
//         model's share of usd µ$, the second opinion's text model or '', its share µ$, then
//         the record's fields
// A second opinion's cost is part of the generation's usd and counted in the text model's own
// line (with no image), so every model's line holds what that model was paid.
const FINISH = `${STATUS_ALLOWED}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if not statusAllowed() then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 21))
redis.call('HINCRBY', KEYS[9], ARGV[13], 1)
if ARGV[9] == '1' then
  redis.call('HINCRBY', KEYS[9], 'usd', ARGV[5])
  if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[9], 'hits', 1) end
end
if ARGV[14] ~= '' then redis.call('HINCRBY', KEYS[9], 'error:' .. ARGV[14], 1) end
if ARGV[15] ~= '' then redis.call('HINCRBY', KEYS[9], 'conf:' .. ARGV[15], 1) end
redis.call('EXPIRE', KEYS[9], ARGV[16])
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
      redis.call('HINCRBY', KEYS[i], 'usd:' .. ARGV[8], ARGV[18])
      redis.call('HINCRBY', KEYS[i], 'images:' .. ARGV[8], 1)
    end
    if ARGV[19] ~= '' then
      redis.call('HINCRBY', KEYS[i], 'usd:' .. ARGV[19], ARGV[20])
      redis.call('HINCRBY', KEYS[i], 'images:' .. ARGV[19], 0)
    end
    if ARGV[17] ~= '' then
      redis.call('HINCRBY', KEYS[i], 'esaved', ARGV[17])
      redis.call('HINCRBY', KEYS[i], 'eimages', 1)
    end
    redis.call('HINCRBY', KEYS[i], 'qusd:' .. ARGV[12], ARGV[5])
    redis.call('HINCRBY', KEYS[i], 'qimages:' .. ARGV[12], 1)
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

// Accepting, in one script (atomic, as a MULTI was, without the MULTI: on the connection the
// API's generation jobs share, BullMQ has defined its scripts, and ioredis copies them all into
// every MULTI or pipeline it builds, which was 3% of the API's time under load).
//   KEYS: pendingEnqueue, openBatches, then the hashes (records and batches), the
//         Idempotency-Key answers, and the users' history indexes.
//   ARGV: retention s, now ms, the oldest id history keeps, the three counts, then per hash its
//         HSET arguments as a JSON array of strings, per answer its JSON and its ttl, per
//         history index its new ids (JSON), then the acceptance ids and the batch ids (JSON).
// A hash that exists is left alone: ioredis resends a write whose answer a dropped connection
// lost, and the jobs went behind it (AcceptDeps.enqueueBehindWrite), so a worker may have
// moved the record on. One argument a hash, for a 1000-item batch, instead of 2000 commands
// and 40,000 arguments, which cost the client more than they cost Redis.
const ACCEPT = `
local ttl, now, oldest = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local hashes, answers, histories = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local k, a = 3, 7
-- ZADD of many members, in slices within Lua's unpack limit.
local function zaddAll(key, score, members)
  for first = 1, #members, 1000 do
    local args = {}
    for i = first, math.min(first + 999, #members) do
      args[#args + 1] = score
      args[#args + 1] = members[i]
    end
    redis.call('ZADD', key, unpack(args))
  end
end
for _ = 1, hashes do
  if redis.call('EXISTS', KEYS[k]) == 0 then
    redis.call('HSET', KEYS[k], unpack(cjson.decode(ARGV[a])))
    redis.call('EXPIRE', KEYS[k], ttl)
  end
  k, a = k + 1, a + 1
end
for _ = 1, answers do
  redis.call('SET', KEYS[k], ARGV[a], 'EX', ARGV[a + 1])
  k, a = k + 1, a + 2
end
for _ = 1, histories do
  zaddAll(KEYS[k], 0, cjson.decode(ARGV[a]))
  -- History beyond retention points at expired records: trimmed as new ones arrive.
  redis.call('ZREMRANGEBYLEX', KEYS[k], '-', '(' .. oldest)
  k, a = k + 1, a + 1
end
zaddAll(KEYS[1], now, cjson.decode(ARGV[a]))
zaddAll(KEYS[2], now, cjson.decode(ARGV[a + 1]))
return hashes`;

// Money is counted in whole micro-dollars, so totals never drift as floats would.
const toMicros = (usd: number) => Math.round(usd * 1e6);

/**
 * Spend per model or per tier, from the hash's `{images}{name}` and `{usd}{name}` fields. A text
 * model (the second opinion) has a line of its own, paid without drawing images.
 */
function breakdown(hash: Record<string, string>, images: string, usd: string) {
  return Object.keys(hash)
    .filter((field) => field.startsWith(images))
    .map((field) => {
      const name = field.slice(images.length);
      return { name, usd: Number(hash[`${usd}${name}`] ?? 0) / 1e6, images: Number(hash[field]) };
    })
    .filter((b) => b.images > 0 || b.usd > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function totalsFrom(hash: Record<string, string>): CostSummary {
  const byModel = breakdown(hash, "images:", "usd:").map(({ name, ...b }) => ({
    model: name,
    ...b,
  }));
  const byQuality = breakdown(hash, "qimages:", "qusd:").map(({ name, ...b }) => ({
    quality: name,
    ...b,
  }));
  return {
    usd: Number(hash.usd ?? 0) / 1e6,
    savedUsd: Number(hash.saved ?? 0) / 1e6,
    images: Number(hash.images ?? 0),
    cacheHits: Number(hash.hits ?? 0),
    economyImages: Number(hash.eimages ?? 0),
    economySavedUsd: Number(hash.esaved ?? 0) / 1e6,
    byModel,
    byQuality,
  };
}

function operationsFrom(hash: Record<string, string>): OperationsTotals {
  const confidence = Array.from({ length: CONFIDENCE_BUCKETS }, (_, b) =>
    Number(hash[`conf:${b}`] ?? 0),
  );
  const errors = Object.fromEntries(
    Object.entries(hash)
      .filter(([field]) => field.startsWith("error:"))
      .map(([field, n]) => [field.slice("error:".length), Number(n)]),
  );
  return {
    completed: Number(hash.completed ?? 0),
    failed: Number(hash.failed ?? 0),
    canceled: Number(hash.canceled ?? 0),
    cacheHits: Number(hash.hits ?? 0),
    usd: Number(hash.usd ?? 0) / 1e6,
    errors,
    confidence,
  };
}

/** Hourly operations totals are kept this long. */
const OPERATIONS_RETENTION_SECONDS = 35 * 86_400;

const ID_CURSOR = /^gen_[0-9a-z]{26}$/;

/**
 * Generations and batches in Redis. Accepting also writes the Idempotency-Key's answer
 * (`idem:`), and finishing writes the cost totals and the outbox, each in the same step.
 */
export function redisGenerationStore({
  redis,
  k,
  retentionSeconds,
}: RedisContext): GenerationStore {
  return {
    async accept(...acceptances) {
      const now = Date.now();
      // One script: each batch is accepted whole or not at all, with its marker and its answer
      // (and requests that arrived together share the one round trip). It is sent before this
      // returns, which AcceptDeps.enqueueBehindWrite relies on.
      const hashKeys: string[] = [];
      const hashArgs: string[] = [];
      const answerKeys: string[] = [];
      const answerArgs: string[] = [];
      const historyOf = new Map<string, string[]>();
      const acceptanceIds: string[] = [];
      const batchIds: string[] = [];
      for (const acceptance of acceptances) {
        const { records, batch, idempotency } = acceptance;
        const acceptanceId = acceptanceIdOf(acceptance);
        if (!acceptanceId) continue;
        acceptanceIds.push(acceptanceId);
        for (const record of records) {
          hashKeys.push(k.gen(record.id));
          hashArgs.push(JSON.stringify(encode(record, { omitNull: true })));
          const history = historyOf.get(record.userId) ?? [];
          history.push(record.id);
          historyOf.set(record.userId, history);
        }
        if (batch) {
          // Written whole, nulls too: the batch scripts read `completedAt` as 'null'.
          hashKeys.push(k.batch(batch.id));
          hashArgs.push(JSON.stringify(encode(batch)));
          batchIds.push(batch.id);
        }
        if (idempotency) {
          answerKeys.push(k.idem(idempotency.scope, idempotency.key));
          answerArgs.push(
            JSON.stringify({
              fingerprint: idempotency.fingerprint,
              response: idempotency.response,
            }),
            String(idempotency.ttlSeconds),
          );
        }
      }
      if (acceptanceIds.length === 0) return;
      const historyKeys = [...historyOf.keys()].map((userId) => k.history(userId));
      const keys = [k.pendingEnqueue, k.openBatches, ...hashKeys, ...answerKeys, ...historyKeys];
      const args = [
        String(retentionSeconds),
        String(now),
        idFloor("gen", now - retentionSeconds * 1000),
        String(hashKeys.length),
        String(answerKeys.length),
        String(historyKeys.length),
        ...hashArgs,
        ...answerArgs,
        ...[...historyOf.values()].map((ids) => JSON.stringify(ids)),
        JSON.stringify(acceptanceIds),
        JSON.stringify(batchIds),
      ];
      // Arrays, not spread arguments: ioredis flattens them, and a call has an argument limit.
      await redis.eval(ACCEPT, keys.length, keys.concat(args));
    },
    async unconfirmedAcceptances(before, limit) {
      return redis.zrangebyscore(k.pendingEnqueue, "-inf", Date.parse(before), "LIMIT", 0, limit);
    },
    async confirmEnqueued(...acceptanceIds) {
      if (acceptanceIds.length > 0) await redis.zrem(k.pendingEnqueue, ...acceptanceIds);
    },

    async getGeneration(id) {
      return decode<GenerationRecord>(await redis.hgetall(k.gen(id)), NULL_UNTIL_SET);
    },
    async getGenerations(ids) {
      return readGenerations(redis, ids.map(k.gen));
    },
    async getGenerationStates(ids) {
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hmget(k.gen(id), "status", "cost");
      const results = (await pipeline.exec()) ?? [];
      return results.map(([error, fields]) => {
        if (error) throw error;
        const [status, cost] = fields as [string | null, string | null];
        return status === null || cost === null
          ? null
          : { status: JSON.parse(status), cost: JSON.parse(cost) };
      });
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
      const items = (await readGenerations(redis, pageIds.map(k.gen))).filter(
        (r): r is GenerationRecord => r !== null,
      );
      return { items, nextCursor: ids.length > limit ? (pageIds.at(-1) ?? null) : null };
    },

    async finishGenerations(finishes, { onlyIfStatusIn }) {
      if (finishes.length === 0) return [];
      // What the script needs to name its keys (owner, batch, creation time) never changes.
      const before = await readGenerations(
        redis,
        finishes.map((f) => k.gen(f.id)),
      );
      const allowed = onlyIfStatusIn.map((s) => JSON.stringify(s)).join(",");
      const now = Date.now();
      const calls: Array<Array<string | number>> = [];
      const sent: GenerationRecord[] = [];
      finishes.forEach(({ id, patch }, i) => {
        const record = before[i];
        if (!record) return;
        const [day, week, month] = costPeriodsOf(record.createdAt);
        const batchId = record.batchId ?? "";
        const stamped = { ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() };
        const fields = encode(stamped);
        const classification = patch.classification ?? record.classification;
        const opinion = secondOpinionShare(classification, patch);
        calls.push([
          k.gen(id),
          k.settled(batchId),
          k.batch(batchId),
          k.openBatches,
          k.outbox,
          k.cost(record.userId, day),
          k.cost(record.userId, week),
          k.cost(record.userId, month),
          k.operations(operationsHourOf(patch.completedAt)),
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
          patch.quality ?? record.quality,
          patch.status,
          patch.status === "failed" ? (patch.error?.code ?? record.error?.code ?? "UNKNOWN") : "",
          classification ? String(confidenceBucketOf(classification.confidence)) : "",
          OPERATIONS_RETENTION_SECONDS,
          patch.cost?.economySavedUsd === undefined ? "" : toMicros(patch.cost.economySavedUsd),
          toMicros(patch.cost?.usd ?? 0) - (opinion?.micros ?? 0),
          opinion?.model ?? "",
          opinion?.micros ?? 0,
          ...fields,
        ]);
        // What the script writes when it applies: the record as read, with the patch over it.
        // (A JSON round trip: what a read would decode, undefined fields left out.)
        sent.push({ ...record, ...(JSON.parse(JSON.stringify(stamped)) as typeof stamped) });
      });
      // One finish (a worker's usual) is one EVAL; several, one pipeline of them.
      const results: Array<[Error | null, unknown]> =
        calls.length === 1
          ? [[null, await redis.eval(FINISH, 9, ...(calls[0] as Array<string | number>))]]
          : ((await calls
              .reduce((pipeline, args) => pipeline.eval(FINISH, 9, ...args), redis.pipeline())
              .exec()) ?? []);
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

    async addSpend(userId, { model, usd }, at) {
      const micros = toMicros(usd);
      if (micros <= 0) return;
      const multi = redis.multi();
      for (const period of costPeriodsOf(at)) {
        const key = k.cost(userId, period);
        multi
          .hincrby(key, "usd", micros)
          .hincrby(key, `usd:${model}`, micros)
          // The field the breakdown finds a model's line by; a text model draws no images.
          .hincrby(key, `images:${model}`, 0)
          // As finishing does: month totals outlive the records they count by a month.
          .expire(key, retentionSeconds + 31 * 86_400);
      }
      await execOrThrow(multi);
    },

    async operationsTotals(hours) {
      const pipeline = redis.pipeline();
      for (const hour of hours) pipeline.hgetall(k.operations(hour));
      const results = (await pipeline.exec()) ?? [];
      return Object.fromEntries(
        hours.map((hour, i) => {
          const [error, hash] = results[i] ?? [];
          if (error) throw error;
          return [hour, operationsFrom((hash ?? {}) as Record<string, string>)];
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
  };
}
