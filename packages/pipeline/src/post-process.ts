import { createHash } from "node:crypto";
import { type ImageFormat, MIME_TYPES } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import sharp, { type Metadata, type Sharp } from "sharp";

export interface ProcessedImage {
  bytes: Buffer;
  mimeType: string;
  width: number;
  height: number;
  sha256: string;
}

/** Converts whatever the model returned to the requested format and measures it. */
export async function postProcessImage(
  input: Buffer,
  format: ImageFormat,
): Promise<ProcessedImage> {
  let image: Sharp;
  let meta: Metadata;
  try {
    image = sharp(input, { failOn: "error" });
    meta = await image.metadata();
  } catch (error) {
    throw new AppError("PROVIDER_ERROR", "the model returned bytes that are not a readable image", {
      retryable: true,
      cause: error,
    });
  }
  // Re-encoding an image already in the right format costs time and quality for nothing.
  const bytes =
    meta.format === format
      ? input
      : format === "png"
        ? await image.png().toBuffer()
        : format === "webp"
          ? await image.webp({ quality: 90 }).toBuffer()
          : await image
              .flatten({ background: "#ffffff" })
              .jpeg({ quality: 90, mozjpeg: true })
              .toBuffer();
  return {
    bytes,
    mimeType: MIME_TYPES[format],
    width: meta.width ?? 0,
    height: meta.height ?? 0,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}
