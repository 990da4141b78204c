import type { IdempotencyReservation, IdempotencyStore, StoredResponse } from "../store.ts";
import { expiresIn, type FirestoreContext, toDate } from "./shared.ts";

/** Idempotency-Key claims in Firestore: idempotency/{scope}:{key}, with expiresAt. */
export function firestoreIdempotencyStore({ db, collections }: FirestoreContext): IdempotencyStore {
  const { idemDoc } = collections;
  return {
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
  };
}
