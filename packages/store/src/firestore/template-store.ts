import { FieldPath, FieldValue } from "@google-cloud/firestore";
import type { CustomTemplate, Feedback, TemplateStats, TemplateUse } from "@nanobanana/domain";
import { compareStats, type TemplateStore } from "../store.ts";
import type { FirestoreContext } from "./shared.ts";

const STATS_SHARDS = 10;

/**
 * Custom templates (users/{userId}/templates/{id}) and template stats (templateStats/) in
 * Firestore. Feedback is stored on its generation (generations/{id}) in the same transaction
 * as the counts.
 */
export function firestoreTemplateStore({ db, collections }: FirestoreContext): TemplateStore {
  const { users, generations, templateStats } = collections;
  // Counters for one variant are spread over STATS_SHARDS documents, picked at random, so a
  // popular template is not one document written on every image (Firestore sustains about
  // one write a second per document). Template ids never hold "/".
  const statsRef = (t: TemplateUse) =>
    templateStats.doc(`${t.id}~${t.variant}~${Math.floor(Math.random() * STATS_SHARDS)}`);

  return {
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
  };
}
