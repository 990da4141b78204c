import type { DocumentSnapshot, Firestore } from "@google-cloud/firestore";
import type { StoreOptions } from "../store.ts";

const DEFAULT_RETENTION_SECONDS = 90 * 86_400;

/**
 * Firestore adapter. Collections:
 *   generations/{id}                    the record; history = where userId order by id (ids sort by time)
 *   batches/{id}, batches/{id}/settled/{itemId}   a batch and its finished items (count())
 *   idempotency/{scope}:{key}            {fingerprint, response, expiresAt}
 *   users/{userId}                       {webhookSecret, preferences}; users/{userId}/templates/{id}
 *   deliveries/{id}                      webhook deliveries
 *   cache/{key}, cacheLocks/{key}        cache entries and leases, each with expiresAt
 *   labelAnswers/{key}                   second opinions on prompts' labels, with expiresAt
 *   apiKeys/{sha256}                     API keys made at run time, by hash only
 *   costTotals/{userId}~{period}         running totals (µ$) of a day, ISO week or month
 *   operations/{hour}~{shard}            the service's outcomes of one UTC hour, in shards
 *   pendingEnqueues/{acceptanceId}       acceptances whose jobs are not yet confirmed enqueued
 *   outbox/{subjectId}                   generations and batches whose webhooks may be unsent
 *
 * Write limits (about one sustained write per second per document): apart from a user's cost
 * totals (written once per completed image: see infra/firestore.md) and the service's hourly
 * operations totals (spread over OPERATIONS_SHARDS documents an hour for that reason), every document here is
 * written a handful of times in its life, never once per request of a busy user; batch
 * completion counts one small document per item instead of incrementing one counter. The
 * expiresAt fields are for TTL policies (infra/firestore.md); reads check expiry themselves,
 * since TTL deletion lags by up to a day. Records, batches and deliveries carry `expireAt`
 * (the retention) for the same TTL policy, and never show it to callers.
 */
export function firestoreCollections(db: Firestore) {
  const costTotals = db.collection("costTotals");
  const idempotency = db.collection("idempotency");
  return {
    pendingEnqueues: db.collection("pendingEnqueues"),
    outbox: db.collection("outbox"),
    costTotals,
    costDoc: (userId: string, period: string) => costTotals.doc(`${userId}~${period}`),
    operations: db.collection("operations"),
    generations: db.collection("generations"),
    batches: db.collection("batches"),
    idempotency,
    idemDoc: (scope: string, key: string) => idempotency.doc(encodeURIComponent(`${scope}:${key}`)),
    users: db.collection("users"),
    deliveries: db.collection("deliveries"),
    cache: db.collection("cache"),
    cacheLocks: db.collection("cacheLocks"),
    labelAnswers: db.collection("labelAnswers"),
    apiKeys: db.collection("apiKeys"),
    templateStats: db.collection("templateStats"),
  };
}

/** What every part of the Firestore adapter works with. */
export interface FirestoreContext {
  db: Firestore;
  /** The collections above, and the documents named by more than one part. */
  collections: ReturnType<typeof firestoreCollections>;
  /** How long records, batches and deliveries are kept. */
  retentionSeconds: number;
  /** The `expireAt` of a record, batch or delivery written now. */
  expireAt: () => Date;
}

export function firestoreContext(db: Firestore, options: StoreOptions): FirestoreContext {
  const retentionSeconds = options.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
  return {
    db,
    collections: firestoreCollections(db),
    retentionSeconds,
    expireAt: () => new Date(Date.now() + retentionSeconds * 1000),
  };
}

export const expiresIn = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** Firestore hands Dates back as Timestamps. */
export function toDate(value: Date | { toDate(): Date }): Date {
  return value instanceof Date ? value : value.toDate();
}

/** A document's data without the TTL field, which is storage, not part of the record. */
export function withoutExpiry<T>(snap: DocumentSnapshot): T | null {
  const data = snap.data();
  if (!data) return null;
  const { expireAt: _expireAt, ...rest } = data;
  return rest as T;
}

/** Ids of the documents of a collection whose `at` is before `before`, oldest first. */
export async function idsBefore(
  collection: FirebaseFirestore.CollectionReference,
  before: string,
  limit: number,
): Promise<string[]> {
  const snap = await collection.where("at", "<", new Date(before)).orderBy("at").limit(limit).get();
  return snap.docs.map((d) => d.id);
}
