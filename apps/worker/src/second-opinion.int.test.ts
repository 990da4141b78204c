import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classifyPrompt } from "@nanobanana/classifier";
import { loadConfig, redisKeyPrefix } from "@nanobanana/config";
import { costWindows, type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import {
  FAKE_GEMINI_LABEL,
  type FakeGemini,
  startFakeGemini,
  testRedis,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./worker.ts";

/**
 * CLASSIFIER_SECOND_OPINION=gemini end to end: the worker, wired from config as in production,
 * draws with the Gemini stand-in's image model ($0.067 at 1K) and asks its text model about
 * unsure labels; it answers photography/landscape for 800 input and 32 output tokens, $0.000248
 * at gemini-3.1-flash-lite's price. What the second opinion does on its own is tested in
 * packages/second-opinion and in the pipeline; here, that config turns it on and the record
 * and the bill show it.
 */
const logger = createLogger({ service: "test", level: "silent" });
const name = uniquePrefix("opinion");
const prefix = redisKeyPrefix(name);
const redis = testRedis();
const store = createRedisStore(redis, prefix);
const producer = createProducer(generationQueue, redis, prefix);
let fake: FakeGemini;
let worker: RunningWorker;

beforeAll(async () => {
  fake = await startFakeGemini();
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: name,
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-opinion-")),
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: fake.url,
    CLASSIFIER_SECOND_OPINION: "gemini",
  });
  expect(config.secondOpinion).toMatchObject({ model: "gemini-3.1-flash-lite", below: 0.6 });
  worker = await startWorker(config, logger);
});

afterAll(async () => {
  await worker.close();
  await producer.close();
  await fake.close();
  await redis.quit();
});

async function generate(prompt: string): Promise<GenerationRecord> {
  const record = newGenerationRecord({
    id: newId("gen"),
    userId: "alice",
    request: { prompt, quality: "standard", aspectRatio: "1:1", format: "png" },
  });
  await store.accept({ records: [record] });
  await producer.enqueue("generate", { generationId: record.id, userId: "alice" }, {});
  return waitFor(
    async () => {
      const r = await store.getGeneration(record.id);
      return r && (r.status === "completed" || r.status === "failed") ? r : undefined;
    },
    { timeoutMs: 30_000, what: `${prompt} to settle` },
  );
}

describe("the worker with CLASSIFIER_SECOND_OPINION=gemini", () => {
  it("draws an unsure prompt by the text model's label, and bills its tokens with the image", async () => {
    const prompt = `zxqv blorp wemble ${newId("req").slice(-8)}`;
    const local = classifyPrompt(prompt);
    expect(local.confidence).toBeLessThan(0.6);

    const record = await generate(prompt);
    expect(record).toMatchObject({
      status: "completed",
      model: "gemini-3.1-flash-image",
      classification: {
        ...FAKE_GEMINI_LABEL,
        source: "gemini",
        local: { domain: local.domain, subcategory: local.subcategory },
        secondOpinion: { model: "gemini-3.1-flash-lite", costUsd: 0.000248, cached: false },
      },
      cost: { usd: 0.067248 },
    });
    const asked = fake.calls.filter((c) => c.prompt === prompt);
    expect(asked).toEqual([
      expect.objectContaining({ model: "gemini-3.1-flash-lite", status: 200, apiKey: "test-key" }),
    ]);
    const month = costWindows(new Date()).month.period;
    expect((await store.costTotals("alice", [month]))[month]).toMatchObject({
      usd: 0.067248,
      byModel: [
        { model: "gemini-3.1-flash-image", usd: 0.067, images: 1 },
        { model: "gemini-3.1-flash-lite", usd: 0.000248, images: 0 },
      ],
    });
  });
});
