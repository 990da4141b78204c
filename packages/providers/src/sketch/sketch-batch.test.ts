import { AppError } from "@nanobanana/errors";
import { describe, expect, it } from "vitest";
import type { BatchImageRequest } from "../image-provider.ts";
import { createSketchProvider, SKETCH_MODEL } from "./sketch-provider.ts";

const request = (overrides: Partial<BatchImageRequest> = {}): BatchImageRequest => ({
  key: "gen_1",
  prompt: "a red sneaker on white, studio light",
  subject: "a red sneaker on white",
  label: { domain: "products", subcategory: "ecommerce" },
  quality: "standard",
  aspectRatio: "4:3",
  ...overrides,
});

const batchOf = (batchDelayMs?: number) => {
  const batch = createSketchProvider(batchDelayMs === undefined ? {} : { batchDelayMs }).batch;
  if (!batch) throw new Error("no batch mode");
  return batch;
};

describe("sketch batch mode", () => {
  it("names a job by when it was submitted, so nothing need be remembered", async () => {
    const before = Date.now();
    const job = await batchOf().submit(SKETCH_MODEL, [request()], { name: "w-1" });
    expect(job.id).toMatch(/^sketch-batches\/\d+-[0-9a-f]{12}$/);
    const submittedMs = Number(job.id.split("/")[1]?.split("-")[0]);
    expect(submittedMs).toBeGreaterThanOrEqual(before);
    expect(Date.parse(job.submittedAt)).toBe(submittedMs);
    expect(job).toMatchObject({ model: SKETCH_MODEL, name: "w-1" });
  });

  it("runs until its turnaround has passed, reading the time from the id, not the record", async () => {
    const batch = batchOf(60_000);
    const job = await batch.submit(SKETCH_MODEL, [request()], { name: "w-2" });
    expect((await batch.check(job, [request()])).state).toBe("running");
    // Submitted a minute ago by the id's clock: ended, whatever submittedAt says.
    const old = { ...job, id: `sketch-batches/${Date.now() - 61_000}-abcdef012345` };
    expect((await batch.check(old, [request()])).state).toBe("succeeded");
  });

  it("draws each request exactly as generate draws it, free", async () => {
    const provider = createSketchProvider();
    const batch = batchOf();
    const requests = [request(), request({ key: "gen_2", aspectRatio: "9:16", imageSize: "2K" })];
    const job = await batch.submit(SKETCH_MODEL, requests, { name: "w-3" });
    const status = await batch.check(job, requests);
    expect(status.state).toBe("succeeded");
    for (const [index, item] of (status.results ?? []).entries()) {
      const asked = requests[index];
      if (!item.ok || !asked) throw new Error(`not drawn: ${JSON.stringify(item)}`);
      const drawn = await provider.generate(asked);
      expect(item.key).toBe(asked.key);
      expect(item.image.bytes.equals(drawn.bytes)).toBe(true);
      expect(item.image).toMatchObject({
        costUsd: 0,
        calls: 1,
        model: SKETCH_MODEL,
        note: drawn.note,
      });
    }
  });

  it("takes the markers from what the user typed too", async () => {
    const batch = batchOf();
    const refused = request({ key: "gen_r", subject: "a boot [sketch:item-refused]" });
    const job = await batch.submit(SKETCH_MODEL, [request(), refused], { name: "w-4" });
    const status = await batch.check(job, [request(), refused]);
    expect(status.results?.map((r) => [r.key, r.ok])).toEqual([
      ["gen_1", true],
      ["gen_r", false],
    ]);
    const expiring = request({ subject: "a boot [sketch:batch-expire]" });
    const expired = await batch.submit(SKETCH_MODEL, [expiring], { name: "w-5" });
    expect(await batch.check(expired, [expiring])).toMatchObject({ state: "expired" });
  });

  it("refuses a job id that is not its own, and a job without requests", async () => {
    const batch = batchOf();
    const foreign = {
      id: "batches/123",
      model: SKETCH_MODEL,
      name: "x",
      submittedAt: new Date().toISOString(),
    };
    await expect(batch.check(foreign, [request()])).rejects.toBeInstanceOf(AppError);
    await expect(batch.submit(SKETCH_MODEL, [], { name: "w-6" })).rejects.toMatchObject({
      code: "INVALID_REQUEST",
    });
  });
});
