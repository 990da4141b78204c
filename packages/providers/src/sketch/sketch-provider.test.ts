import { ASPECT_RATIOS, type Label } from "@nanobanana/domain";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { dimensionsFor } from "../image-provider.ts";
import { productKindOf } from "./cues.ts";
import { createSketchProvider, sketchSvg } from "./sketch-provider.ts";

const provider = createSketchProvider();
const draw = (subject: string, label: Label, aspectRatio: (typeof ASPECT_RATIOS)[number] = "1:1") =>
  provider.generate({ prompt: subject, subject, label, quality: "standard", aspectRatio });

const landscape = { domain: "photography", subcategory: "landscape" } as const;
const diagram = { domain: "diagrams", subcategory: "architecture" } as const;
const product = { domain: "photography", subcategory: "product" } as const;
const ecommerce = { domain: "products", subcategory: "ecommerce" } as const;
const portrait = { domain: "photography", subcategory: "portrait" } as const;

async function meanColour(
  bytes: Buffer,
  region: { left: number; top: number; width: number; height: number },
) {
  const { data } = await sharp(bytes)
    .extract(region)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const sums = [0, 0, 0];
  for (let i = 0; i < data.length; i++) sums[i % 3] = (sums[i % 3] ?? 0) + (data[i] ?? 0);
  return sums.map((s) => s / (data.length / 3));
}

interface Pixels {
  data: Buffer;
  width: number;
}
interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

async function pixelsOf(bytes: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width };
}

/** Where the product scene puts its object on a 1024×1024 canvas, in units of the object's size. */
const SIZE = 1024 * 0.42;
const FLOOR = 1024 * 0.72;
const objectArea = (x0: number, x1: number, y0: number, y1: number): Region => ({
  left: Math.round(512 + x0 * SIZE),
  top: Math.round(FLOOR - y1 * SIZE),
  width: Math.round((x1 - x0) * SIZE),
  height: Math.round((y1 - y0) * SIZE),
});

function* regionPixels({ data, width }: Pixels, region: Region) {
  for (let y = region.top; y < region.top + region.height; y++) {
    for (let x = region.left; x < region.left + region.width; x++) {
      const i = (y * width + x) * 3;
      yield [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, y] as const;
    }
  }
}

/** The region's pixels that are not backdrop: the backdrop is a vertical gradient, so a pixel
 * is backdrop when it matches the left-edge pixel of its own row. */
function* objectPixels(pixels: Pixels, region: Region) {
  const { data, width } = pixels;
  for (const [r, g, b, y] of regionPixels(pixels, region)) {
    const edge = (y * width + 4) * 3;
    const diff =
      Math.abs(r - (data[edge] ?? 0)) +
      Math.abs(g - (data[edge + 1] ?? 0)) +
      Math.abs(b - (data[edge + 2] ?? 0));
    if (diff > 30) yield [r, g, b] as const;
  }
}

/** Share of the region covered by something other than backdrop. */
function coverage(pixels: Pixels, region: Region): number {
  let n = 0;
  for (const _ of objectPixels(pixels, region)) n++;
  return n / (region.width * region.height);
}

/** The most common hue (to 15°) among clearly coloured pixels (by default the object's). */
function dominantHue(
  pixels: Pixels,
  region: Region,
  which: (p: Pixels, r: Region) => Iterable<readonly number[]> = objectPixels,
): number {
  const bins = new Array<number>(24).fill(0);
  for (const [r = 0, g = 0, b = 0] of which(pixels, region)) {
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max < 40 || (max - min) / max < 0.35) continue; // near-black, white, grey: no hue
    const d = max - min;
    const hue =
      max === r
        ? (((g - b) / d + 6) % 6) * 60
        : max === g
          ? ((b - r) / d + 2) * 60
          : ((r - g) / d + 4) * 60;
    const bin = Math.floor(hue / 15) % 24;
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return bins.indexOf(Math.max(...bins)) * 15 + 7.5;
}

const hueDistance = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

describe("sketch provider", () => {
  it("draws a real PNG of at least 1024 px, free, and labelled as the sketch model", async () => {
    const result = await draw("a lighthouse on a cliff", landscape);
    const meta = await sharp(result.bytes).metadata();
    expect(meta.format).toBe("png");
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeGreaterThanOrEqual(1024);
    expect(result).toMatchObject({
      provider: "sketch",
      model: "sketch-v1",
      costUsd: 0,
      mimeType: "image/png",
    });
  });

  it("is deterministic: the same prompt gives the same bytes, another prompt other bytes", async () => {
    const a = await draw("a lighthouse on a cliff", landscape);
    const b = await draw("a lighthouse on a cliff", landscape);
    const c = await draw("a lighthouse at night", landscape);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
  });

  // The contract checks each ratio within a model's rounding; the sketch draws dimensionsFor's exact size.
  it.each(ASPECT_RATIOS)("draws %s at exactly dimensionsFor's size", async (ratio) => {
    const meta = await sharp((await draw("x", landscape, ratio)).bytes).metadata();
    expect({ width: meta.width, height: meta.height }).toEqual(dimensionsFor(ratio));
  });

  it("composes by domain: a diagram is mostly white paper, a landscape is not", async () => {
    const full = { left: 0, top: 0, width: 1024, height: 900 };
    const [dr, dg, db] = await meanColour((await draw("checkout service", diagram)).bytes, full);
    const [lr, lg, lb] = await meanColour((await draw("checkout service", landscape)).bytes, full);
    expect(Math.min(dr ?? 0, dg ?? 0, db ?? 0)).toBeGreaterThan(200);
    expect(((lr ?? 0) + (lg ?? 0) + (lb ?? 0)) / 3).toBeLessThan(200);
  });

  it("carries the yellow-on-black SKETCH badge in the bottom-right corner", async () => {
    const { bytes } = await draw("badge check", diagram);
    const badge = await meanColour(bytes, {
      left: 1024 - 150,
      top: 1024 - 45,
      width: 140,
      height: 35,
    });
    const paper = await meanColour(bytes, { left: 20, top: 1024 - 45, width: 140, height: 35 });
    // Dark box with yellow strokes: darker than the paper, with more red+green than blue.
    expect((badge[0] ?? 0) + (badge[1] ?? 0) + (badge[2] ?? 0)).toBeLessThan(
      (paper[0] ?? 0) + (paper[1] ?? 0) + (paper[2] ?? 0) - 200,
    );
    expect(badge[0] ?? 0).toBeGreaterThan(badge[2] ?? 0);
  });

  it.each([
    ["red sneaker", 0],
    ["orange sneaker", 27],
    ["yellow sneaker", 50],
    ["green sneaker", 125],
    ["blue sneaker", 215],
    ["purple sneaker", 280],
  ])("draws %s in that colour (dominant hue of the object)", async (subject, hue) => {
    const pixels = await pixelsOf((await draw(subject, product)).bytes);
    const shoe = objectArea(-0.55, 0.6, 0.15, 0.6);
    expect(coverage(pixels, shoe)).toBeGreaterThan(0.5);
    expect(hueDistance(dominantHue(pixels, shoe), hue)).toBeLessThanOrEqual(20);
  });

  it("draws red headphones red and teal headphones teal, whatever the prompt's hash", async () => {
    const cup = objectArea(0.38, 0.6, 0.12, 0.6);
    const red = await pixelsOf((await draw("red wireless headphones", product)).bytes);
    const teal = await pixelsOf((await draw("teal wireless headphones", product)).bytes);
    expect(hueDistance(dominantHue(red, cup), 0)).toBeLessThanOrEqual(20);
    expect(hueDistance(dominantHue(teal, cup), 178)).toBeLessThanOrEqual(20);
  });

  it("picks the shape from the words: headphones have cups at the sides, a bottle a body in the middle", async () => {
    expect(productKindOf("wireless headphones")).toBe("headphones");
    expect(productKindOf("a glass bottle")).toBe("bottle");
    const headphones = await pixelsOf((await draw("wireless headphones", product)).bytes);
    const bottle = await pixelsOf((await draw("a glass bottle", product)).bytes);
    const middle = objectArea(-0.08, 0.08, 0.2, 0.55);
    const rightCup = objectArea(0.42, 0.58, 0.15, 0.55);
    expect(coverage(bottle, middle)).toBeGreaterThan(0.9);
    expect(coverage(headphones, middle)).toBeLessThan(0.05);
    expect(coverage(headphones, rightCup)).toBeGreaterThan(0.9);
    expect(coverage(bottle, rightCup)).toBeLessThan(0.05);
  });

  it("draws the kind it is asked for on the white e-commerce backdrop too", async () => {
    const sneaker = await pixelsOf((await draw("a red sneaker", ecommerce)).bytes);
    const mug = await pixelsOf((await draw("a red mug", ecommerce)).bytes);
    // The sneaker is long and low; the mug stands tall and narrow.
    const toe = objectArea(0.42, 0.58, 0.15, 0.24);
    const aboveToe = objectArea(-0.25, 0.25, 0.72, 0.8);
    expect(coverage(sneaker, toe)).toBeGreaterThan(0.8);
    expect(coverage(mug, toe)).toBeLessThan(0.1);
    expect(coverage(mug, aboveToe)).toBeGreaterThan(0.9);
    expect(coverage(sneaker, aboveToe)).toBeLessThan(0.1);
  });

  it("puts a named background colour behind the object", async () => {
    const { data } = await pixelsOf(
      (await draw("a white sneaker on a black background", product)).bytes,
    );
    const corner = [data[0] ?? 255, data[1] ?? 255, data[2] ?? 255];
    expect(Math.max(...corner)).toBeLessThan(60);
  });

  it("is deterministic for products: the same words give the same bytes, another colour others", async () => {
    const a = await draw("red sneaker", product);
    const b = await draw("red sneaker", product);
    const c = await draw("blue sneaker", product);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.bytes.equals(c.bytes)).toBe(false);
  });

  it("colours other scenes' subjects: a blue sky, a green dress", async () => {
    const sky = await pixelsOf((await draw("blue sky over the hills", landscape)).bytes);
    const top = { left: 0, top: 0, width: 1024, height: 120 };
    expect(hueDistance(dominantHue(sky, top, regionPixels), 215)).toBeLessThanOrEqual(25);
    const person = await pixelsOf((await draw("a woman in a green dress", portrait)).bytes);
    const dress = { left: 412, top: 900, width: 200, height: 100 };
    expect(hueDistance(dominantHue(person, dress), 125)).toBeLessThanOrEqual(20);
  });
});

describe("sketch provider under load", () => {
  it("draws every one of many requests made at once, each its own picture, as drawn alone", async () => {
    const subjects = Array.from({ length: 24 }, (_, i) => `lamp number ${i}`);
    const alone = await draw(subjects[5] as string, ecommerce);
    const together = await Promise.all(subjects.map((s) => draw(s, ecommerce)));
    expect(new Set(together.map((r) => r.bytes.toString("base64"))).size).toBe(subjects.length);
    expect(together[5]?.bytes.equals(alone.bytes)).toBe(true);
  });

  it("fails a request given up on while others are drawing, with its reason, and draws the others", async () => {
    const busy = Array.from({ length: 12 }, (_, i) => draw(`mug number ${i}`, ecommerce));
    const controller = new AbortController();
    const given = provider.generate(
      {
        prompt: "a bottle",
        subject: "a bottle",
        label: ecommerce,
        quality: "standard",
        aspectRatio: "1:1",
      },
      { signal: controller.signal },
    );
    controller.abort(new Error("gave up"));
    await expect(given).rejects.toThrow("gave up");
    expect((await Promise.all(busy)).every((r) => r.bytes.length > 0)).toBe(true);
  });
});

describe("sketch provider with stock drawings (for load tests)", () => {
  it("answers one drawing per label, ratio and size, at the requested size, and draws references in", async () => {
    const stock = createSketchProvider({ drawing: "stock" });
    const ask = (subject: string, label: Label, aspectRatio: "1:1" | "16:9" = "1:1") =>
      stock.generate({ prompt: subject, subject, label, quality: "standard", aspectRatio });
    const [lamp, mug, wide, hill] = await Promise.all([
      ask("a lamp", ecommerce),
      ask("a mug", ecommerce),
      ask("a mug", ecommerce, "16:9"),
      ask("a hill", landscape),
    ]);
    expect(mug?.bytes.equals(lamp.bytes)).toBe(true);
    expect(wide?.bytes.equals(mug.bytes)).toBe(false);
    expect(hill?.bytes.equals(mug.bytes)).toBe(false);
    expect(await sharp(wide.bytes).metadata()).toMatchObject({ width: 1024, height: 576 });
    // Per request by default: two prompts, two pictures.
    expect(
      (await draw("a lamp", ecommerce)).bytes.equals((await draw("a mug", ecommerce)).bytes),
    ).toBe(false);
  });
});

describe("sketch provider with reference images", () => {
  const solid = (background: string, width = 300, height = 300) =>
    sharp({ create: { width, height, channels: 3, background } })
      .png()
      .toBuffer();
  const withReferences = async (...colours: Array<string | Buffer>) =>
    provider.generate({
      prompt: "a bottle on a marble counter",
      subject: "a bottle on a marble counter",
      label: product,
      quality: "standard",
      aspectRatio: "1:1",
      references: await Promise.all(
        colours.map(async (c) => ({
          bytes: typeof c === "string" ? await solid(c) : c,
          mimeType: "image/png",
        })),
      ),
    });

  it("frames the first reference in the middle of the scene as the subject", async () => {
    const { bytes, note } = await withReferences("#ff0000");
    // The subject's box is half the short side, centred: 256..768 on a 1024 canvas.
    const [r = 0, g = 0, b = 0] = await meanColour(bytes, {
      left: 300,
      top: 300,
      width: 424,
      height: 424,
    });
    expect(r).toBeGreaterThan(245);
    expect(g + b).toBeLessThan(20);
    // The white mat around it.
    const [mr = 0, mg = 0, mb = 0] = await meanColour(bytes, {
      left: 262,
      top: 400,
      width: 6,
      height: 200,
    });
    expect(Math.min(mr, mg, mb)).toBeGreaterThan(245);
    expect(note).toMatch(/1 reference image framed in/);
  });

  it("puts the other references in a row of thumbnails along the top", async () => {
    const { bytes } = await withReferences("#ff0000", "#0000ff", "#00ff00");
    const thumbnail = (i: number) => ({
      left: 15 + i * 179 + 20,
      top: 35,
      width: 120,
      height: 120,
    });
    const [br = 0, bg = 0, bb = 0] = await meanColour(bytes, thumbnail(0));
    expect(bb).toBeGreaterThan(245);
    expect(br + bg).toBeLessThan(20);
    const [gr = 0, gg = 0, gb = 0] = await meanColour(bytes, thumbnail(1));
    expect(gg).toBeGreaterThan(245);
    expect(gr + gb).toBeLessThan(20);
  });

  it("keeps a reference's proportions: a wide one has white mat above and below", async () => {
    const { bytes } = await withReferences(await solid("#ff0000", 400, 100));
    const [r = 0, g = 0] = await meanColour(bytes, { left: 300, top: 490, width: 424, height: 40 });
    expect(r).toBeGreaterThan(245);
    expect(g).toBeLessThan(10);
    const above = await meanColour(bytes, { left: 300, top: 300, width: 424, height: 60 });
    expect(Math.min(...above)).toBeGreaterThan(245);
  });

  it("is deterministic with references too, and fits fourteen of them at any ratio", async () => {
    const a = await withReferences("#ff0000", "#0000ff");
    const b = await withReferences("#ff0000", "#0000ff");
    expect(a.bytes.equals(b.bytes)).toBe(true);
    const red = { bytes: await solid("#ff0000"), mimeType: "image/png" };
    for (const aspectRatio of ["9:16", "21:9"] as const) {
      const many = await provider.generate({
        prompt: "x",
        subject: "x",
        label: product,
        quality: "draft",
        aspectRatio,
        imageSize: "512",
        references: Array.from({ length: 14 }, () => red),
      });
      const meta = await sharp(many.bytes).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual(dimensionsFor(aspectRatio, "512"));
    }
  });

  it("draws a placeholder for a reference it cannot decode instead of failing", async () => {
    const { bytes } = await withReferences(Buffer.from("not an image"));
    const [r = 0, g = 0, b = 0] = await meanColour(bytes, {
      left: 300,
      top: 600,
      width: 40,
      height: 40,
    });
    expect(Math.abs(r - 158) + Math.abs(g - 158) + Math.abs(b - 158)).toBeLessThan(30);
  });

  it("draws exactly what it drew before when there are no references", async () => {
    const request = {
      prompt: "red sneaker",
      subject: "red sneaker",
      label: product,
      quality: "standard" as const,
      aspectRatio: "1:1" as const,
    };
    const before = await sharp(Buffer.from(sketchSvg(request)))
      .png()
      .toBuffer();
    expect((await provider.generate(request)).bytes.equals(before)).toBe(true);
    expect((await provider.generate({ ...request, references: [] })).bytes.equals(before)).toBe(
      true,
    );
  });
});
