import { Firestore } from "@google-cloud/firestore";
import type { Redis } from "ioredis";
import { createFirestoreStore } from "./firestore-store.ts";
import { createRedisStore } from "./redis-store.ts";
import type { Store } from "./store.ts";

export interface StoreSettings {
  kind: "redis" | "firestore";
  /** The Redis connection: required when kind is redis, unused otherwise. */
  redis: Redis | undefined;
  keyPrefix: string;
  /** How long records are kept (RECORD_RETENTION_DAYS). */
  retentionSeconds?: number;
  firestore: { projectId: string; emulatorHost: string | undefined } | null;
}

/** The Store the configuration names, and how to let go of it. */
export function openStore(settings: StoreSettings): { store: Store; close: () => Promise<void> } {
  if (settings.kind === "firestore") {
    if (!settings.firestore) throw new Error("STORE=firestore without Firestore settings");
    const { projectId, emulatorHost } = settings.firestore;
    const db = new Firestore({
      projectId,
      // Records carry optional fields; a missing one is simply not written.
      ignoreUndefinedProperties: true,
      // The emulator: plain gRPC, as its admin ("Bearer owner"), so no Google credentials are
      // used. Naming the universe domain spares google-gax from asking Application Default
      // Credentials for it, which would probe the GCE metadata server (and print a
      // MetadataLookupWarning when there is none).
      ...(emulatorHost ? { host: emulatorHost, ssl: false, universeDomain: "googleapis.com" } : {}),
    });
    return {
      store: createFirestoreStore(db, retentionOf(settings)),
      close: () => db.terminate(),
    };
  }
  if (!settings.redis) throw new Error("STORE=redis without a Redis connection");
  return {
    store: createRedisStore(settings.redis, settings.keyPrefix, retentionOf(settings)),
    close: async () => undefined,
  };
}

const retentionOf = (settings: StoreSettings) =>
  settings.retentionSeconds === undefined ? {} : { retentionSeconds: settings.retentionSeconds };
