import sharp, { type OverlayOptions } from "sharp";
import type { ReferenceBytes } from "../image-provider.ts";

/** Where one reference goes on the canvas: its framed box, frame included. */
export interface InsetBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Frame around each inset: white mat, then a dark rule, like a print pinned to the scene. */
const MAT = { r: 255, g: 255, b: 255, alpha: 1 } as const;
const RULE = { r: 40, g: 40, b: 40, alpha: 1 } as const;

/**
 * Where the references go, a pure function of their count and the canvas: the first is the
 * subject, framed in the middle of the scene at half the short side; the rest are a row of
 * thumbnails along the top, shrinking so any number up to 14 fits. The bottom-right corner
 * (the SKETCH badge) is never covered.
 */
export function referenceLayout(count: number, w: number, h: number): InsetBox[] {
  if (count === 0) return [];
  const short = Math.min(w, h);
  const main = Math.round(short * 0.5);
  const boxes: InsetBox[] = [
    {
      left: Math.round((w - main) / 2),
      top: Math.round((h - main) / 2),
      width: main,
      height: main,
    },
  ];
  const others = count - 1;
  if (others > 0) {
    const gap = Math.max(4, Math.round(short * 0.015));
    const fits = Math.floor((w - gap * (others + 1)) / others);
    const size = Math.max(8, Math.min(Math.round(short * 0.16), fits));
    for (let i = 0; i < others; i++) {
      boxes.push({ left: gap + i * (size + gap), top: gap, width: size, height: size });
    }
  }
  return boxes;
}

/** The frame's widths for a box: the mat and the rule outside it. */
const frameOf = (box: InsetBox) => {
  const rule = Math.max(1, Math.round(box.width * 0.008));
  const mat = Math.max(2, Math.round(box.width * 0.03));
  return { rule, mat, inner: box.width - 2 * (rule + mat) };
};

/**
 * Each reference scaled to fit its box (EXIF orientation applied, transparency on the white
 * mat), framed, as a sharp overlay. A reference sharp cannot decode (HEIC: the prebuilt
 * libvips has no HEVC decoder) is drawn as a grey placeholder with a cross, so the sketch
 * still shows where it went.
 */
export async function referenceOverlays(
  references: ReadonlyArray<ReferenceBytes>,
  w: number,
  h: number,
): Promise<OverlayOptions[]> {
  const boxes = referenceLayout(references.length, w, h);
  return Promise.all(
    boxes.map(async (box, i) => {
      const { rule, mat, inner } = frameOf(box);
      const picture = await fitted(references[i]?.bytes, inner).catch(() => placeholder(inner));
      // Two passes: within one sharp pipeline a second extend replaces the first.
      const matted = await sharp(picture)
        .extend({ top: mat, bottom: mat, left: mat, right: mat, background: MAT })
        .png()
        .toBuffer();
      const input = await sharp(matted)
        .extend({ top: rule, bottom: rule, left: rule, right: rule, background: RULE })
        .png()
        .toBuffer();
      return { input, left: box.left, top: box.top };
    }),
  );
}

function fitted(bytes: Buffer | undefined, size: number): Promise<Buffer> {
  if (!bytes) return Promise.reject(new Error("no bytes"));
  return sharp(bytes)
    .rotate()
    .flatten({ background: MAT })
    .resize(size, size, { fit: "contain", background: MAT })
    .removeAlpha()
    .png()
    .toBuffer();
}

function placeholder(size: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="${size}" height="${size}" fill="#9e9e9e"/><path d="M0 0L${size} ${size}M${size} 0L0 ${size}" stroke="#616161" stroke-width="${Math.max(2, size / 40)}"/></svg>`;
  return sharp(Buffer.from(svg)).removeAlpha().png().toBuffer();
}
