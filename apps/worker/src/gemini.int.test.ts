import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@nanobanana/config";
import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import {
  type FakeGemini,
  startFakeGemini,
  testRedis,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./worker.ts";

/**
 * The Gemini provider end to end: the real worker (wired from config exactly as in
 * production) takes jobs from the queue and reaches the Gemini stand-in only through
 * GEMINI_BASE_URL. The stand-in picks its answer from a [gemini:…] marker in the prompt.
 */
const logger = createLogger({ service: "test", level: "silent" });
const prefix = uniquePrefix("gemini");
const redis = testRedis();
const store = createRedisStore(redis, prefix);
const producer = createProducer(generationQueue, redis, prefix);
const dataDir = mkdtempSync(join(tmpdir(), "nb-gemini-"));
let fake: FakeGemini;
let worker: RunningWorker;

beforeAll(async () => {
  fake = await startFakeGemini({ slowMs: 2_000 });
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: fake.url,
    GEMINI_RETRY_BASE_MS: "20",
    GEMINI_TIMEOUT_MS: "500",
    WORKER_CONCURRENCY: "8",
  });
  expect(config.provider).toBe("gemini");
  worker = await startWorker(config, logger);
});

afterAll(async () => {
  await worker.close();
  await producer.close();
  await fake.close();
  await redis.quit();
});

async function generate(
  scenario: string,
  extra: { aspectRatio?: "4:3" | "1:1"; format?: "png" | "webp" } = {},
): Promise<GenerationRecord> {
  const record = newGenerationRecord({
    id: newId("gen"),
    userId: "alice",
    request: {
      prompt: `a lighthouse at dusk [gemini:${scenario}] ${newId("req")}`,
      quality: "standard",
      aspectRatio: extra.aspectRatio ?? "1:1",
      format: extra.format ?? "png",
    },
  });
  await store.accept({ records: [record] });
  await producer.enqueue(
    "generate",
    { generationId: record.id, userId: "alice" },
    { jobId: record.id },
  );
  return waitFor(
    async () => {
      const r = await store.getGeneration(record.id);
      return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
    },
    { timeoutMs: 30_000, what: `${scenario} to settle` },
  );
}

const callsFor = (record: GenerationRecord) =>
  fake.calls.filter(
    (c) => c.model && record.prompt.includes(c.scenario) && c.at >= Date.parse(record.createdAt),
  );

describe("Gemini provider through the queue", () => {
  it("completes a text + image answer with the image, its cost, tokens and the model's note", async () => {
    const record = await generate("ok", { aspectRatio: "4:3", format: "webp" });
    expect(record).toMatchObject({
      status: "completed",
      provider: "gemini",
      model: "gemini-2.5-flash-image",
      cost: { usd: 0.039 },
      usage: { inputTokens: 120, outputTokens: 1290, totalTokens: 1410 },
      providerCalls: 1,
      note: "Here is your image.",
      // Gemini's own 4:3 size, from the stand-in.
      image: { mimeType: "image/webp", width: 1184, height: 864 },
    });
    const calls = callsFor(record);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ apiKey: "test-key", aspectRatio: "4:3" });
  });

  it("finds the image when it comes before the text", async () => {
    const record = await generate("image-first");
    expect(record).toMatchObject({
      status: "completed",
      note: "Here is the image you asked for.",
      providerCalls: 1,
    });
  });

  it("looks through every candidate for the image", async () => {
    const record = await generate("multi-candidate");
    expect(record).toMatchObject({ status: "completed", providerCalls: 1 });
    expect(record.note).toContain("Let me draw that.");
  });

  it("fails a blocked prompt with SAFETY_BLOCKED after one call, never retried", async () => {
    const record = await generate("prompt-blocked");
    expect(record).toMatchObject({
      status: "failed",
      attempts: 1,
      providerCalls: 1,
      error: { code: "SAFETY_BLOCKED", retryable: false },
    });
    expect(record.error?.message).toMatch(/blocked the prompt \(SAFETY\).*Rephrase/);
    expect(callsFor(record)).toHaveLength(1);
  });

  it("fails a blocked image (IMAGE_SAFETY) with SAFETY_BLOCKED after one call", async () => {
    const record = await generate("image-safety");
    expect(record).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "SAFETY_BLOCKED" },
    });
    expect(record.error?.message).toMatch(/IMAGE_SAFETY/);
    expect(callsFor(record)).toHaveLength(1);
  });

  it("fails a text-only refusal with PROVIDER_ERROR that quotes what came back", async () => {
    const record = await generate("text-only");
    expect(record).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "PROVIDER_ERROR", retryable: false },
    });
    expect(record.error?.message).toMatch(
      /answered with text and no image: "I can't create that image/,
    );
    expect(callsFor(record)).toHaveLength(1);
  });

  it("waits out a 429's Retry-After and completes after exactly one retry", async () => {
    const record = await generate("rate-limited-once");
    expect(record).toMatchObject({
      status: "completed",
      attempts: 1,
      providerCalls: 2,
      model: "gemini-2.5-flash-image",
    });
    const [first, second] = callsFor(record);
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("retries 500s with backoff inside one attempt", async () => {
    const record = await generate("server-error-twice");
    expect(record).toMatchObject({ status: "completed", attempts: 1, providerCalls: 3 });
    expect(callsFor(record).map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it("retries a call that runs past the timeout", async () => {
    const record = await generate("slow-once");
    expect(record).toMatchObject({
      status: "completed",
      providerCalls: 2,
      note: "Sorry for the wait.",
    });
  });

  it("falls back to the premium model when the default keeps answering 503, and records it", async () => {
    const record = await generate("flash-down");
    expect(record).toMatchObject({
      status: "completed",
      model: "gemini-3-pro-image-preview",
      cost: { usd: 0.134 },
      providerCalls: 4,
    });
    expect(callsFor(record).map((c) => `${c.model}:${c.status}`)).toEqual([
      "gemini-2.5-flash-image:503",
      "gemini-2.5-flash-image:503",
      "gemini-2.5-flash-image:503",
      "gemini-3-pro-image-preview:200",
    ]);
  });

  it("does not retry a 400", async () => {
    const record = await generate("bad-request");
    expect(record).toMatchObject({
      status: "failed",
      attempts: 1,
      providerCalls: 1,
      error: { code: "PROVIDER_ERROR", retryable: false },
    });
    expect(record.error?.message).toBe(
      "gemini-2.5-flash-image refused the request (400): INVALID_ARGUMENT: Request contains an invalid argument.",
    );
    expect(callsFor(record)).toHaveLength(1);
  });

  it("spends one budget of provider calls across every layer of retries, then says the failure is final", async () => {
    const record = await generate("malformed");
    // 3 calls on the default model + 3 on the fallback use the generation's whole budget
    // (GENERATION_MAX_PROVIDER_CALLS, 6): the job does not run again to call 12 more times.
    expect(record).toMatchObject({
      status: "failed",
      attempts: 1,
      providerCalls: 6,
      error: { code: "PROVIDER_ERROR", retryable: false },
    });
    expect(record.error?.message).toMatch(/budget/);
    expect(callsFor(record)).toHaveLength(6);
  });

  it("stores the model's image converted to the requested format", async () => {
    const record = await generate("ok", { format: "webp" });
    const stored = await sharp(join(dataDir, "blobs", record.image?.key ?? "missing")).metadata();
    expect(stored).toMatchObject({ format: "webp", width: 1024, height: 1024 });
  });
});
