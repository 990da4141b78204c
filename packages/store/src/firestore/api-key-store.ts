import type { ApiKeyRecord } from "@nanobanana/domain";
import type { ApiKeyStore } from "../store.ts";
import type { FirestoreContext } from "./shared.ts";

/** API keys in Firestore: apiKeys/{sha256}. */
export function firestoreApiKeyStore({ collections }: FirestoreContext): ApiKeyStore {
  const { apiKeys } = collections;
  return {
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
  };
}
