import { FieldPath, FieldValue } from "@google-cloud/firestore";
import {
  type BatchRecord,
  CONFIDENCE_BUCKETS,
  type CostSummary,
  confidenceBucketOf,
  costPeriodsOf,
  emptyOperationsTotals,
  type GenerationRecord,
  type OperationsTotals,
  operationsHourOf,
} from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import { secondOpinionShare } from "../second-opinion-share.ts";
import { acceptanceIdOf, type GenerationState, type GenerationStore, type Page } from "../store.ts";
import { expiresIn, type FirestoreContext, idsBefore, withoutExpiry } from "./shared.ts";

const ID_CURSOR = /^gen_[0-9a-z]{26}$/;

// Money is counted in whole micro-dollars, so totals never drift as floats would.
const toMicros = (usd: number) => Math.round(usd * 1e6);

type Counts = Record<string, { usd?: number; images?: number }>;

/**
 * Spend per model or per tier, from a map of `{name: {usd, images}}` (µ$). A text model (the
 * second opinion) has a line of its own, paid without drawing images.
 */
function breakdown(counts: Counts) {
  return Object.entries(counts)
    .map(([name, c]) => ({ name, usd: Number(c.usd ?? 0) / 1e6, images: Number(c.images ?? 0) }))
    .filter((b) => b.images > 0 || b.usd > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}

function totalsFrom(data: FirebaseFirestore.DocumentData): CostSummary {
  const models = (data.models ?? {}) as Counts;
  const qualities = (data.qualities ?? {}) as Counts;
  return {
    usd: Number(data.usd ?? 0) / 1e6,
    savedUsd: Number(data.saved ?? 0) / 1e6,
    images: Number(data.images ?? 0),
    cacheHits: Number(data.hits ?? 0),
    economyImages: Number(data.eimages ?? 0),
    economySavedUsd: Number(data.esaved ?? 0) / 1e6,
    byModel: breakdown(models).map(({ name, ...b }) => ({ model: name, ...b })),
    byQuality: breakdown(qualities).map(({ name, ...b }) => ({ quality: name, ...b })),
  };
}

/**
 * Every generation that ends writes its hour's operations totals: spread over this many
 * documents (by id), so a busy hour stays under Firestore's per-document write rate.
 */
const OPERATIONS_SHARDS = 8;
const OPERATIONS_RETENTION_MS = 35 * 86_400_000;
const shardOf = (id: string) =>
  [...id.slice(-4)].reduce((sum, c) => sum + c.charCodeAt(0), 0) % OPERATIONS_SHARDS;

function addOperations(into: OperationsTotals, data: FirebaseFirestore.DocumentData): void {
  into.completed += Number(data.completed ?? 0);
  into.failed += Number(data.failed ?? 0);
  into.canceled += Number(data.canceled ?? 0);
  into.cacheHits += Number(data.hits ?? 0);
  into.usd += Number(data.usd ?? 0) / 1e6;
  for (const [code, n] of Object.entries((data.errors ?? {}) as Record<string, number>)) {
    into.errors[code] = (into.errors[code] ?? 0) + Number(n);
  }
  const confidence = (data.confidence ?? {}) as Record<string, number>;
  for (let b = 0; b < CONFIDENCE_BUCKETS; b++) {
    into.confidence[b] = (into.confidence[b] ?? 0) + Number(confidence[String(b)] ?? 0);
  }
}

/**
 * Generations and batches in Firestore. Accepting also writes the Idempotency-Key's answer
 * (idempotency/), and finishing writes the cost totals and the outbox, in the same commits.
 */
export function firestoreGenerationStore({
  db,
  collections,
  retentionSeconds,
  expireAt,
}: FirestoreContext): GenerationStore {
  const { pendingEnqueues, outbox, costDoc, generations, batches, idemDoc, operations } =
    collections;
  return {
    async accept(...acceptances) {
      // One commit (Firestore no longer caps a batched write at 500 operations): the records,
      // the batch, the marker and the idempotent answer exist together or not at all.
      const writes = db.batch();
      const expires = expireAt();
      let any = false;
      for (const acceptance of acceptances) {
        const { records, batch, idempotency } = acceptance;
        const acceptanceId = acceptanceIdOf(acceptance);
        if (!acceptanceId) continue;
        any = true;
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
      }
      if (any) await writes.commit();
    },
    async unconfirmedAcceptances(before, limit) {
      return idsBefore(pendingEnqueues, before, limit);
    },
    async confirmEnqueued(...acceptanceIds) {
      if (acceptanceIds.length === 0) return;
      const writes = db.batch();
      for (const id of acceptanceIds) writes.delete(pendingEnqueues.doc(id));
      await writes.commit();
    },
    async getGeneration(id) {
      return withoutExpiry<GenerationRecord>(await generations.doc(id).get());
    },
    async getGenerations(ids) {
      if (ids.length === 0) return [];
      const snaps = await db.getAll(...ids.map((id) => generations.doc(id)));
      return snaps.map((s) => withoutExpiry<GenerationRecord>(s));
    },
    async getGenerationStates(ids) {
      if (ids.length === 0) return [];
      const snaps = await db.getAll(...ids.map((id) => generations.doc(id)), {
        fieldMask: ["status", "cost"],
      });
      return snaps.map((s) => withoutExpiry<GenerationState>(s));
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
            // The second opinion's cost is in usd, and in its text model's own line.
            const opinion = secondOpinionShare(
              patch.classification ?? record.classification,
              patch,
            );
            const add = {
              usd: FieldValue.increment(usd),
              saved: FieldValue.increment(toMicros(patch.cost?.savedUsd ?? 0)),
              images: FieldValue.increment(1),
              hits: FieldValue.increment(patch.cached ? 1 : 0),
              ...(patch.cost?.economySavedUsd === undefined
                ? {}
                : {
                    esaved: FieldValue.increment(toMicros(patch.cost.economySavedUsd)),
                    eimages: FieldValue.increment(1),
                  }),
              qualities: {
                [patch.quality ?? record.quality]: {
                  usd: FieldValue.increment(usd),
                  images: FieldValue.increment(1),
                },
              },
              // Left out when empty: a merged empty map would replace the month's whole map.
              ...(patch.model || opinion
                ? {
                    models: {
                      ...(patch.model
                        ? {
                            [patch.model]: {
                              usd: FieldValue.increment(usd - (opinion?.micros ?? 0)),
                              images: FieldValue.increment(1),
                            },
                          }
                        : {}),
                      ...(opinion
                        ? { [opinion.model]: { usd: FieldValue.increment(opinion.micros) } }
                        : {}),
                    },
                  }
                : {}),
              expireAt: new Date(Date.now() + (retentionSeconds + 31 * 86_400) * 1000),
            };
            for (const period of costPeriodsOf(record.createdAt)) {
              tx.set(costDoc(record.userId, period), add, { merge: true });
            }
          }
          const classification = patch.classification ?? record.classification;
          const completed = patch.status === "completed";
          tx.set(
            operations.doc(`${operationsHourOf(patch.completedAt)}~${shardOf(id)}`),
            {
              [patch.status]: FieldValue.increment(1),
              ...(completed
                ? {
                    usd: FieldValue.increment(toMicros(patch.cost?.usd ?? 0)),
                    hits: FieldValue.increment(patch.cached ? 1 : 0),
                  }
                : {}),
              ...(patch.status === "failed"
                ? {
                    errors: {
                      [patch.error?.code ?? record.error?.code ?? "UNKNOWN"]:
                        FieldValue.increment(1),
                    },
                  }
                : {}),
              ...(classification
                ? {
                    confidence: {
                      [String(confidenceBucketOf(classification.confidence))]:
                        FieldValue.increment(1),
                    },
                  }
                : {}),
              expireAt: new Date(Date.now() + OPERATIONS_RETENTION_MS),
            },
            { merge: true },
          );
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

    async addSpend(userId, { model, usd }, at) {
      const micros = toMicros(usd);
      if (micros <= 0) return;
      const batch = db.batch();
      for (const period of costPeriodsOf(at)) {
        batch.set(
          costDoc(userId, period),
          {
            usd: FieldValue.increment(micros),
            models: { [model]: { usd: FieldValue.increment(micros) } },
            expireAt: new Date(Date.now() + (retentionSeconds + 31 * 86_400) * 1000),
          },
          { merge: true },
        );
      }
      await batch.commit();
    },

    async operationsTotals(hours) {
      if (hours.length === 0) return {};
      const refs = hours.flatMap((hour) =>
        Array.from({ length: OPERATIONS_SHARDS }, (_, shard) => operations.doc(`${hour}~${shard}`)),
      );
      const snaps = await db.getAll(...refs);
      return Object.fromEntries(
        hours.map((hour, h) => {
          const totals = emptyOperationsTotals();
          for (let shard = 0; shard < OPERATIONS_SHARDS; shard++) {
            addOperations(totals, snaps[h * OPERATIONS_SHARDS + shard]?.data() ?? {});
          }
          totals.usd = Math.round(totals.usd * 1e6) / 1e6;
          return [hour, totals];
        }),
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
  };
}
