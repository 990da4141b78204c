import type { Readable } from "node:stream";

export interface BlobWrite {
  contentType: string;
  /** Small string labels stored with the object (prompt hash, model, user). */
  metadata?: Record<string, string>;
  /** Write only if no object has this key yet; otherwise leave it and succeed (retry-safe). */
  createOnly?: boolean;
}

export interface BlobRead {
  body: Readable;
  contentType: string;
  size: number;
  metadata: Record<string, string>;
}

/** The port for image bytes. Keys are relative paths such as "images/gen_….png". */
export interface BlobStore {
  readonly name: string;
  /** Writes the object; writing the same key again replaces it (uploads must be retry-safe). */
  put(key: string, bytes: Buffer, options: BlobWrite): Promise<void>;
  get(key: string): Promise<BlobRead | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** A time-limited URL the client can fetch directly, or null when this store cannot make one. */
  signedUrl(key: string): Promise<string | null>;
  /**
   * Deletes objects under `prefix` last written before `before`; returns how many. Cloud
   * Storage answers 0: its bucket lifecycle rule does this (infra/gcs-lifecycle.json).
   */
  deleteOlderThan(prefix: string, before: Date): Promise<number>;
}

const KEY = /^[a-z0-9][a-z0-9_.-]*(\/[a-z0-9][a-z0-9_.-]*)*$/i;

/** Keys reach a disk path or a bucket: refuse anything that could climb out of the root. */
export function assertBlobKey(key: string): void {
  if (
    !KEY.test(key) ||
    key.split("/").some((part) => part === ".." || part === ".") ||
    key.length > 512
  ) {
    throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
  }
}
