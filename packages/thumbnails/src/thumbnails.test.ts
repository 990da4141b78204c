import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { thumbnailFor, thumbnailKeyFor } from "./index.ts";

async function storeWithImage(width: number, height: number) {
  const blobs = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-thumbs-")));
  const png = await sharp({
    create: { width, height, channels: 3, background: { r: 200, g: 40, b: 40 } },
  })
    .png()
    .toBuffer();
  const image = { key: "cache/abc.png", sha256: "a".repeat(64) };
  await blobs.put(image.key, png, { contentType: "image/png" });
  return { blobs, image };
}

describe("thumbnailFor", () => {
  it("makes a WebP no larger than the size on its longest side, keeping the ratio", async () => {
    const { blobs, image } = await storeWithImage(1344, 768);
    const thumb = await thumbnailFor(blobs, image, 256);
    const meta = await sharp(thumb?.bytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["webp", 256, 146]);
    expect(await blobs.exists(thumbnailKeyFor(image.sha256, 256))).toBe(true);
  });

  it("never enlarges a small image", async () => {
    const { blobs, image } = await storeWithImage(100, 60);
    const meta = await sharp((await thumbnailFor(blobs, image, 512))?.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([100, 60]);
  });

  it("serves the stored thumbnail once made, even after its image is gone", async () => {
    const { blobs, image } = await storeWithImage(800, 800);
    const first = await thumbnailFor(blobs, image, 128);
    await blobs.delete(image.key);
    expect(
      (await thumbnailFor(blobs, image, 128))?.bytes.equals(first?.bytes ?? Buffer.alloc(0)),
    ).toBe(true);
    // A size never made needs the image: there is none now.
    expect(await thumbnailFor(blobs, image, 256)).toBeNull();
  });

  it("makes one thumbnail for requests that arrive together", async () => {
    const { blobs, image } = await storeWithImage(640, 480);
    let puts = 0;
    const counting = {
      ...blobs,
      put: (...args: Parameters<typeof blobs.put>) => {
        puts++;
        return blobs.put(...args);
      },
    };
    await Promise.all([1, 2, 3].map(() => thumbnailFor(counting, image, 256)));
    expect(puts).toBe(1);
  });
});
