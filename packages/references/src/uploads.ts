import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { BlobStore } from "@nanobanana/blob-store";
import { newId, UPLOAD_ID, USER_ID } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { REFERENCE_LIMITS, sizeLimitText } from "./limits.ts";
import { sniffImage } from "./sniff.ts";

/** What POST /uploads answers: the upload as stored. */
export interface UploadInfo {
  id: string;
  sha256: string;
  mimeType: string;
  width: number;
  height: number;
  /** Its size in bytes. */
  bytes: number;
  createdAt: string;
}

/** A blob key segment as assertBlobKey takes it: starts with a letter or digit, no "." or "..". */
const PLAIN_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * The BlobStore key of a user's upload: "uploads/{userId}/{id}". Each user's uploads live
 * under their own prefix, so one user's id can never name another's object. A user id that is
 * not a plain key segment ("_ops", ".x", legal user ids) is written as "h" and its sha256: 65
 * characters, longer than any user id, so it cannot be mistaken for another user's plain one.
 */
export function uploadKeyFor(userId: string, uploadId: string): string {
  if (!USER_ID.test(userId)) throw new AppError("INVALID_REQUEST", "not a user id");
  if (!UPLOAD_ID.test(uploadId)) {
    throw new AppError("INVALID_REQUEST", `"${uploadId.slice(0, 40)}" is not an upload id`);
  }
  const owner = PLAIN_SEGMENT.test(userId)
    ? userId
    : `h${createHash("sha256").update(userId).digest("hex")}`;
  return `uploads/${owner}/${uploadId}`;
}

export const sha256Of = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

export function tooLarge(what: string, size: number | string): AppError {
  return new AppError(
    "PAYLOAD_TOO_LARGE",
    `${what} is ${size} bytes; a reference image may be at most ${sizeLimitText(REFERENCE_LIMITS.maxBytes)}`,
  );
}

/**
 * Stores an image a user uploaded, under uploadKeyFor, with its sha256, size and owner as
 * metadata. The type is sniffed from the bytes: a PNG sent as image/jpeg is stored as the PNG
 * it is; anything that is not png, jpeg, webp or heic/heif is refused (INVALID_REQUEST), as is
 * an empty body (INVALID_REQUEST) or one over REFERENCE_LIMITS.maxBytes (PAYLOAD_TOO_LARGE).
 */
export async function saveUpload(
  deps: { blobs: BlobStore },
  input: { userId: string; bytes: Buffer; declaredType?: string },
): Promise<UploadInfo> {
  const { userId, bytes } = input;
  if (bytes.length === 0) throw new AppError("INVALID_REQUEST", "the upload is empty");
  if (bytes.length > REFERENCE_LIMITS.maxBytes) throw tooLarge("the upload", bytes.length);
  const what = input.declaredType ? `the upload (sent as ${input.declaredType})` : "the upload";
  const { mimeType, width, height } = await sniffImage(bytes, what);
  const id = newId("upl");
  const info: UploadInfo = {
    id,
    sha256: sha256Of(bytes),
    mimeType,
    width,
    height,
    bytes: bytes.length,
    createdAt: new Date().toISOString(),
  };
  await deps.blobs.put(uploadKeyFor(userId, id), bytes, {
    contentType: mimeType,
    metadata: {
      sha256: info.sha256,
      width: String(width),
      height: String(height),
      userId,
      createdAt: info.createdAt,
    },
  });
  return info;
}

/**
 * A user's upload as bytes, or NOT_FOUND. Another user's id is "not found" too (never
 * "forbidden": whether an id exists is not the caller's business); the owner recorded in the
 * metadata is checked as well as the key.
 */
export async function readUpload(
  blobs: BlobStore,
  userId: string,
  uploadId: string,
): Promise<{ bytes: Buffer; contentType: string }> {
  const found = await blobs.get(uploadKeyFor(userId, uploadId));
  const notFound = new AppError(
    "NOT_FOUND",
    `upload ${uploadId} not found (uploads are kept per user; upload it again with POST /uploads)`,
  );
  if (!found) throw notFound;
  if (found.metadata.userId !== undefined && found.metadata.userId !== userId) {
    found.body.destroy();
    throw notFound;
  }
  if (found.size > REFERENCE_LIMITS.maxBytes) {
    found.body.destroy();
    throw tooLarge(`upload ${uploadId}`, found.size);
  }
  return { bytes: await readAll(found.body), contentType: found.contentType };
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
