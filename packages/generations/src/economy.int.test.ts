import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createProducer, economyQueue, generationQueue } from "@nanobanana/queue";
import { createRedisStore, type ProviderJobRecord } from "@nanobanana/store";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { economyLifecycle } from "./economy.ts";
import type { EconomyDrawer } from "./ports.ts";

const redis = testRedis();
const logger = createLogger({ service: "test", level: "silent" });
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await redis.quit();
});

/**
 * The economy lifecycle's steps on a real Redis store and real queues, with a drawer that
 * counts what it is asked (no worker runs: each step is called as its job would call it).
 */
function setup() {
  const prefix = uniquePrefix("economy");
  const store = createRedisStore(redis, prefix);
  const economy = createProducer(economyQueue, redis, prefix);
  const generation = createProducer(generationQueue, redis, prefix);
  closers.push(
    () => economy.close(),
    () => generation.close(),
  );
  const asked = { submits: 0, finds: 0, cancels: 0 };
  let found: ProviderJobRecord["ref"] = null;
  const drawer: EconomyDrawer = {
    async submit(job) {
      asked.submits++;
      return { id: `batches/${job.name}`, name: job.name, model: job.model, submittedAt: "now" };
    },
    async find() {
      asked.finds++;
      return found;
    },
    async check() {
      return { state: "running" };
    },
    async cancel() {
      asked.cancels++;
    },
  };
  const lifecycle = economyLifecycle({
    store,
    drawer,
    notify: {
      store,
      baseUrl: "https://api.example.com",
      dispatcher: { enqueueDelivery: async () => undefined },
      logger,
    },
    economy,
    generation,
    windowMs: 60_000,
    maxItems: 100,
    pollMs: 60_000,
  });
  const economyRecord = async (onDeadline: "standard" | "fail" = "standard") => {
    const record: GenerationRecord = {
      ...newGenerationRecord({
        id: newId("gen"),
        userId: "ed",
        request: {
          prompt: "a tin robot",
          quality: "standard",
          aspectRatio: "1:1",
          format: "png",
          tier: "economy",
          onDeadline,
        },
      }),
      enhancedPrompt: "A studio photograph of a tin robot",
      classification: { domain: "products", subcategory: "ecommerce", confidence: 0.9 },
    };
    await store.accept({ records: [record] });
    return record;
  };
  const jobsOf = async (queue: typeof economy | typeof generation) =>
    (await queue.queue.getJobs(["waiting", "delayed"])).map((j) => ({
      name: j.name,
      id: j.id,
      data: j.data as Record<string, string>,
    }));
  /** What a submit that died before it remembered the maker's job left: the window taken. */
  const takeAsACrashedSubmitDid = (name: string) =>
    store.takeEconomyWindow("m1/1K", 100, {
      name,
      model: "m1",
      imageSize: "1K",
      state: "submitting",
      ref: null,
      outcome: null,
      checks: 0,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
  return {
    store,
    lifecycle,
    takeAsACrashedSubmitDid,
    asked,
    setFound: (ref: ProviderJobRecord["ref"]) => {
      found = ref;
    },
    economyRecord,
    economyJobs: () => jobsOf(economy),
    generationJobs: () => jobsOf(generation),
  };
}

describe("the economy lifecycle", () => {
  it("joins a window, schedules its submit and the deadline, and submits it as one job", async () => {
    const t = setup();
    const [a, b] = [await t.economyRecord(), await t.economyRecord()];
    await t.lifecycle.join(a, "m1/1K");
    await t.lifecycle.join(b, "m1/1K");
    const jobs = await t.economyJobs();
    const submits = jobs.filter((j) => j.name === "submit");
    // One submit per window, not per image; one deadline per image.
    expect(submits).toHaveLength(1);
    expect(jobs.filter((j) => j.name === "deadline").map((j) => j.data.generationId)).toEqual(
      expect.arrayContaining([a.id, b.id]),
    );
    expect(await t.lifecycle.submit(submits[0]?.data as { window: string; name: string })).toBe(
      "submitted",
    );
    const [ra, rb] = await t.store.getGenerations([a.id, b.id]);
    expect(ra).toMatchObject({ status: "submitted", providerJob: { name: submits[0]?.data.name } });
    expect(rb?.providerJob?.id).toBe(ra?.providerJob?.id);
    expect(t.asked.submits).toBe(1);
    // The first check is scheduled.
    expect((await t.economyJobs()).some((j) => j.name === "check")).toBe(true);
  });

  it("after a crash between submitting and remembering, finds the maker's job instead of paying twice", async () => {
    const t = setup();
    const record = await t.economyRecord();
    await t.lifecycle.join(record, "m1/1K");
    const name = `eco_${newId("gen").slice(4)}`;
    // The first try took the window and submitted, then died before it remembered the job.
    await t.takeAsACrashedSubmitDid(name);
    t.setFound({ id: "batches/already-there", name, model: "m1", submittedAt: "then" });
    expect(await t.lifecycle.submit({ window: "m1/1K", name })).toBe("submitted");
    expect(t.asked).toMatchObject({ finds: 1, submits: 0 });
    expect((await t.store.getGeneration(record.id))?.providerJob?.id).toBe("batches/already-there");
  });

  it("past its deadline, an image waiting at the maker is drawn at standard price, and its job released", async () => {
    const t = setup();
    const record = await t.economyRecord();
    await t.lifecycle.join(record, "m1/1K");
    const submit = (await t.economyJobs()).find((j) => j.name === "submit");
    await t.lifecycle.submit(submit?.data as { window: string; name: string });
    expect(await t.lifecycle.deadline({ generationId: record.id })).toBe("re-run");
    expect(await t.store.getGeneration(record.id)).toMatchObject({
      status: "queued",
      tier: "standard",
      providerJob: null,
      tierReason: expect.stringMatching(/not drawn by its deadline .*drawn at standard price/),
    });
    expect((await t.generationJobs()).map((j) => j.id)).toContain(`${record.id}-standard`);
    // Its job waits for no image now: released, and the maker told to stop.
    const release = (await t.economyJobs()).find((j) => j.name === "release");
    expect(await t.lifecycle.release(release?.data as { name: string })).toBe("cancelled");
    expect(t.asked.cancels).toBe(1);
    // A deadline that comes again does nothing more.
    expect(await t.lifecycle.deadline({ generationId: record.id })).toBe("in hand");
  });

  it("past its deadline, an image asked to fail fails with DEADLINE_EXCEEDED", async () => {
    const t = setup();
    const record = await t.economyRecord("fail");
    await t.lifecycle.join(record, "m1/1K");
    expect(await t.lifecycle.deadline({ generationId: record.id })).toBe("failed");
    expect(await t.store.getGeneration(record.id)).toMatchObject({
      status: "failed",
      error: { code: "DEADLINE_EXCEEDED", retryable: false },
    });
    // The window's submit then leaves it out: nothing is sent to the maker.
    const submit = (await t.economyJobs()).find((j) => j.name === "submit");
    expect(await t.lifecycle.submit(submit?.data as { window: string; name: string })).toBe(
      "every image had gone",
    );
    expect(t.asked.submits).toBe(0);
  });

  it("after a crash between remembering the maker's job and marking its images, a retry marks them", async () => {
    const t = setup();
    const record = await t.economyRecord();
    await t.lifecycle.join(record, "m1/1K");
    const name = `eco_${newId("gen").slice(4)}`;
    await t.takeAsACrashedSubmitDid(name);
    const ref = { id: "batches/remembered", name, model: "m1", submittedAt: "then" };
    await t.store.updateProviderJob(name, { state: "submitted", ref });
    expect(await t.lifecycle.submit({ window: "m1/1K", name })).toBe("submitted");
    expect(t.asked).toMatchObject({ finds: 0, submits: 0 });
    expect(await t.store.getGeneration(record.id)).toMatchObject({
      status: "submitted",
      providerJob: { id: "batches/remembered" },
    });
    expect((await t.economyJobs()).some((j) => j.name === "check")).toBe(true);
  });

  it("a deadline that comes while the image is being stored waits instead of undoing it", async () => {
    const t = setup();
    const record = await t.economyRecord();
    await t.store.updateGeneration(record.id, { status: "processing", stage: "post_process" });
    await expect(t.lifecycle.deadline({ generationId: record.id })).rejects.toMatchObject({
      retryable: true,
    });
    expect(await t.store.getGeneration(record.id)).toMatchObject({
      status: "processing",
      tier: "economy",
    });
  });
});
