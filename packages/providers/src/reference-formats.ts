import { AppError } from "@nanobanana/errors";
import sharp from "sharp";
import type { ReferenceBytes } from "./image-provider.ts";

/** The reference formats OpenAI's edits and Stability AI's endpoints take, as files. */
export const PNG_JPEG_WEBP: readonly string[] = ["image/png", "image/jpeg", "image/webp"];
/** The file extension a reference of one of those types is sent under. */
export const EXTENSION_OF: Readonly<Record<string, string>> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
};

/**
 * A reference image in a format the maker takes: as it came, or converted to PNG. A reference
 * may be HEIC or HEIF (Gemini takes them, so uploads accept them); OpenAI and Stability AI take
 * only PNG, JPEG and WebP. One sharp cannot decode (HEVC-coded HEIC, which its prebuilt
 * binaries leave out) fails for good: no retry can change the image.
 */
export async function inFormatTaken(
  reference: ReferenceBytes,
  taken: readonly string[],
  maker: string,
): Promise<ReferenceBytes> {
  if (taken.includes(reference.mimeType)) return reference;
  try {
    return { bytes: await sharp(reference.bytes).png().toBuffer(), mimeType: "image/png" };
  } catch (error) {
    throw new AppError(
      "INVALID_REQUEST",
      `${maker} takes ${taken.join(", ")} reference images; this ${reference.mimeType} one could not be converted (${(error as Error).message}). Upload it as PNG or JPEG.`,
    );
  }
}
