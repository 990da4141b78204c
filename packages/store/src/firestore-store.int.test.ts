import { randomBytes } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import { testFirestoreHost } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { makeRecord } from "./contracts/fixtures.ts";
import { describeStoreContract } from "./contracts/store.contract.ts";
import { createFirestoreStore } from "./firestore-store.ts";

const host = testFirestoreHost();
const clients: Firestore[] = [];
afterAll(() => Promise.all(clients.map((c) => c.terminate())));

// The emulator keeps one database per project id: a fresh project per store isolates tests.
const freshDb = () => {
  const db = new Firestore({
    projectId: `nb-test-${randomBytes(4).toString("hex")}`,
    host,
    ssl: false,
    ignoreUndefinedProperties: true,
  });
  clients.push(db);
  return db;
};
const freshStore = () => createFirestoreStore(freshDb());

// Skipped only outside CI when the emulator is missing; the global setup fails CI instead.
describe.skipIf(!host)("firestore", () => {
  describeStoreContract("firestore (emulator)", freshStore);

  it("stamps records with expireAt for the retention TTL policy, and never shows it", async () => {
    const db = freshDb();
    const store = createFirestoreStore(db, { retentionSeconds: 3_600 });
    const record = makeRecord("rita");
    await store.accept({ records: [record] });
    const expireAt = (await db.collection("generations").doc(record.id).get()).get("expireAt");
    const ms = expireAt.toDate().getTime() - Date.now();
    expect(ms).toBeGreaterThan(3_500_000);
    expect(ms).toBeLessThanOrEqual(3_600_000);
    expect(await store.getGeneration(record.id)).toEqual(record);
  });
});
