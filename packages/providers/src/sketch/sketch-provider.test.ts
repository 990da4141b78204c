import { ASPECT_RATIOS, type Label } from "@nanobanana/domain";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { createSketchProvider } from "./sketch-provider.ts";

const provider = createSketchProvider();
const draw = (subject: string, label: Label, aspectRatio: (typeof ASPECT_RATIOS)[number] = "1:1") =>
  provider.generate({ prompt: subject, subject, label, quality: "standard", aspectRatio });

const landscape = { domain: "photography", subcategory: "landscape" } as const;
const diagram = { domain: "diagrams", subcategory: "architecture" } as const;

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

  it.each(ASPECT_RATIOS)("honours aspect ratio %s", async (ratio) => {
    const meta = await sharp((await draw("x", landscape, ratio)).bytes).metadata();
    const [w = 1, h = 1] = ratio.split(":").map(Number);
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(1024);
    expect((meta.width ?? 0) / (meta.height ?? 1)).toBeCloseTo(w / h, 2);
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

  it("waits SKETCH_DELAY_MS and stops waiting when aborted", async () => {
    const slow = createSketchProvider({ delayMs: 5_000 });
    const controller = new AbortController();
    const pending = slow.generate(
      { prompt: "x", subject: "x", label: landscape, quality: "draft", aspectRatio: "1:1" },
      { signal: controller.signal },
    );
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
  });
});
