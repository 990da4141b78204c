import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApi, startApi } from "@nanobanana/api";
import { loadConfig } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import {
  type FakeGemini,
  freePort,
  startFakeGemini,
  startWebhookReceiver,
  testRedisUrl,
  uniquePrefix,
  type WebhookReceiver,
  waitFor,
} from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./worker.ts";

/**
 * The economy tier against Gemini's Batch Mode, through the Gemini stand-in (reached only
 * through GEMINI_BASE_URL, with the official SDK): the real API and worker, wired from
 * config as in production. 200 images go to Google as one batch job and cost half of what
 * the same 200 cost drawn now.
 */
const logger = createLogger({ service: "test", level: "silent" });
const KEY = "economy-gemini-key";
const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
let fake: FakeGemini;
let worker: RunningWorker;
let api: RunningApi;
let hook: WebhookReceiver;
let base: string;

beforeAll(async () => {
  fake = await startFakeGemini({ batchDelayMs: 1_500 });
  hook = await startWebhookReceiver();
  const port = await freePort();
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("economy-gemini"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-economy-gemini-")),
    API_KEYS: `${KEY}:gia`,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    GEMINI_API_KEY: "test-key",
    GEMINI_BASE_URL: fake.url,
    GEMINI_RETRY_BASE_MS: "20",
    GEMINI_RPM: "100000",
    // Long enough that a loaded machine still gathers all 200 in one window.
    ECONOMY_WINDOW_MS: "4000",
    ECONOMY_POLL_MS: "300",
    WEBHOOK_ALLOW_PRIVATE: "1",
    RATE_LIMIT: "100000",
    WORKER_CONCURRENCY: "16",
    LOG_LEVEL: "warn",
  });
  worker = await startWorker(config, logger);
  api = await startApi(config, logger);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await hook?.close();
  await fake?.close();
});

interface Rec {
  status: string;
  tier: string;
  model: string;
  cost: { usd: number; savedUsd: number; economySavedUsd?: number };
  providerJob: { id: string } | null;
}

async function runBatch(body: unknown): Promise<Rec[]> {
  const res = await fetch(`${base}/generate-batch`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  const { batchId } = (await res.json()) as { batchId: string };
  return waitFor(
    async () => {
      const status = (await (
        await fetch(`${base}/batch/${batchId}/status?limit=1000`, { headers })
      ).json()) as { progress: number; items: Rec[] };
      return status.progress === 1 ? status.items : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 200, what: `batch ${batchId} finished` },
  );
}

const sum = (records: Rec[]) =>
  Math.round(records.reduce((total, r) => total + r.cost.usd, 0) * 1e6) / 1e6;

describe("the economy tier through Gemini Batch Mode", () => {
  it("draws 200 images as one batch job at half the price of drawing them now, with webhooks as usual", async () => {
    const prompts = Array.from({ length: 200 }, (_, i) => `a studio shot of product ${i}`);
    const economy = await runBatch({
      tier: "economy",
      webhook: hook.url,
      items: prompts.map((prompt) => ({ prompt })),
    });
    expect(economy.every((r) => r.status === "completed" && r.tier === "economy")).toBe(true);
    // One job at Google, all 200 inlined, each tied back by its key.
    expect(fake.batches).toHaveLength(1);
    expect(fake.batches[0]).toMatchObject({ input: "inline", requestCount: 200 });
    expect(new Set(economy.map((r) => r.providerJob?.id))).toEqual(
      new Set([fake.batches[0]?.name]),
    );
    expect(economy[0]).toMatchObject({
      model: "gemini-3.1-flash-image",
      cost: { usd: 0.0335, economySavedUsd: 0.0335 },
    });

    // The same prompts drawn now (not from the cache the economy run filled).
    const calls = fake.calls.length;
    const standard = await runBatch({ items: prompts.map((prompt) => ({ prompt, cache: false })) });
    expect(standard.every((r) => r.status === "completed" && r.tier === "standard")).toBe(true);
    expect(fake.calls.length - calls).toBe(200);
    expect(sum(standard)).toBe(13.4);
    expect(sum(economy)).toBe(sum(standard) / 2);

    await waitFor(() => (hook.got.length >= 201 ? true : undefined), { what: "201 webhooks" });
    const types = hook.got.map((g) => (JSON.parse(g.body) as { type: string }).type);
    expect(types.filter((t) => t === "generation.completed")).toHaveLength(200);
    expect(types.filter((t) => t === "batch.completed")).toHaveLength(1);

    const cost = (await (await fetch(`${base}/user/me/cost`, { headers })).json()) as {
      month: { usd: number; images: number };
      economy: { images: number; savedUsd: number };
    };
    expect(cost.economy).toEqual({ images: 200, savedUsd: 6.7 });
    expect(cost.month).toMatchObject({ images: 400, usd: 20.1 });
  }, 180_000);

  it("draws identical requests in one job once; the others complete from its cache entry", async () => {
    const jobs = fake.batches.length;
    const same = await runBatch({
      tier: "economy",
      items: Array.from({ length: 5 }, () => ({ prompt: "a brass compass on a map" })),
    });
    expect(same.every((r) => r.status === "completed")).toBe(true);
    expect(fake.batches.length - jobs).toBe(1);
    expect(fake.batches.at(-1)?.requestCount).toBe(1);
    // One paid at the batch price (half the model's standard one); four served by its image,
    // at no cost, each saving what the one paid.
    const paid = same.filter((r) => r.cost.usd > 0);
    expect(paid).toHaveLength(1);
    expect(paid[0]?.cost.economySavedUsd).toBe(paid[0]?.cost.usd);
    const served = same.filter((r) => r.cost.usd === 0);
    expect(served.map((r) => r.cost.savedUsd)).toEqual(served.map(() => paid[0]?.cost.usd));
  }, 120_000);
});
