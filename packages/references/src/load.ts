import type { BlobStore } from "@nanobanana/blob-store";
import { UPLOAD_ID } from "@nanobanana/domain";
import { AppError, toAppError } from "@nanobanana/errors";
import { type FetchLimits, type FetchOptions, fetchReference } from "./fetch-url.ts";
import { sniffImage } from "./sniff.ts";
import { readUpload, sha256Of } from "./uploads.ts";

/** A reference image ready for a provider, with what the record keeps of it. */
export interface LoadedReference {
  /** As the request named it: an upload id or a URL. */
  source: string;
  bytes: Buffer;
  /** Sniffed from the bytes. */
  mimeType: string;
  /** Of the bytes as loaded: with the prompt, it decides the cache key. */
  sha256: string;
  width: number;
  height: number;
}

/** How many references load at once: a request may name 14, each a URL on a slow host. */
const CONCURRENCY = 4;

export interface LoadDeps {
  blobs: BlobStore;
  fetchOptions: FetchOptions;
  /** Tests only: shorter deadlines and caps than REFERENCE_LIMITS. */
  fetchLimits?: FetchLimits;
}

/**
 * Loads a request's reference images, in request order, up to four at a time: upload ids
 * from the caller's own uploads (another user's id is NOT_FOUND), URLs through the SSRF guard
 * (fetchReference). Every image's type is sniffed from its bytes. The first failure rejects
 * the whole load, as an AppError whose message starts with the image's place in the request
 * ("images[2]: …") and keeps its code and retryability.
 */
export async function loadReferences(
  deps: LoadDeps,
  userId: string,
  sources: readonly string[],
): Promise<LoadedReference[]> {
  const loaded = new Array<LoadedReference>(sources.length);
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < sources.length) {
      const index = next++;
      const source = sources[index] as string;
      try {
        loaded[index] = await loadOne(deps, userId, source);
      } catch (error) {
        failed = true;
        throw placed(index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, sources.length) }, lane));
  return loaded;
}

async function loadOne(deps: LoadDeps, userId: string, source: string): Promise<LoadedReference> {
  let bytes: Buffer;
  let what: string;
  if (UPLOAD_ID.test(source)) {
    bytes = (await readUpload(deps.blobs, userId, source)).bytes;
    what = `upload ${source}`;
  } else if (/^https?:\/\//i.test(source)) {
    bytes = (await fetchReference(source, deps.fetchOptions, deps.fetchLimits)).bytes;
    what = `reference image from ${new URL(source).host}`;
  } else {
    throw new AppError(
      "INVALID_REQUEST",
      `"${source.slice(0, 60)}" is neither an upload id (upl_…, from POST /uploads) nor an https URL`,
    );
  }
  if (bytes.length === 0) throw new AppError("INVALID_REQUEST", `${what} is empty`);
  const { mimeType, width, height } = await sniffImage(bytes, what);
  return { source, bytes, mimeType, sha256: sha256Of(bytes), width, height };
}

/** The error with the image's place in the request in front of its message. */
function placed(index: number, error: unknown): AppError {
  const appError = toAppError(error);
  return new AppError(appError.code, `images[${index}]: ${appError.message}`, {
    retryable: appError.retryable,
    details: appError.details,
    cause: error,
  });
}
