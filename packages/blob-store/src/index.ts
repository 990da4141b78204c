export { assertBlobKey, type BlobRead, type BlobStore, type BlobWrite } from "./blob-store.ts";
export { createFsBlobStore } from "./fs-blob-store.ts";
