import type { WebhookDelivery } from "@nanobanana/domain";
import type { WebhookStore } from "../store.ts";
import { type FirestoreContext, withoutExpiry } from "./shared.ts";

// Firestore's gRPC code for "a document with this name already exists".
const ALREADY_EXISTS = 6;

/**
 * Webhook secrets (the webhookSecret and previousWebhookSecret fields of users/{userId}) and
 * deliveries (deliveries/{id}) in Firestore.
 */
export function firestoreWebhookStore({
  db,
  collections,
  expireAt,
}: FirestoreContext): WebhookStore {
  const { users, deliveries } = collections;
  return {
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
  };
}
