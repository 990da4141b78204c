import { join } from "node:path";
import type { BlobStore } from "./blob-store.ts";
import { createFsBlobStore } from "./fs-blob-store.ts";
import { createGcsBlobStore, type GcsSettings } from "./gcs-blob-store.ts";

/** The BlobStore the configuration names. */
export function openBlobStore(settings: {
  kind: "fs" | "gcs";
  dataDir: string;
  gcs: GcsSettings | null;
}): BlobStore {
  if (settings.kind === "gcs") {
    if (!settings.gcs) throw new Error("BLOB_STORE=gcs without GCS settings");
    return createGcsBlobStore(settings.gcs);
  }
  return createFsBlobStore(join(settings.dataDir, "blobs"));
}
