import { AppError } from "@nanobanana/errors";
import sharp, { type Metadata } from "sharp";
import { MAX_REFERENCE_PIXELS, REFERENCE_LIMITS } from "./limits.ts";

export interface SniffedImage {
  mimeType: string;
  width: number;
  height: number;
}

/**
 * The image type the bytes really are, read from their header by sharp (libvips); a declared
 * type or a file name is never believed. Refuses, as INVALID_REQUEST, anything but png, jpeg,
 * webp and heic/heif, naming what was found and what is allowed. `what` names the image in
 * messages ("the upload", "reference image from cdn.example.com").
 */
export async function sniffImage(bytes: Buffer, what: string): Promise<SniffedImage> {
  const allowed = REFERENCE_LIMITS.mimeTypes.join(", ");
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch {
    throw new AppError("INVALID_REQUEST", `${what} is not an image; send one of ${allowed}`);
  }
  const mimeType = mimeTypeOf(meta);
  if (!mimeType || !REFERENCE_LIMITS.mimeTypes.includes(mimeType)) {
    const found = meta.format === "heif" && meta.compression === "av1" ? "avif" : meta.format;
    throw new AppError("INVALID_REQUEST", `${what} is a ${found} image; send one of ${allowed}`);
  }
  const { width, height } = meta;
  if (!width || !height) {
    throw new AppError("INVALID_REQUEST", `${what} has no readable width and height`);
  }
  if (width * height > MAX_REFERENCE_PIXELS) {
    throw new AppError(
      "INVALID_REQUEST",
      `${what} is ${width}×${height} pixels; at most ${MAX_REFERENCE_PIXELS / 1_000_000} megapixels`,
    );
  }
  return { mimeType, width, height };
}

function mimeTypeOf(meta: Metadata): string | null {
  switch (meta.format) {
    case "png":
      return "image/png";
    case "jpeg":
      return "image/jpeg";
    case "webp":
      return "image/webp";
    case "heif":
      // The HEIF container holds HEVC (HEIC, what phones write), AV1 (AVIF, not taken) or other codecs.
      if (meta.compression === "av1") return null;
      return meta.compression === "hevc" ? "image/heic" : "image/heif";
    default:
      return null;
  }
}
