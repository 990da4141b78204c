import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Env, loadConfig, redisKeyPrefix } from "@nanobanana/config";
import {
  type AspectRatio,
  type GenerationRecord,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { register } from "@nanobanana/metrics";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import {
  type FakeGemini,
  type FakeOpenAI,
  type FakeStability,
  startFakeGemini,
  startFakeOpenAI,
  startFakeStability,
  testRedis,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./worker.ts";

/**
 * Three makers behind PROVIDER=gemini,openai,stability, end to end: the real worker, wired
 * from config as in production, reaches each maker's stand-in only through its base URL.
 * A [gemini:…] marker in the prompt makes Gemini fail or refuse.
 */
const logger = createLogger({ service: "test", level: "silent" });
const redis = testRedis();
let gemini: FakeGemini;
let openai: FakeOpenAI;
let stability: FakeStability;
const stacks: Array<{ worker: RunningWorker; close: () => Promise<void> }> = [];

beforeAll(async () => {
  [gemini, openai, stability] = await Promise.all([
    startFakeGemini(),
    startFakeOpenAI(),
    startFakeStability(),
  ]);
});

afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await Promise.all([gemini.close(), openai.close(), stability.close()]);
  await redis.quit();
});

/** A worker drawing with all three makers, on a key prefix of its own. */
async function stack(env: Partial<Env> = {}) {
  const name = uniquePrefix("makers");
  const prefix = redisKeyPrefix(name);
  const store = createRedisStore(redis, prefix);
  const producer = createProducer(generationQueue, redis, prefix);
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: name,
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-makers-")),
    PROVIDER: "gemini,openai,stability",
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: gemini.url,
    GEMINI_MAX_RETRIES: "0",
    GEMINI_FALLBACK: "false",
    OPENAI_API_KEY: "test-key",
    OPENAI_BASE_URL: openai.url,
    STABILITY_API_KEY: "test-key",
    STABILITY_BASE_URL: stability.url,
    WORKER_CONCURRENCY: "4",
    ...env,
  });
  const worker = await startWorker(config, logger);
  stacks.push({
    worker,
    close: async () => {
      await worker.close();
      await producer.close();
    },
  });
  const generate = async (
    prompt: string,
    options: { aspectRatio?: AspectRatio; quality?: "draft" | "standard" | "premium" } = {},
  ): Promise<GenerationRecord> => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId: "alice",
      request: {
        prompt: `${prompt} ${newId("req")}`,
        quality: options.quality ?? "standard",
        aspectRatio: options.aspectRatio ?? "1:1",
        imageSize: "1K",
        format: "png",
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
      { timeoutMs: 30_000, what: `"${prompt}" to settle` },
    );
  };
  return { generate, store };
}

const geminiCallsFor = (record: GenerationRecord) =>
  gemini.calls.filter(
    (c) => c.model && record.prompt.includes(c.scenario) && c.at >= Date.parse(record.createdAt),
  ).length;
const sawPrompt = (calls: ReadonlyArray<{ prompt: string }>, record: GenerationRecord) =>
  calls.some((c) => c.prompt.includes(record.prompt.split(" ").at(-1) as string));

describe("PROVIDER=gemini,openai,stability through the queue", () => {
  it("draws with OpenAI when Gemini is down, at OpenAI's price for the quality and orientation, and says why", async () => {
    const { generate } = await stack({ PROVIDER_BREAKER_FAILURES: "100" });
    const record = await generate("a lighthouse at dusk [gemini:always-503]");
    expect(record).toMatchObject({
      status: "completed",
      provider: "openai",
      model: "gpt-image-2",
      // gpt-image-2, medium quality, square: the catalog's $0.053.
      cost: { usd: 0.053 },
      image: { mimeType: "image/png", width: 1024, height: 1024 },
    });
    expect(record.modelReason).toMatch(
      /^gpt-image-2: drawn by openai, as gemini-3\.1-flash-image \(.*\) could not: gemini failed \(.*UNAVAILABLE/,
    );
    expect(sawPrompt(gemini.calls, record)).toBe(true);

    const draft = await generate("a lighthouse at dusk [gemini:always-503]", {
      quality: "draft",
      aspectRatio: "3:2",
    });
    expect(draft).toMatchObject({ provider: "openai", cost: { usd: 0.005 } });
  });

  it("passes over a maker that cannot draw the request: a 16:9 image goes to Stability, not OpenAI", async () => {
    const { generate } = await stack({ PROVIDER_BREAKER_FAILURES: "100" });
    const record = await generate("a harbour at dawn [gemini:always-503]", {
      aspectRatio: "16:9",
    });
    expect(record).toMatchObject({
      status: "completed",
      provider: "stability",
      model: "stable-image-core",
      cost: { usd: 0.03 },
    });
    expect(record.modelReason).toContain(
      "openai cannot draw it (aspectRatio: gpt-image-2 does not draw 16:9",
    );
    expect(sawPrompt(openai.calls, record)).toBe(false);
  });

  it("does not take a safety refusal to a more permissive maker", async () => {
    const { generate } = await stack({ PROVIDER_BREAKER_FAILURES: "100" });
    const record = await generate("something it will not draw [gemini:prompt-blocked]");
    expect(record).toMatchObject({ status: "failed", error: { code: "SAFETY_BLOCKED" } });
    expect(sawPrompt(openai.calls, record)).toBe(false);
    expect(sawPrompt(stability.calls, record)).toBe(false);
  });

  it("opens Gemini's circuit after repeated failures, sends straight to OpenAI while it rests, then closes it after a good trial call", async () => {
    const { generate } = await stack({
      PROVIDER_BREAKER_FAILURES: "2",
      PROVIDER_BREAKER_OPEN_MS: "2000",
      WORKER_CONCURRENCY: "1",
    });
    const circuit = async () =>
      (await register.getSingleMetricAsString("nanobanana_provider_circuit")).match(
        /nanobanana_provider_circuit\{maker="gemini"\} (\S+)/,
      )?.[1];
    expect(await circuit()).toBe("0");
    for (let i = 0; i < 2; i++) {
      expect(await generate(`a red kite ${i} [gemini:always-503]`)).toMatchObject({
        provider: "openai",
      });
    }
    expect(await circuit()).toBe("1");

    // Open: Gemini is not asked, though this prompt would have been drawn by it.
    const resting = await generate("a quiet meadow [gemini:ok]");
    expect(resting).toMatchObject({ status: "completed", provider: "openai" });
    expect(geminiCallsFor(resting)).toBe(0);
    expect(resting.modelReason).toContain("gemini's circuit is open");

    // Rested: one trial call goes to Gemini, succeeds, and the circuit closes.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const trial = await generate("a quiet meadow again [gemini:ok]");
    expect(trial).toMatchObject({ status: "completed", provider: "gemini" });
    expect(await circuit()).toBe("0");
  });
});
