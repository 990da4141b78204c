import { Storage, type StorageOptions } from "@google-cloud/storage";
import { assertBlobKey, type BlobRead, type BlobStore } from "./blob-store.ts";

export interface GcsSettings {
  bucket: string;
  /** host:port of a GCS-compatible server (STORAGE_EMULATOR_HOST); unset for Google. */
  emulatorHost?: string | undefined;
  projectId?: string | undefined;
  /** A service-account key file; otherwise Application Default Credentials. */
  keyFilename?: string | undefined;
  signedUrlTtlSeconds: number;
}

const statusOf = (error: unknown) => (error as { code?: number }).code;

/**
 * Cloud Storage adapter. Images are small, so every upload is one request
 * (`resumable: false`); create-only writes use `ifGenerationMatch: 0`, which makes them
 * safe to retry. Signed V4 URLs let the API redirect instead of streaming, when the
 * credentials can sign (a key file, or signBlob permission on Cloud Run).
 */
export function createGcsBlobStore(settings: GcsSettings): BlobStore {
  const options: StorageOptions = {
    ...(settings.projectId ? { projectId: settings.projectId } : {}),
    ...(settings.keyFilename ? { keyFilename: settings.keyFilename } : {}),
    ...(settings.emulatorHost ? { apiEndpoint: `http://${settings.emulatorHost}` } : {}),
  };
  const bucket = new Storage(options).bucket(settings.bucket);
  let signingBroken = false;

  return {
    name: "gcs",
    async put(key, bytes, write) {
      assertBlobKey(key);
      try {
        await bucket.file(key).save(bytes, {
          resumable: false,
          contentType: write.contentType,
          metadata: { contentType: write.contentType, metadata: write.metadata ?? {} },
          ...(write.createOnly ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
        });
      } catch (error) {
        // 412: the object already exists, which is what create-only asked for.
        if (write.createOnly && statusOf(error) === 412) return;
        throw error;
      }
    },
    async get(key): Promise<BlobRead | null> {
      assertBlobKey(key);
      const file = bucket.file(key);
      try {
        const [meta] = await file.getMetadata();
        return {
          body: file.createReadStream(),
          contentType: meta.contentType ?? "application/octet-stream",
          size: Number(meta.size ?? 0),
          metadata: Object.fromEntries(
            Object.entries(meta.metadata ?? {}).map(([k, v]) => [k, String(v)]),
          ),
        };
      } catch (error) {
        if (statusOf(error) === 404) return null;
        throw error;
      }
    },
    async exists(key) {
      assertBlobKey(key);
      const [exists] = await bucket.file(key).exists();
      return exists;
    },
    async deleteOlderThan() {
      // The bucket's lifecycle rule deletes cache/ objects by age (infra/gcs-lifecycle.json).
      return 0;
    },
    async delete(key) {
      assertBlobKey(key);
      await bucket.file(key).delete({ ignoreNotFound: true });
    },
    async signedUrl(key) {
      assertBlobKey(key);
      if (signingBroken) return null;
      try {
        const [url] = await bucket.file(key).getSignedUrl({
          version: "v4",
          action: "read",
          expires: Date.now() + settings.signedUrlTtlSeconds * 1000,
        });
        return url;
      } catch {
        // No key to sign with (e.g. the emulator, or ADC without signBlob): stream instead.
        signingBroken = true;
        return null;
      }
    },
  };
}
