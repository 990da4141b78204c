import { buffer } from "node:stream/consumers";
import type { BlobStore } from "@nanobanana/blob-store";
import sharp from "sharp";

/** Longest side, in pixels, of the thumbnails GET /generation/:id/thumbnail makes. */
export const THUMBNAIL_SIZES = [128, 256, 512] as const;
export type ThumbnailSize = (typeof THUMBNAIL_SIZES)[number];

export interface Thumbnail {
  bytes: Buffer;
  contentType: "image/webp";
}

/**
 * Thumbnails live under cache/ beside the images, so the sweep that deletes old cached
 * images deletes them too; one asked for again is made again from its image.
 */
export const thumbnailKeyFor = (sha256: string, size: ThumbnailSize) =>
  `cache/thumbnails/${sha256}-${size}.webp`;

/** Made by this process and not yet stored: asked for twice at once, made once. */
const making = new Map<string, Promise<Thumbnail | null>>();

/**
 * A WebP of the image no larger than `size` on its longest side (never enlarged), made on
 * first request and kept in the blob store; null when the image itself is no longer stored.
 */
export async function thumbnailFor(
  blobs: BlobStore,
  image: { key: string; sha256: string },
  size: ThumbnailSize,
): Promise<Thumbnail | null> {
  const key = thumbnailKeyFor(image.sha256, size);
  const stored = await blobs.get(key);
  if (stored) return { bytes: await buffer(stored.body), contentType: "image/webp" };
  const pending = making.get(key);
  if (pending !== undefined) return pending;
  const made = (async () => {
    const source = await blobs.get(image.key);
    if (!source) return null;
    const bytes = await sharp(await buffer(source.body))
      .resize(size, size, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 72 })
      .toBuffer();
    await blobs.put(key, bytes, { contentType: "image/webp" });
    return { bytes, contentType: "image/webp" as const };
  })().finally(() => making.delete(key));
  making.set(key, made);
  return made;
}
