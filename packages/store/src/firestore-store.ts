import {
  type DocumentSnapshot,
  FieldPath,
  FieldValue,
  type Firestore,
} from "@google-cloud/firestore";
import {
  type ApiKeyRecord,
  type BatchRecord,
  type CacheEntry,
  type CostSummary,
  type CustomTemplate,
  costPeriodsOf,
  type Feedback,
  type GenerationRecord,
  type Preferences,
  type TemplateStats,
  type TemplateUse,
  type WebhookDelivery,
} from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import {
  compareStats,
  type IdempotencyReservation,
  type Page,
  type Store,
  type StoredResponse,
  type StoreOptions,
} from "./store.ts";

const ID_CURSOR = /^gen_[0-9a-z]{26}$/;
// Firestore's gRPC code for "a document with this name already exists".
const ALREADY_EXISTS = 6;

/**
 * Firestore adapter. Collections:
 *   generations/{id}                    the record; history = where userId order by id (ids sort by time)
 *   batches/{id}, batches/{id}/settled/{itemId}   a batch and its finished items (count())
 *   idempotency/{scope}:{key}            {fingerprint, response, expiresAt}
 *   users/{userId}                       {webhookSecret, preferences}; users/{userId}/templates/{id}
 *   deliveries/{id}                      webhook deliveries
 *   cache/{key}, cacheLocks/{key}        cache entries and leases, each with expiresAt
 *   apiKeys/{sha256}                     API keys made at run time, by hash only
 *   costTotals/{userId}~{period}         running totals (µ$) of a day, ISO week or month
 *   pendingEnqueues/{acceptanceId}       acceptances whose jobs are not yet confirmed enqueued
 *   outbox/{subjectId}                   generations and batches whose webhooks may be unsent
 *
 * Write limits (about one sustained write per second per document): apart from a user's cost
 * totals (written once per completed image: see infra/firestore.md), every document here is
 * written a handful of times in its life, never once per request of a busy user; batch
 * completion counts one small document per item instead of incrementing one counter. The
 * expiresAt fields are for TTL policies (infra/firestore.md); reads check expiry themselves,
 * since TTL deletion lags by up to a day. Records, batches and deliveries carry `expireAt`
 * (the retention) for the same TTL policy, and never show it to callers.
 */
const STATS_SHARDS = 10;

export function createFirestoreStore(db: Firestore, options: StoreOptions = {}): Store {
  const retentionSeconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  const expireAt = () => new Date(Date.now() + retentionSeconds * 1000);
  const pendingEnqueues = db.collection("pendingEnqueues");
  const outbox = db.collection("outbox");
  const costTotals = db.collection("costTotals");
  const costDoc = (userId: string, period: string) => costTotals.doc(`${userId}~${period}`);
  const generations = db.collection("generations");
  const batches = db.collection("batches");
  const idempotency = db.collection("idempotency");
  const users = db.collection("users");
  const deliveries = db.collection("deliveries");
  const cache = db.collection("cache");
  const cacheLocks = db.collection("cacheLocks");
  const apiKeys = db.collection("apiKeys");
  const templateStats = db.collection("templateStats");
  // Counters for one variant are spread over STATS_SHARDS documents, picked at random, so a
  // popular template is not one document written on every image (Firestore sustains about
  // one write a second per document). Template ids never hold "/".
  const statsRef = (t: TemplateUse) =>
    templateStats.doc(`${t.id}~${t.variant}~${Math.floor(Math.random() * STATS_SHARDS)}`);

  const idemDoc = (scope: string, key: string) =>
    idempotency.doc(encodeURIComponent(`${scope}:${key}`));
  const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000);

  return {
    name: "firestore",

    async accept({ records, batch, idempotency }) {
      const acceptanceId = batch?.id ?? records[0]?.id;
      if (!acceptanceId) return;
      // One commit (Firestore no longer caps a batched write at 500 operations): the records,
      // the batch, the marker and the idempotent answer exist together or not at all.
      const writes = db.batch();
      const expires = expireAt();
      for (const record of records) {
        writes.create(generations.doc(record.id), { ...record, expireAt: expires });
      }
      if (batch) writes.create(batches.doc(batch.id), { ...batch, expireAt: expires });
      writes.set(pendingEnqueues.doc(acceptanceId), { at: new Date() });
      if (idempotency) {
        writes.set(idemDoc(idempotency.scope, idempotency.key), {
          fingerprint: idempotency.fingerprint,
          response: idempotency.response,
          expiresAt: expiresIn(idempotency.ttlSeconds),
        });
      }
      await writes.commit();
    },
    async unconfirmedAcceptances(before, limit) {
      return idsBefore(pendingEnqueues, before, limit);
    },
    async confirmEnqueued(acceptanceId) {
      await pendingEnqueues.doc(acceptanceId).delete();
    },
    async getGeneration(id) {
      return withoutExpiry<GenerationRecord>(await generations.doc(id).get());
    },
    async getGenerations(ids) {
      if (ids.length === 0) return [];
      const snaps = await db.getAll(...ids.map((id) => generations.doc(id)));
      return snaps.map((s) => withoutExpiry<GenerationRecord>(s));
    },
    async updateGeneration(id, patch, options = {}) {
      const ref = generations.doc(id);
      const fields = { ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() };
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return false;
        const status = snap.get("status") as GenerationRecord["status"];
        if (options.onlyIfStatusIn && !options.onlyIfStatusIn.includes(status)) return false;
        // update() replaces each named top-level field whole, as the Redis adapter does.
        tx.update(ref, fields);
        return true;
      });
    },
    async finishGenerations(finishes, { onlyIfStatusIn }) {
      const finishOne = async ({ id, patch }: (typeof finishes)[number]) => {
        const ref = generations.doc(id);
        const fields = { ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() };
        return db.runTransaction(async (tx) => {
          const record = withoutExpiry<GenerationRecord>(await tx.get(ref));
          if (!record || !onlyIfStatusIn.includes(record.status)) return null;
          tx.update(ref, fields);
          if (record.batchId) {
            tx.set(batches.doc(record.batchId).collection("settled").doc(id), {
              at: fields.completedAt,
              expireAt: expireAt(),
            });
          }
          // A canceled generation has no event of its own; only its batch's completion may.
          if (record.webhook && patch.status !== "canceled") {
            tx.set(outbox.doc(id), { at: new Date() });
          }
          if (patch.status === "completed") {
            const usd = toMicros(patch.cost?.usd ?? 0);
            const add = {
              usd: FieldValue.increment(usd),
              saved: FieldValue.increment(toMicros(patch.cost?.savedUsd ?? 0)),
              images: FieldValue.increment(1),
              hits: FieldValue.increment(patch.cached ? 1 : 0),
              ...(patch.model
                ? {
                    models: {
                      [patch.model]: {
                        usd: FieldValue.increment(usd),
                        images: FieldValue.increment(1),
                      },
                    },
                  }
                : {}),
              expireAt: new Date(Date.now() + (retentionSeconds + 31 * 86_400) * 1000),
            };
            for (const period of costPeriodsOf(record.createdAt)) {
              tx.set(costDoc(record.userId, period), add, { merge: true });
            }
          }
          return { ...record, ...fields } as GenerationRecord;
        });
      };
      // A few transactions at a time: a 1000-item cancel is quick without a write storm.
      const moved: GenerationRecord[] = [];
      for (let i = 0; i < finishes.length; i += 25) {
        const done = await Promise.all(finishes.slice(i, i + 25).map(finishOne));
        moved.push(...done.filter((r): r is GenerationRecord => r !== null));
      }
      // Unlike Redis, the batch's completion is a second step here; the sweep and batch
      // status readers complete any batch a crash left between the two.
      const at = finishes[0]?.patch.completedAt ?? new Date().toISOString();
      for (const batchId of new Set(moved.map((r) => r.batchId).filter((b) => b !== null))) {
        await this.completeBatchIfSettled(batchId, at);
      }
      return moved;
    },
    async listHistory(userId, { limit, cursor }): Promise<Page<GenerationRecord>> {
      if (cursor !== undefined && !ID_CURSOR.test(cursor))
        throw invalidRequest("cursor is not one this API handed out");
      let query = generations.where("userId", "==", userId).orderBy(FieldPath.documentId(), "desc");
      if (cursor) query = query.startAfter(cursor);
      const snap = await query.limit(limit + 1).get();
      const items = snap.docs
        .slice(0, limit)
        .map((d) => withoutExpiry<GenerationRecord>(d) as GenerationRecord);
      return { items, nextCursor: snap.docs.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    async costTotals(userId, periods) {
      if (periods.length === 0) return {};
      const snaps = await db.getAll(...periods.map((period) => costDoc(userId, period)));
      return Object.fromEntries(
        periods.map((period, i) => [period, totalsFrom(snaps[i]?.data() ?? {})]),
      );
    },

    async getBatch(id) {
      return withoutExpiry<BatchRecord>(await batches.doc(id).get());
    },
    async completeBatchIfSettled(batchId, at) {
      const ref = batches.doc(batchId);
      return db.runTransaction(async (tx) => {
        const batch = withoutExpiry<BatchRecord>(await tx.get(ref));
        if (!batch || batch.completedAt !== null) return false;
        const settled = await tx.get(ref.collection("settled").count());
        if (settled.data().count < batch.total) return false;
        tx.update(ref, { completedAt: at });
        if (batch.webhook) tx.set(outbox.doc(batchId), { at: new Date() });
        return true;
      });
    },
    async openBatches(before, limit) {
      const snap = await batches
        .where("completedAt", "==", null)
        .where("createdAt", "<", before)
        .orderBy("createdAt")
        .limit(limit)
        .get();
      return snap.docs.map((d) => d.id);
    },
    async pendingNotifications(before, limit) {
      return idsBefore(outbox, before, limit);
    },
    async clearNotification(subjectId) {
      await outbox.doc(subjectId).delete();
    },

    async reserveIdempotencyKey(
      scope,
      key,
      fingerprint,
      ttlSeconds,
    ): Promise<IdempotencyReservation> {
      const ref = idemDoc(scope, key);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        const held = snap.data() as
          | { fingerprint: string; response: StoredResponse | null; expiresAt: Date }
          | undefined;
        const expired = held && toDate(held.expiresAt) < new Date();
        if (!held || expired) {
          tx.set(ref, { fingerprint, response: null, expiresAt: expiresIn(ttlSeconds) });
          return { kind: "new" } as const;
        }
        if (held.fingerprint !== fingerprint) return { kind: "mismatch" } as const;
        return held.response
          ? ({ kind: "replay", response: held.response } as const)
          : ({ kind: "in_progress" } as const);
      });
    },
    async completeIdempotencyKey(scope, key, response, ttlSeconds) {
      await idemDoc(scope, key).set(
        { response, expiresAt: expiresIn(ttlSeconds) },
        { merge: true },
      );
    },
    async releaseIdempotencyKey(scope, key) {
      await idemDoc(scope, key).delete();
    },

    async putApiKey(key) {
      await apiKeys.doc(key.hash).set(key);
    },
    async findApiKey(hash) {
      const snap = await apiKeys.doc(hash).get();
      return snap.exists ? (snap.data() as ApiKeyRecord) : null;
    },
    async listApiKeys() {
      const snap = await apiKeys.orderBy("createdAt").get();
      return snap.docs.map((d) => d.data() as ApiKeyRecord);
    },
    async revokeApiKey(keyId, at) {
      const snap = await apiKeys.where("keyId", "==", keyId).limit(1).get();
      const doc = snap.docs[0];
      if (!doc) return false;
      if (doc.get("revokedAt") === null) await doc.ref.update({ revokedAt: at });
      return true;
    },

    async getPreferences(userId) {
      return ((await users.doc(userId).get()).get("preferences") as Preferences | undefined) ?? {};
    },
    async setPreferences(userId, preferences) {
      // merge: keeps the user's other fields (the webhook secret); the preferences map is replaced whole.
      await users.doc(userId).set({ preferences }, { mergeFields: ["preferences"] });
    },
    async listTemplates(userId) {
      const snap = await users
        .doc(userId)
        .collection("templates")
        .orderBy(FieldPath.documentId())
        .get();
      return snap.docs.map((d) => d.data() as CustomTemplate);
    },
    async getTemplate(userId, id) {
      const snap = await users.doc(userId).collection("templates").doc(id).get();
      return snap.exists ? (snap.data() as CustomTemplate) : null;
    },
    async putTemplate(template) {
      await users.doc(template.userId).collection("templates").doc(template.id).set(template);
    },
    async deleteTemplate(userId, id) {
      const ref = users.doc(userId).collection("templates").doc(id);
      return db.runTransaction(async (tx) => {
        if (!(await tx.get(ref)).exists) return false;
        tx.delete(ref);
        return true;
      });
    },

    async recordTemplateUse(template) {
      await statsRef(template).set(
        { template: template.id, variant: template.variant, generations: FieldValue.increment(1) },
        { merge: true },
      );
    },
    async recordFeedback(generationId, feedback, template) {
      const ref = generations.doc(generationId);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (!snap.exists) return false;
        const before = (snap.get("feedback") as Feedback | null | undefined)?.rating;
        tx.update(ref, { feedback, updatedAt: feedback.at });
        if (before !== feedback.rating) {
          tx.set(
            statsRef(template),
            {
              template: template.id,
              variant: template.variant,
              [feedback.rating]: FieldValue.increment(1),
              ...(before ? { [before]: FieldValue.increment(-1) } : {}),
            },
            { merge: true },
          );
        }
        return true;
      });
    },
    async templateStats() {
      const byVariant = new Map<string, TemplateStats>();
      for (const d of (await templateStats.get()).docs) {
        const template = String(d.get("template"));
        const variant = String(d.get("variant"));
        const stats = byVariant.get(`${template}~${variant}`) ?? {
          template,
          variant,
          generations: 0,
          up: 0,
          down: 0,
        };
        stats.generations += Number(d.get("generations") ?? 0);
        stats.up += Number(d.get("up") ?? 0);
        stats.down += Number(d.get("down") ?? 0);
        byVariant.set(`${template}~${variant}`, stats);
      }
      return [...byVariant.values()].sort(compareStats);
    },

    async getOrCreateWebhookSecret(userId, make) {
      const ref = users.doc(userId);
      return db.runTransaction(async (tx) => {
        const existing = (await tx.get(ref)).get("webhookSecret") as string | undefined;
        if (existing) return existing;
        const secret = make();
        tx.set(ref, { webhookSecret: secret }, { merge: true });
        return secret;
      });
    },
    async webhookSigningSecrets(userId, make) {
      const current = await this.getOrCreateWebhookSecret(userId, make);
      const previous = (await users.doc(userId).get()).get("previousWebhookSecret") as
        | { secret: string; until: string }
        | null
        | undefined;
      return previous && previous.secret !== current && Date.parse(previous.until) > Date.now()
        ? [current, previous.secret]
        : [current];
    },
    async rotateWebhookSecret(userId, next, previousUntil) {
      const ref = users.doc(userId);
      await db.runTransaction(async (tx) => {
        const old = (await tx.get(ref)).get("webhookSecret") as string | undefined;
        const keep = old && Date.parse(previousUntil) > Date.now();
        tx.set(
          ref,
          {
            webhookSecret: next,
            previousWebhookSecret: keep ? { secret: old, until: previousUntil } : null,
          },
          { merge: true },
        );
      });
    },

    async createDelivery(delivery) {
      try {
        await deliveries.doc(delivery.id).create({ ...delivery, expireAt: expireAt() });
        return true;
      } catch (error) {
        if ((error as { code?: number }).code === ALREADY_EXISTS) return false;
        throw error;
      }
    },
    async getDelivery(id) {
      return withoutExpiry<WebhookDelivery>(await deliveries.doc(id).get());
    },
    async updateDelivery(id, patch) {
      await deliveries
        .doc(id)
        .update({ ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() });
    },
    async listDeliveries(userId, { limit }) {
      const snap = await deliveries
        .where("userId", "==", userId)
        .orderBy("createdAt", "desc")
        .limit(limit)
        .get();
      return snap.docs.map((d) => withoutExpiry<WebhookDelivery>(d) as WebhookDelivery);
    },
    async deliveriesFor(subjectId) {
      const snap = await deliveries
        .where("subjectId", "==", subjectId)
        .orderBy("createdAt", "asc")
        .get();
      return snap.docs.map((d) => withoutExpiry<WebhookDelivery>(d) as WebhookDelivery);
    },

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

    async ping() {
      await db.collection("health").doc("ping").get();
    },
  };
}

/** Firestore hands Dates back as Timestamps. */
function toDate(value: Date | { toDate(): Date }): Date {
  return value instanceof Date ? value : value.toDate();
}

const DEFAULT_RETENTION_SECONDS = 90 * 86_400;

// Money is counted in whole micro-dollars, so totals never drift as floats would.
const toMicros = (usd: number) => Math.round(usd * 1e6);

/** A document's data without the TTL field, which is storage, not part of the record. */
function withoutExpiry<T>(snap: DocumentSnapshot): T | null {
  const data = snap.data();
  if (!data) return null;
  const { expireAt: _expireAt, ...rest } = data;
  return rest as T;
}

/** Ids of the documents of a collection whose `at` is before `before`, oldest first. */
async function idsBefore(
  collection: FirebaseFirestore.CollectionReference,
  before: string,
  limit: number,
): Promise<string[]> {
  const snap = await collection.where("at", "<", new Date(before)).orderBy("at").limit(limit).get();
  return snap.docs.map((d) => d.id);
}

function totalsFrom(data: FirebaseFirestore.DocumentData): CostSummary {
  const models = (data.models ?? {}) as Record<string, { usd?: number; images?: number }>;
  return {
    usd: Number(data.usd ?? 0) / 1e6,
    savedUsd: Number(data.saved ?? 0) / 1e6,
    images: Number(data.images ?? 0),
    cacheHits: Number(data.hits ?? 0),
    byModel: Object.entries(models)
      .map(([model, m]) => ({
        model,
        usd: Number(m.usd ?? 0) / 1e6,
        images: Number(m.images ?? 0),
      }))
      .filter((m) => m.images > 0)
      .sort((a, b) => a.model.localeCompare(b.model)),
  };
}
