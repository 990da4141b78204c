import { randomBytes } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import { testFirestoreHost } from "@nanobanana/testing";
import { afterAll, describe } from "vitest";
import { createFirestoreStore } from "./firestore-store.ts";
import { describeStoreContract } from "./store.contract.ts";

const host = testFirestoreHost();
const clients: Firestore[] = [];
afterAll(() => Promise.all(clients.map((c) => c.terminate())));

// The emulator keeps one database per project id: a fresh project per store isolates tests.
const freshStore = () => {
  const db = new Firestore({
    projectId: `nb-test-${randomBytes(4).toString("hex")}`,
    host,
    ssl: false,
    ignoreUndefinedProperties: true,
  });
  clients.push(db);
  return createFirestoreStore(db);
};

// Skipped only outside CI when the emulator is missing; the global setup fails CI instead.
describe.skipIf(!host)("firestore", () => {
  describeStoreContract("firestore (emulator)", freshStore);
});
