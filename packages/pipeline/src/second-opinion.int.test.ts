import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { classifyPrompt } from "@nanobanana/classifier";
import { costWindows, type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { runGenerationAttempt } from "@nanobanana/generations";
import { createLogger } from "@nanobanana/logger";
import { createSketchProvider, type ImageProvider } from "@nanobanana/providers";
import { createSecondOpinion } from "@nanobanana/second-opinion";
import { createRedisStore, type ProviderJobRecord } from "@nanobanana/store";
import {
  FAKE_GEMINI_LABEL,
  type FakeGemini,
  startFakeGemini,
  testRedis,
  uniquePrefix,
} from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDrawer } from "./draw-generation.ts";
import { createEconomyDrawer } from "./economy-drawer.ts";

/**
 * The second opinion inside a generation: the lifecycle runs the pipeline, which draws with
 * the sketch renderer (priced at $0.067 an image) and asks the Gemini stand-in's text model
 * about unsure labels. The stand-in answers photography/landscape (its usual label) at 800
 * input and 32 output tokens: $0.000248 at gemini-3.1-flash-lite's price.
 */
const logger = createLogger({ service: "test", level: "silent" });
const redis = testRedis();
let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
  await redis.quit();
});

const TEXT_MODEL = "gemini-3.1-flash-lite";
const IMAGE_USD = 0.067;
const OPINION_USD = 0.000248;
// The image and the second opinion, as the record rounds their sum (to the micro-dollar).
const BOTH_USD = 0.067248;

// The local classifier's reading of these prompts is checked first, so a change to it shows
// here as what it is rather than as a second opinion that was or was not asked.
const UNSURE = "zxqv blorp wemble"; // local: art/abstract, far below 0.6
const SURE = "studio headshot portrait photograph of a smiling woman, 85mm lens";

function setup(options: { failingUploads?: number } = {}) {
  const store = createRedisStore(redis, uniquePrefix("opinion-pipeline"));
  const disk = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-opinion-blobs-")));
  let failingUploads = options.failingUploads ?? 0;
  const blobs: typeof disk = {
    ...disk,
    async put(key, bytes, write) {
      if (failingUploads-- > 0) throw new Error("storage hiccup during upload");
      return disk.put(key, bytes, write);
    },
  };
  const sketch = createSketchProvider();
  let imageCalls = 0;
  const provider: ImageProvider = {
    ...sketch,
    async generate(request, callOptions) {
      imageCalls++;
      return { ...(await sketch.generate(request, callOptions)), costUsd: IMAGE_USD };
    },
  };
  const secondOpinion = createSecondOpinion({
    model: TEXT_MODEL,
    below: 0.6,
    timeoutMs: 5_000,
    price: { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 },
    apiKey: "test-key",
    baseUrl: fake.url,
    store,
    cacheTtlSeconds: 3_600,
    logger,
  });
  const deps = {
    store,
    draw: createDrawer({
      store,
      blobs,
      provider,
      cacheTtlSeconds: 3_600,
      priceOf: () => IMAGE_USD,
      maxProviderCalls: 6,
      secondOpinion,
    }),
    notify: { store, baseUrl: "", dispatcher: { enqueueDelivery: async () => undefined }, logger },
    maxProviderCalls: 6,
  };
  // Each test's prompts carry their own tag, so the stand-in's calls are told apart.
  const tag = newId("req").slice(-8);
  const prompt = (text: string) => `${text} ${tag}`;
  const run = async (text: string): Promise<GenerationRecord> => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId: "alice",
      request: { prompt: prompt(text), quality: "standard", aspectRatio: "1:1", format: "png" },
    });
    await store.accept({ records: [record] });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const outcome = await runGenerationAttempt(deps, record.id, { attempt, maxAttempts: 3 });
      if (outcome.kind !== "retry") break;
    }
    const done = await store.getGeneration(record.id);
    if (!done) throw new Error(`generation ${record.id} is gone`);
    return done;
  };
  const textCalls = () =>
    fake.calls.filter((c) => c.model === TEXT_MODEL && c.prompt.endsWith(` ${tag}`));
  const month = costWindows(new Date()).month.period;
  const spent = async () => (await store.costTotals("alice", [month]))[month];
  return { run, prompt, textCalls, imageCalls: () => imageCalls, spent };
}

describe("a generation with the second opinion on", () => {
  it("asks about an unsure label, draws by the model's label and bills its tokens with the image", async () => {
    const t = setup();
    const local = classifyPrompt(t.prompt(UNSURE));
    expect(local.confidence).toBeLessThan(0.6);
    expect(`${local.domain}/${local.subcategory}`).not.toBe("photography/landscape");

    const done = await t.run(UNSURE);
    expect(t.textCalls()).toHaveLength(1);
    expect(done).toMatchObject({
      status: "completed",
      classification: {
        ...FAKE_GEMINI_LABEL,
        confidence: local.confidence,
        // The model named a label outright: the subcategory's own template.
        certainty: "subcategory",
        source: "gemini",
        local: {
          domain: local.domain,
          subcategory: local.subcategory,
          confidence: local.confidence,
          certainty: local.certainty,
        },
        secondOpinion: { model: TEXT_MODEL, costUsd: OPINION_USD, cached: false },
      },
      cost: { usd: BOTH_USD, savedUsd: 0 },
    });
    expect(done.template?.id).toMatch(/landscape/);
    // The user's month counts it, under the text model's own line.
    expect(await t.spent()).toMatchObject({
      usd: BOTH_USD,
      images: 1,
      byModel: expect.arrayContaining([{ model: TEXT_MODEL, usd: OPINION_USD, images: 0 }]),
    });
  });

  it("asks nothing about a sure label", async () => {
    const t = setup();
    expect(classifyPrompt(t.prompt(SURE)).confidence).toBeGreaterThanOrEqual(0.6);
    const done = await t.run(SURE);
    expect(t.textCalls()).toHaveLength(0);
    expect(done).toMatchObject({
      status: "completed",
      classification: { domain: "photography", subcategory: "portrait", source: "local" },
      cost: { usd: IMAGE_USD },
    });
    expect(done.classification?.secondOpinion).toBeUndefined();
  });

  it("asks once for the same prompt twice: the second generation's answer is cached and free", async () => {
    const t = setup();
    const first = await t.run(UNSURE);
    const second = await t.run(UNSURE);
    expect(t.textCalls()).toHaveLength(1);
    expect(first.classification?.secondOpinion).toMatchObject({ cached: false });
    expect(second).toMatchObject({
      status: "completed",
      classification: { ...FAKE_GEMINI_LABEL, source: "gemini" },
      // The image came from the cache too: nothing at all to pay.
      cached: true,
      cost: { usd: 0 },
    });
    expect(second.classification?.secondOpinion).toMatchObject({ costUsd: 0, cached: true });
    expect(await t.spent()).toMatchObject({ usd: BOTH_USD, images: 2 });
  });

  it("keeps the local label when the answer is not JSON, completes, and bills the tokens", async () => {
    const t = setup();
    const text = "something nice for the wall [gemini:label-invalid-json]";
    const local = classifyPrompt(t.prompt(text));
    expect(local.confidence).toBeLessThan(0.6);
    const done = await t.run(text);
    expect(t.textCalls()).toHaveLength(1);
    expect(done).toMatchObject({
      status: "completed",
      classification: {
        domain: local.domain,
        subcategory: local.subcategory,
        certainty: local.certainty,
        source: "local",
        secondOpinion: { model: TEXT_MODEL, costUsd: OPINION_USD, cached: false },
      },
      cost: { usd: BOTH_USD },
    });
    expect(done.classification?.secondOpinion?.error).toMatch(/not JSON/);
  });

  it("keeps the local label when the model answers 503, completes, and bills nothing for it", async () => {
    const t = setup();
    const text = "something nice for the wall [gemini:label-503]";
    const local = classifyPrompt(t.prompt(text));
    expect(local.confidence).toBeLessThan(0.6);
    const done = await t.run(text);
    expect(t.textCalls()).toHaveLength(1);
    expect(done).toMatchObject({
      status: "completed",
      classification: {
        domain: local.domain,
        subcategory: local.subcategory,
        source: "local",
        secondOpinion: { costUsd: 0, cached: false },
      },
      cost: { usd: IMAGE_USD },
    });
    expect(done.classification?.secondOpinion?.error).toMatch(/503/);
  });

  it("keeps a paid answer across a retry: asked once, billed once, on the record that completes", async () => {
    // The first attempt's upload fails after the image was drawn; the job runs again.
    const t = setup({ failingUploads: 1 });
    const done = await t.run(UNSURE);
    expect(done).toMatchObject({
      status: "completed",
      attempts: 2,
      classification: { source: "gemini", secondOpinion: { costUsd: OPINION_USD, cached: false } },
      cost: { usd: BOTH_USD },
    });
    expect(t.textCalls()).toHaveLength(1);
    expect(t.imageCalls()).toBe(2);
  });
});

describe("an economy image with a second opinion", () => {
  it("bills the second opinion it was classified with beside the batch price, when its job's image is stored", async () => {
    const store = createRedisStore(redis, uniquePrefix("opinion-economy"));
    const blobs = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-opinion-economy-")));
    const drawer = createEconomyDrawer({
      store,
      blobs,
      provider: createSketchProvider({ batchDelayMs: 0 }),
      cacheTtlSeconds: 3_600,
      priceOf: () => IMAGE_USD,
      maxProviderCalls: 6,
      economy: { batchPriceOf: () => 0.0335 },
    });
    // As the classify stage left it before the record went to wait for its batch job.
    const record: GenerationRecord = {
      ...newGenerationRecord({
        id: newId("gen"),
        userId: "alice",
        request: { prompt: UNSURE, quality: "standard", aspectRatio: "1:1", format: "png" },
      }),
      tier: "economy",
      enhancedPrompt: "A landscape photograph of zxqv blorp wemble.",
      classification: {
        ...FAKE_GEMINI_LABEL,
        confidence: 0.17,
        certainty: "subcategory",
        source: "gemini",
        secondOpinion: { model: TEXT_MODEL, costUsd: OPINION_USD, cached: false },
      },
    };
    const now = new Date().toISOString();
    const job: ProviderJobRecord = {
      name: `eco_${newId("req").slice(-12)}`,
      window: "sketch-v1/1K",
      model: "sketch-v1",
      imageSize: "1K",
      ids: [record.id],
      state: "submitting",
      ref: null,
      outcome: null,
      checks: 0,
      createdAt: now,
      updatedAt: now,
    };
    const ref = await drawer.submit(job, [record]);
    const status = await drawer.check({ ...job, ref, state: "submitted" }, [record]);
    const [result] = status.results ?? [];
    if (!result?.ok) throw new Error(`the batch job drew nothing: ${JSON.stringify(status)}`);
    const drawing = await result.store(record, { attempt: 1, progress: async () => undefined });
    expect(drawing.patch.cost).toEqual({
      usd: 0.033748,
      savedUsd: 0,
      economySavedUsd: 0.0335,
    });
  });
});
