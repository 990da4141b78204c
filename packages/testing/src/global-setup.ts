import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRedis } from "@nanobanana/local-redis";
import type { TestProject } from "vitest/node";
import { type FirestoreEmulator, startFirestoreEmulator } from "./firestore-emulator.ts";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
    /** host:port of the Firestore emulator; empty when it could not start outside CI. */
    firestoreHost: string;
  }
}

/**
 * Real servers for the integration run, each started once on a free port: redis-server
 * and the Firestore emulator. Tests isolate by key prefix / project id. Under CI a missing
 * emulator fails the run; elsewhere its tests are skipped with a loud warning.
 */
export default async function setup(project: TestProject) {
  // The tests talk to emulators only, never to Google Cloud: say so to gcp-metadata (its
  // documented switch), so that a Google client built without credentials, as the tests
  // build theirs, neither probes the GCE metadata server (a MetadataLookupWarning each time
  // there is none) nor, on a CI runner that is a GCE VM, borrows that VM's real credentials.
  // The test workers start after this and inherit it.
  process.env.METADATA_SERVER_DETECTION ??= "none";
  const dir = mkdtempSync(join(tmpdir(), "nb-test-redis-"));
  const [redis, emulator] = await Promise.all([
    startLocalRedis({ dir, persistent: false }),
    startFirestoreEmulator().catch((error: Error): FirestoreEmulator | null => {
      if (process.env.CI) {
        throw new Error(`CI needs the Firestore emulator and it could not start: ${error.message}`);
      }
      process.stderr.write(
        `\n!!! Firestore emulator unavailable (${error.message.split("\n")[0]}); its tests are SKIPPED. Install gcloud with the cloud-firestore-emulator component to run them.\n\n`,
      );
      return null;
    }),
  ]);
  project.provide("redisUrl", redis.url);
  project.provide("firestoreHost", emulator?.host ?? "");
  return async () => {
    await Promise.all([redis.stop(), emulator?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
