import { FieldValue } from "@google-cloud/firestore";
import type { EconomyStore, ProviderJobRecord } from "../store.ts";
import type { FirestoreContext } from "./shared.ts";

/**
 * Economy windows and batch jobs in Firestore: economyWindows/{window} (a flag that someone
 * waits) with items/{generationId} {at}; providerJobs/{name}, `open` until it ended.
 */
export function firestoreEconomyStore({ db }: FirestoreContext): EconomyStore {
  const windows = db.collection("economyWindows");
  const jobs = db.collection("providerJobs");
  // Window names hold "/" ("model/size"): not allowed in a document id as it is.
  const windowDoc = (window: string) => windows.doc(encodeURIComponent(window));
  return {
    async joinEconomyWindow(window, generationId) {
      const doc = windowDoc(window);
      return db.runTransaction(async (tx) => {
        const item = doc.collection("items").doc(generationId);
        const [existing, count] = await Promise.all([
          tx.get(item),
          tx.get(doc.collection("items").count()),
        ]);
        if (existing.exists) return count.data().count;
        tx.set(item, { at: FieldValue.serverTimestamp(), order: Date.now() });
        tx.set(doc, { window, waiting: true }, { merge: true });
        return count.data().count + 1;
      });
    },
    async takeEconomyWindow(window, max, job) {
      const doc = windowDoc(window);
      return db.runTransaction(async (tx) => {
        const snap = await tx.get(
          doc
            .collection("items")
            .orderBy("order")
            .limit(max + 1),
        );
        const taken = snap.docs.slice(0, max);
        if (taken.length === 0) {
          tx.set(doc, { window, waiting: false }, { merge: true });
          return null;
        }
        const record: ProviderJobRecord = { ...job, window, ids: taken.map((d) => d.id) };
        for (const d of taken) tx.delete(d.ref);
        if (snap.docs.length <= max) tx.set(doc, { window, waiting: false }, { merge: true });
        tx.set(jobs.doc(job.name), { ...record, open: true });
        return record;
      });
    },
    async economyWindows() {
      const snap = await windows.where("waiting", "==", true).get();
      return snap.docs.map((d) => String(d.get("window"))).sort();
    },
    async getProviderJob(name) {
      const snap = await jobs.doc(name).get();
      if (!snap.exists) return null;
      const { open: _open, ...job } = snap.data() as ProviderJobRecord & { open: boolean };
      return job;
    },
    async updateProviderJob(name, patch) {
      await jobs.doc(name).update({
        ...patch,
        updatedAt: new Date().toISOString(),
        ...(patch.state === "ended" ? { open: false } : {}),
      });
    },
    async openProviderJobs(limit) {
      const snap = await jobs.where("open", "==", true).orderBy("createdAt").limit(limit).get();
      return snap.docs.map((d) => d.id);
    },
  };
}
