import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { createLogger } from "@nanobanana/logger";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { runGenerationAttempt } from "./attempt.ts";
import type { DrawAttempt, DrawGeneration, Drawing } from "./ports.ts";

const redis = testRedis();
afterAll(() => redis.quit());
const logger = createLogger({ service: "test", level: "silent" });

const drawing = (record: GenerationRecord): Drawing => ({
  patch: {
    status: "completed",
    stage: "done",
    provider: "sketch",
    model: "sketch-v1",
    cost: { usd: 0.039, savedUsd: 0 },
    providerCalls: record.providerCalls + 1,
    cached: false,
    completedAt: new Date().toISOString(),
    error: null,
  },
  template: { id: "products.ecommerce.standard", version: 1, variant: "a" },
  summary: { model: "sketch-v1" },
});

/** A lifecycle on a real Redis store, drawing with `draw` (a stand-in for the pipeline). */
function setup(draw: DrawGeneration = async (record) => drawing(record)) {
  const store = createRedisStore(redis, uniquePrefix("attempt"));
  const enqueued: string[] = [];
  const deps = {
    store,
    draw,
    notify: {
      store,
      baseUrl: "https://api.example.com",
      dispatcher: { enqueueDelivery: async (id: string) => void enqueued.push(id) },
      logger,
    },
    maxProviderCalls: 6,
  };
  const accept = async (webhook?: GenerationRecord["webhook"]) => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId: "alice",
      request: { prompt: "a red bicycle", quality: "standard", aspectRatio: "1:1", format: "png" },
    });
    if (webhook) record.webhook = webhook;
    await store.accept({ records: [record] });
    return record.id;
  };
  const attempt = (id: string, n = 1, maxAttempts = 3) =>
    runGenerationAttempt(deps, id, { attempt: n, maxAttempts });
  return { store, deps, enqueued, accept, attempt };
}

const failing = (error: Error): DrawGeneration => {
  return async () => {
    throw error;
  };
};
const transient = () => new AppError("PROVIDER_ERROR", "503 from the model", { retryable: true });
const hook = (events: string[]) => ({ url: "https://example.com/hook", events });

describe("a generation attempt", () => {
  it("claims the record, lets the drawing report progress, then completes and announces it", async () => {
    let seen: { record: GenerationRecord; during: GenerationRecord | null } | undefined;
    const t = setup(async (record, io: DrawAttempt) => {
      await io.progress("generate", { enhancedPrompt: "a red bicycle, studio light" });
      seen = { record, during: await t.store.getGeneration(record.id) };
      return drawing(record);
    });
    const id = await t.accept(hook(["generation.completed"]));
    const outcome = await t.attempt(id);

    expect(outcome.kind).toBe("completed");
    // The drawing got the claimed record, and a poller saw the stage it reported.
    expect(seen?.record).toMatchObject({ status: "processing", stage: "classify", attempts: 1 });
    expect(seen?.record.timings.queuedMs).toBeGreaterThanOrEqual(0);
    expect(seen?.during).toMatchObject({
      status: "processing",
      stage: "generate",
      enhancedPrompt: "a red bicycle, studio light",
    });
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "completed",
      stage: "done",
      providerCalls: 1,
      cost: { usd: 0.039 },
    });
    // Counted once for its template's A/B stats, and billed in the running totals.
    expect(await t.store.templateStats()).toEqual([
      { template: "products.ecommerce.standard", variant: "a", generations: 1, up: 0, down: 0 },
    ]);
    const [delivery] = await t.store.deliveriesFor(id);
    expect(delivery?.event).toBe("generation.completed");
    expect(t.enqueued).toEqual([delivery?.id]);
  });

  it("says the job is ready (its place in the preparation line free) as the drawing starts, once", async () => {
    const readyAt: string[] = [];
    const ready = () => readyAt.push("ready");
    const t = setup(async (record, io: DrawAttempt) => {
      readyAt.push("classify");
      await io.progress("enhance", {});
      await io.progress("generate", {});
      readyAt.push("drawing");
      await io.progress("post_process", {});
      return drawing(record);
    });
    const id = await t.accept();
    const outcome = await runGenerationAttempt(t.deps, id, { attempt: 1, maxAttempts: 3, ready });
    expect(outcome.kind).toBe("completed");
    expect(readyAt).toEqual(["classify", "ready", "drawing"]);
  });

  it("puts a retryable failure back in the queue, shown as retryable, and completes on the next attempt", async () => {
    let calls = 0;
    const t = setup(async (record) => {
      if (calls++ === 0) throw transient();
      return drawing(record);
    });
    const id = await t.accept();
    expect(await t.attempt(id, 1)).toMatchObject({ kind: "retry" });
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "queued",
      stage: "queued",
      error: { code: "PROVIDER_ERROR", retryable: true },
    });
    expect((await t.attempt(id, 2)).kind).toBe("completed");
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "completed",
      attempts: 2,
      error: null,
    });
  });

  it("fails at once on an error no retry can mend, and sends generation.failed once", async () => {
    const t = setup(failing(new AppError("SAFETY_BLOCKED", "the prompt was blocked")));
    const id = await t.accept(hook(["generation.failed"]));
    expect(await t.attempt(id, 1)).toMatchObject({
      kind: "failed",
      error: { code: "SAFETY_BLOCKED" },
    });
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "failed",
      error: { code: "SAFETY_BLOCKED", message: "the prompt was blocked", retryable: false },
    });
    expect(t.enqueued).toHaveLength(1);
    // A second run of the same job (at-least-once) finds it ended and sends nothing new.
    expect(await t.attempt(id, 2)).toEqual({ kind: "skipped", reason: "already failed" });
    const deliveries = await t.store.deliveriesFor(id);
    expect(deliveries.map((d) => d.event)).toEqual(["generation.failed"]);
    expect(JSON.parse(deliveries[0]?.body ?? "{}")).toMatchObject({
      type: "generation.failed",
      data: { id, status: "failed", error: { code: "SAFETY_BLOCKED" } },
    });
  });

  it("ends failed after the last attempt when the error stays transient, saying it is final", async () => {
    const t = setup(failing(new Error("socket hang up")));
    const id = await t.accept();
    expect((await t.attempt(id, 1)).kind).toBe("retry");
    expect((await t.attempt(id, 2)).kind).toBe("retry");
    expect((await t.attempt(id, 3)).kind).toBe("failed");
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "failed",
      attempts: 3,
      error: {
        code: "INTERNAL",
        message: "socket hang up (final: all 3 attempts used)",
        retryable: false,
      },
    });
  });

  it("stops retrying once the generation's provider calls are spent, whatever attempts are left", async () => {
    // Each attempt's provider retried inside it three times before giving up.
    const error = new AppError("PROVIDER_ERROR", "429 from the model", {
      retryable: true,
      details: { calls: 3 },
    });
    const t = setup(failing(error));
    const id = await t.accept();
    expect((await t.attempt(id, 1, 10)).kind).toBe("retry");
    expect((await t.attempt(id, 2, 10)).kind).toBe("failed");
    expect(await t.store.getGeneration(id)).toMatchObject({
      status: "failed",
      providerCalls: 6,
      error: {
        message:
          "429 from the model (final: the generation's 6 provider calls used its whole budget)",
        retryable: false,
      },
    });
  });

  it("leaves a finished record alone when its job runs again, but re-sends what a crash lost", async () => {
    let calls = 0;
    const t = setup(async (record) => {
      calls++;
      return drawing(record);
    });
    const id = await t.accept(hook(["generation.completed"]));
    await t.attempt(id);
    const finished = await t.store.getGeneration(id);
    // As if the worker died after writing the delivery and before enqueueing it.
    t.enqueued.length = 0;

    expect(await t.attempt(id, 2)).toEqual({ kind: "skipped", reason: "already completed" });
    expect(calls).toBe(1);
    expect((await t.store.getGeneration(id))?.updatedAt).toBe(finished?.updatedAt);
    // The same delivery id: the queue keeps one job per id, so nothing is sent twice.
    expect(t.enqueued).toEqual((await t.store.deliveriesFor(id)).map((d) => d.id));
  });

  it("stops spending work on a record canceled while it is drawn", async () => {
    const t = setup(async (record, io) => {
      await t.store.finishGenerations(
        [
          {
            id: record.id,
            patch: { status: "canceled", completedAt: new Date().toISOString() },
          },
        ],
        { onlyIfStatusIn: ["processing"] },
      );
      await io.progress("generate", {});
      throw new Error("never reached: progress refuses a record that left processing");
    });
    const id = await t.accept();
    expect(await t.attempt(id)).toEqual({ kind: "skipped", reason: "record moved on" });
    expect(await t.store.getGeneration(id)).toMatchObject({ status: "canceled", error: null });
  });

  it("fails, without retrying, a job whose generation does not exist", async () => {
    const t = setup();
    expect(await t.attempt(newId("gen"))).toMatchObject({
      kind: "failed",
      error: { code: "NOT_FOUND" },
      record: null,
    });
  });
});
