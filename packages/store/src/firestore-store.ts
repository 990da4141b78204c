import type { Firestore } from "@google-cloud/firestore";
import { firestoreApiKeyStore } from "./firestore/api-key-store.ts";
import { firestoreCacheStore } from "./firestore/cache-store.ts";
import { firestoreEconomyStore } from "./firestore/economy-store.ts";
import { firestoreGenerationStore } from "./firestore/generation-store.ts";
import { firestoreIdempotencyStore } from "./firestore/idempotency-store.ts";
import { firestoreLabelAnswerStore } from "./firestore/label-answer-store.ts";
import { firestorePreferenceStore } from "./firestore/preference-store.ts";
import { firestoreContext } from "./firestore/shared.ts";
import { firestoreTemplateStore } from "./firestore/template-store.ts";
import { firestoreWebhookStore } from "./firestore/webhook-store.ts";
import type { Store, StoreOptions } from "./store.ts";

/**
 * Firestore adapter: every part of the Store over one database (collections, write limits
 * and TTL fields: firestore/shared.ts).
 */
export function createFirestoreStore(db: Firestore, options: StoreOptions = {}): Store {
  const ctx = firestoreContext(db, options);
  return {
    name: "firestore",
    ...firestoreGenerationStore(ctx),
    ...firestoreIdempotencyStore(ctx),
    ...firestoreApiKeyStore(ctx),
    ...firestorePreferenceStore(ctx),
    ...firestoreTemplateStore(ctx),
    ...firestoreWebhookStore(ctx),
    ...firestoreCacheStore(ctx),
    ...firestoreEconomyStore(ctx),
    ...firestoreLabelAnswerStore(ctx),
    async ping() {
      await db.collection("health").doc("ping").get();
    },
  };
}
