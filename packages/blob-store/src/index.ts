export { assertBlobKey, type BlobRead, type BlobStore, type BlobWrite } from "./blob-store.ts";
export { createFsBlobStore } from "./fs-blob-store.ts";
export { createGcsBlobStore, type GcsSettings } from "./gcs-blob-store.ts";
export { openBlobStore } from "./open-blob-store.ts";
