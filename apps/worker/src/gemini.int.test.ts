import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { classifyPrompt } from "@nanobanana/classifier";
import { ConfigError, loadConfig, redisKeyPrefix } from "@nanobanana/config";
import {
  type AspectRatio,
  type GenerationRecord,
  type ImageSize,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { saveUpload } from "@nanobanana/references";
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
 * Only what the queue and the record add is tested here; how the provider itself answers,
 * retries, falls back and refuses is in packages/providers (the ImageProvider contract and
 * gemini-provider.int.test.ts).
 */
const logger = createLogger({ service: "test", level: "silent" });
const name = uniquePrefix("gemini");
const prefix = redisKeyPrefix(name);
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
    KEY_PREFIX: name,
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
  extra: {
    aspectRatio?: AspectRatio;
    format?: "png" | "webp";
    imageSize?: ImageSize;
    subject?: string;
    images?: string[];
  } = {},
): Promise<GenerationRecord> {
  const record = newGenerationRecord({
    id: newId("gen"),
    userId: "alice",
    request: {
      prompt: `${extra.subject ?? "a lighthouse at dusk"} [gemini:${scenario}] ${newId("req")}`,
      quality: "standard",
      aspectRatio: extra.aspectRatio ?? "1:1",
      imageSize: extra.imageSize ?? "1K",
      format: extra.format ?? "png",
      ...(extra.images ? { images: extra.images } : {}),
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
      model: "gemini-3.1-flash-image",
      modelReason: "gemini-3.1-flash-image: the default model",
      cost: { usd: 0.067 },
      usage: { inputTokens: 120, outputTokens: 1290, totalTokens: 1410 },
      providerCalls: 1,
      note: "Here is your image.",
      // Gemini's own 4:3 size: the record's aspect ratio reached the model.
      image: { mimeType: "image/webp", width: 1184, height: 864 },
    });
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

  it("draws 2K at 21:9 and bills the 2K price", async () => {
    const record = await generate("ok", { aspectRatio: "21:9", imageSize: "2K" });
    expect(record).toMatchObject({
      status: "completed",
      imageSize: "2K",
      cost: { usd: 0.101 },
      image: { width: 3072, height: 1344 },
    });
    expect(callsFor(record)).toEqual([
      expect.objectContaining({ imageSize: "2K", aspectRatio: "21:9", status: 200 }),
    ]);
  });

  it("asks no second opinion unless CLASSIFIER_SECOND_OPINION says so, however unsure the label", async () => {
    const record = await generate("ok", { subject: "zxqv blorp wemble" });
    expect(classifyPrompt(record.prompt).confidence).toBeLessThan(0.6);
    expect(record).toMatchObject({ status: "completed", classification: { source: "local" } });
    expect(record.classification?.secondOpinion).toBeUndefined();
    // Nothing asked for JSON about this prompt: only the image was drawn.
    expect(fake.calls.filter((c) => c.prompt === record.prompt)).toHaveLength(0);
    expect(callsFor(record).map((c) => c.responseSchema)).toEqual([undefined]);
  });

  it("says on the record when the fallback drew instead of the model chosen", async () => {
    const record = await generate("flash-down");
    expect(record).toMatchObject({ status: "completed", model: "gemini-3-pro-image" });
    expect(record.modelReason).toBe(
      "gemini-3-pro-image: the fallback, after gemini-3.1-flash-image (the default model) kept failing or was gone",
    );
  });

  it("routes a diagram to the model the routing table names for it, and says why", async () => {
    const record = await generate("ok", { subject: "flowchart of the checkout service" });
    expect(record).toMatchObject({
      status: "completed",
      classification: { domain: "diagrams" },
      model: "gemini-3-pro-image",
      modelReason: "gemini-3-pro-image: route: domain diagrams",
      cost: { usd: 0.134 },
    });
    expect(callsFor(record).map((c) => c.model)).toEqual(["gemini-3-pro-image"]);
  });

  it("tries a refused drawing once more with the plain brief, and shows both tries", async () => {
    const record = await generate("image-safety-once", {
      subject: "studio headshot portrait of a violinist",
    });
    expect(record).toMatchObject({
      status: "completed",
      providerCalls: 2,
      template: { id: "general.standard" },
      providerAttempts: [
        { outcome: "refused", template: "photography.portrait.standard", costUsd: 0 },
        { outcome: "drawn", template: "general.standard", costUsd: 0.067 },
      ],
    });
    expect(record.providerAttempts?.[0]?.message).toMatch(/IMAGE_SAFETY/);
  });

  it("sends two uploaded reference images to the model as inline parts, and records them", async () => {
    const blobs = createFsBlobStore(join(dataDir, "blobs"));
    const solid = (background: string) =>
      sharp({ create: { width: 64, height: 48, channels: 3, background } })
        .png()
        .toBuffer();
    const red = await saveUpload({ blobs }, { userId: "alice", bytes: await solid("red") });
    const blue = await saveUpload(
      { blobs },
      {
        userId: "alice",
        bytes: await sharp(await solid("blue"))
          .jpeg()
          .toBuffer(),
      },
    );
    const record = await generate("ok", {
      subject: "put this sneaker on a marble counter",
      images: [red.id, blue.id],
    });
    expect(record).toMatchObject({
      status: "completed",
      references: [
        { source: red.id, sha256: red.sha256, mimeType: "image/png" },
        { source: blue.id, sha256: blue.sha256, mimeType: "image/jpeg" },
      ],
    });
    // The brief is an edit of what was given, not a scene from scratch.
    expect(record.enhancedPrompt).toMatch(/2 reference images/);
    expect(callsFor(record)).toEqual([
      expect.objectContaining({ inlineImages: ["image/png", "image/jpeg"], status: 200 }),
    ]);
  });

  it("refuses at start a model Google does not serve, naming the setting", async () => {
    const config = loadConfig({
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: uniquePrefix("gemini-check"),
      DATA_DIR: dataDir,
      GEMINI_API_KEY: "test-key",
      GEMINI_BASE_URL: fake.url,
      GEMINI_MODEL: "gemini-9-image",
      MODEL_PRICES: '{"gemini-9-image":0.05}',
    });
    const error = await startWorker(config, logger).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]).toMatch(
      /^GEMINI_MODEL: gemini-9-image is not available to these credentials \(Google said: NOT_FOUND/,
    );
  });

  it("stores the model's image converted to the requested format", async () => {
    const record = await generate("ok", { format: "webp" });
    const stored = await sharp(join(dataDir, "blobs", record.image?.key ?? "missing")).metadata();
    expect(stored).toMatchObject({ format: "webp", width: 1024, height: 1024 });
  });
});
