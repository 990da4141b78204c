import type { IncomingMessage } from "node:http";
import type { BlobStore } from "@nanobanana/blob-store";
import { AppError } from "@nanobanana/errors";
import { REFERENCE_LIMITS, saveUpload } from "@nanobanana/references";
import busboy from "busboy";
import express, { type RequestHandler, Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { parseBody, verifyJsonBody } from "../http-errors.ts";

export interface UploadRouteDeps {
  blobs: BlobStore;
}

const MIB = 1024 * 1024;
const LIMIT_TEXT = `${REFERENCE_LIMITS.maxBytes / MIB} MiB`;
const ALLOWED = REFERENCE_LIMITS.mimeTypes.join(", ");
const HOW_TO_SEND = `send the image as multipart/form-data in a field named "file", as a raw body with Content-Type ${ALLOWED}, or as JSON {"data": "<base64>", "mimeType": "image/png"}`;

/**
 * The JSON body limit on POST /uploads: base64 makes 7 MiB of image 9⅓ MiB of text, plus the
 * JSON around it. Every other route keeps MAX_BODY_BYTES (256 KiB).
 */
export const MAX_UPLOAD_JSON_BYTES = 10 * MIB;

/** An image over the limit, however it was sent, with the limit said the same way. */
const tooLarge = (size?: number) =>
  new AppError(
    "PAYLOAD_TOO_LARGE",
    `${size === undefined ? "the image is too large" : `the image is ${size} bytes`}; an upload may be at most ${LIMIT_TEXT} (${REFERENCE_LIMITS.maxBytes} bytes)`,
  );

/**
 * The JSON parser for /uploads, mounted before the general one (which then skips the body
 * already read): its limit is MAX_UPLOAD_JSON_BYTES, and a body over it is refused by naming
 * the image limit, not the JSON one.
 */
export function uploadJsonBody(): RequestHandler {
  const parse = express.json({
    limit: MAX_UPLOAD_JSON_BYTES,
    strict: true,
    verify: verifyJsonBody,
  });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) =>
      next(
        (error as { type?: string } | undefined)?.type === "entity.too.large" ? tooLarge() : error,
      ),
    );
}

export const base64Body = z.strictObject({
  data: z.string({ error: "data must be the image as a base64 string" }),
  mimeType: z.string({ error: `mimeType must be one of ${ALLOWED}` }).optional(),
});

// Standard base64 with its padding (the length a multiple of 4, checked apart: a regex that
// counts groups of 4 recurses per group and overflows the stack on megabytes). A data: URL's
// "data:image/png;base64," prefix is allowed.
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const isBase64 = (text: string) => text.length % 4 === 0 && BASE64_CHARS.test(text);
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,/;

/** How many bytes a base64 string decodes to, without decoding it. */
const decodedLength = (text: string) =>
  (text.length / 4) * 3 - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0);

/**
 * POST /uploads: a reference image for later requests' `images`. Takes multipart/form-data
 * (one file, field "file"), a raw image body, or JSON with base64 `data`; answers 201 with
 * the upload (id, sha256, mimeType, width, height, bytes, createdAt). The type is sniffed from
 * the bytes whatever the request says.
 */
export function uploadRoutes(deps: UploadRouteDeps): Router {
  const router = Router();
  router.post("/uploads", async (req, res) => {
    const { userId } = callerOf(req);
    const { bytes, declaredType } = await imageOf(req);
    const info = await saveUpload(
      { blobs: deps.blobs },
      { userId, bytes, ...(declaredType ? { declaredType } : {}) },
    );
    res.status(201).json(info);
  });
  return router;
}

async function imageOf(
  req: express.Request,
): Promise<{ bytes: Buffer; declaredType: string | undefined }> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "multipart/form-data") return readMultipart(req);
  if (REFERENCE_LIMITS.mimeTypes.includes(type)) {
    return { bytes: await readRaw(req), declaredType: type };
  }
  if (type === "application/json") return fromBase64(req.body);
  throw new AppError(
    "UNSUPPORTED_MEDIA_TYPE",
    `${type ? `Content-Type ${type.slice(0, 60)} is not taken` : "no Content-Type"}; ${HOW_TO_SEND}`,
  );
}

function fromBase64(body: unknown): { bytes: Buffer; declaredType: string | undefined } {
  const { data, mimeType } = parseBody(base64Body, body);
  if (mimeType !== undefined && !REFERENCE_LIMITS.mimeTypes.includes(mimeType)) {
    throw new AppError(
      "UNSUPPORTED_MEDIA_TYPE",
      `mimeType ${mimeType.slice(0, 60)} is not taken; send one of ${ALLOWED}`,
    );
  }
  const dataUrl = DATA_URL.exec(data);
  // Line breaks are common in base64 tools' output and carry nothing.
  const text = data.slice(dataUrl?.[0].length ?? 0).replace(/\s+/g, "");
  if (text.length === 0) throw new AppError("INVALID_REQUEST", "data is empty; send the image");
  if (!isBase64(text)) {
    throw new AppError(
      "INVALID_REQUEST",
      "data is not valid base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 characters)",
    );
  }
  const size = decodedLength(text);
  if (size > REFERENCE_LIMITS.maxBytes) throw tooLarge(size);
  return { bytes: Buffer.from(text, "base64"), declaredType: mimeType ?? dataUrl?.[1] };
}

/**
 * The body, up to the limit. Past it nothing more is kept but the rest is still read (up
 * to a ceiling), so the client, still sending, gets the 413 rather than a reset connection.
 */
async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > REFERENCE_LIMITS.maxBytes) {
    await drain(req);
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > REFERENCE_LIMITS.maxBytes) {
      await drain(req);
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Most of a refused body read and dropped before the connection is cut instead. */
const DRAIN_CEILING = 64 * MIB;

async function drain(req: IncomingMessage): Promise<void> {
  let dropped = 0;
  for await (const chunk of req) {
    dropped += (chunk as Buffer).length;
    if (dropped > DRAIN_CEILING) {
      req.destroy();
      return;
    }
  }
}

/**
 * One file from a multipart body, in the field "file". A second file, a file in another
 * field, or none at all is a 400; a file over the limit a 413. Everything else in the body
 * is read and dropped so the answer waits for the client to finish sending.
 */
function readMultipart(
  req: IncomingMessage,
): Promise<{ bytes: Buffer; declaredType: string | undefined }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: REFERENCE_LIMITS.maxBytes, parts: 20, fieldSize: 64 * 1024 },
      });
    } catch (error) {
      reject(
        new AppError(
          "INVALID_REQUEST",
          `the multipart body cannot be read: ${(error as Error).message}`,
        ),
      );
      return;
    }
    let file: { bytes: Buffer; declaredType: string | undefined } | undefined;
    let problem: AppError | undefined;
    const refuse = (error: AppError) => {
      problem ??= error;
    };
    parser.on("file", (field, stream, info) => {
      if (field !== "file") {
        refuse(
          new AppError(
            "INVALID_REQUEST",
            `the file is in a field named "${field.slice(0, 40)}"; send it in a field named "file"`,
          ),
        );
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("limit", () => refuse(tooLarge()));
      stream.on("end", () => {
        if (!stream.truncated) file = { bytes: Buffer.concat(chunks), declaredType: info.mimeType };
      });
    });
    parser.on("filesLimit", () =>
      refuse(new AppError("INVALID_REQUEST", "send one file per upload; this body has more")),
    );
    parser.on("partsLimit", () =>
      refuse(
        new AppError("INVALID_REQUEST", "the multipart body has too many parts; send one file"),
      ),
    );
    parser.on("error", (error: Error) => {
      // The parser stops here; the rest of the body is still read so the answer is heard.
      req.unpipe(parser);
      drain(req).catch(() => undefined);
      reject(new AppError("INVALID_REQUEST", `the multipart body is malformed: ${error.message}`));
    });
    parser.on("close", () => {
      if (problem) reject(problem);
      else if (!file) {
        reject(
          new AppError(
            "INVALID_REQUEST",
            'the multipart body has no file field; send the image in a field named "file"',
          ),
        );
      } else resolve(file);
    });
    req.pipe(parser);
  });
}
