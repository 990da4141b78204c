import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startApi } from "@nanobanana/api";
import { loadConfig, redisKeyPrefix } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import { createRedisStore } from "@nanobanana/store";
import {
  freePort,
  startWebhookReceiver,
  testRedis,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";

/**
 * The economy tier end to end, offline: the real API, real worker processes and the sketch
 * provider's batch mode (a job "draws" after SKETCH_BATCH_DELAY_MS). Images priced at $0.04
 * standard, so the batch price is $0.02.
 */
const logger = createLogger({ service: "test", level: "silent" });
const KEY = "economy-test-key-1";
const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const redis = testRedis();
afterAll(() => redis.quit());

interface Rec {
  id: string;
  status: string;
  tier: string;
  tierReason: string | null;
  cost: { usd: number; savedUsd: number; economySavedUsd?: number };
  providerJob: { id: string; name: string } | null;
  error: { code: string; message: string } | null;
  image: { width: number } | null;
  timings: Record<string, number>;
}

function spawnWorker(settings: Record<string, string>): ChildProcess {
  const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", resolve(import.meta.dirname, "main.ts")],
    { env: { ...inherited, ...settings }, stdio: ["ignore", "ignore", "inherit"] },
  );
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  return child;
}

async function stack(overrides: Record<string, string> = {}) {
  const port = await freePort();
  const settings = {
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("economy"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-economy-")),
    API_KEYS: `${KEY}:eve`,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    WEBHOOK_ALLOW_PRIVATE: "1",
    MODEL_PRICES: '{"sketch-v1":0.04}',
    // Long enough that a loaded machine still gathers a whole batch in one window.
    ECONOMY_WINDOW_MS: "2500",
    ECONOMY_POLL_MS: "200",
    SKETCH_BATCH_DELAY_MS: "1500",
    RATE_LIMIT: "100000",
    WORKER_LOCK_MS: "2000",
    LOG_LEVEL: "warn",
    ...overrides,
  };
  const api = await startApi(loadConfig(settings), logger);
  cleanups.push(() => api.close());
  const base = `http://127.0.0.1:${port}`;
  const get = async <T>(path: string) =>
    (await (await fetch(`${base}${path}`, { headers })).json()) as T;
  const post = async <T>(path: string, body: unknown, extra: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { ...headers, ...extra },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const store = createRedisStore(redis, redisKeyPrefix(settings.KEY_PREFIX));
  const batchItems = async (batchId: string) =>
    (await get<{ items: Rec[] }>(`/batch/${batchId}/status?limit=1000`)).items;
  const settled = (batchId: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const status = await get<{ progress: number }>(`/batch/${batchId}/status`);
        return status.progress === 1 ? batchItems(batchId) : undefined;
      },
      { timeoutMs, what: `batch ${batchId} settled` },
    );
  return { settings, base, get, post, store, batchItems, settled };
}

describe("the economy tier", () => {
  it("gathers a batch into one maker's job, at half the standard price, with webhooks as usual", async () => {
    const hook = await startWebhookReceiver();
    cleanups.push(() => hook.close());
    const s = await stack();
    spawnWorker(s.settings);
    const items = Array.from({ length: 30 }, (_, i) => ({ prompt: `a ceramic vase number ${i}` }));
    const accepted = await s.post<{ batchId: string; ids: string[] }>("/generate-batch", {
      items,
      tier: "economy",
      webhook: hook.url,
    });
    expect(accepted.status).toBe(202);
    // Waiting at the maker: submitted, each with the job that draws it.
    const submitted = await waitFor(
      async () => {
        const now = await s.batchItems(accepted.body.batchId);
        return now.every((r) => r.status === "submitted") ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: "every item submitted" },
    );
    expect(new Set(submitted.map((r) => r.providerJob?.id)).size).toBe(1);
    const done = await s.settled(accepted.body.batchId);
    expect(done.map((r) => r.status)).toEqual(items.map(() => "completed"));
    for (const r of done) {
      expect(r).toMatchObject({ tier: "economy", cost: { usd: 0.02, economySavedUsd: 0.02 } });
      expect(r.image?.width).toBe(1024);
      // Its total runs from the request to its end, the batch job's own time in it.
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.batchMs ?? Number.NaN);
      expect(r.timings.batchMs).toBeGreaterThanOrEqual(1500);
    }
    const cost = await s.get<{
      month: { usd: number };
      economy: { images: number; savedUsd: number };
    }>("/user/me/cost");
    // Exactly half of the standard tier's 30 × $0.04.
    expect(cost.month.usd).toBeCloseTo(0.6, 6);
    expect(cost.economy).toEqual({ images: 30, savedUsd: 0.6 });
    await waitFor(() => (hook.got.length >= 31 ? true : undefined), { what: "31 webhooks" });
    const types = hook.got.map((g) => (JSON.parse(g.body) as { type: string }).type);
    expect(types.filter((t) => t === "generation.completed")).toHaveLength(30);
    expect(types).toContain("batch.completed");

    // A cache hit never waits for a batch; what it saved is what this economy request would
    // have paid (the batch price), not the standard one.
    const again = await s.post<Rec>(
      "/generate",
      { prompt: "a ceramic vase number 0", tier: "economy" },
      { Prefer: "wait=20" },
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "completed", cost: { usd: 0, savedUsd: 0.02 } });
  });

  it("a job that expires is drawn again at standard price, or fails where the request said so", async () => {
    const s = await stack();
    spawnWorker(s.settings);
    const accepted = await s.post<{ batchId: string; ids: string[] }>("/generate-batch", {
      tier: "economy",
      items: [
        { prompt: "a lighthouse [sketch:batch-expire]" },
        { prompt: "a harbour at dawn" },
        { prompt: "a fishing boat", onDeadline: "fail" },
      ],
    });
    const [expired, rerun, failed] = (await s.settled(accepted.body.batchId)) as [Rec, Rec, Rec];
    expect(expired).toMatchObject({ status: "completed", tier: "standard", cost: { usd: 0.04 } });
    expect(expired.tierReason).toMatch(/^the batch job expired.*; drawn at standard price$/);
    expect(rerun).toMatchObject({ status: "completed", tier: "standard" });
    expect(failed).toMatchObject({ status: "failed", error: { code: "DEADLINE_EXCEEDED" } });
  });

  it("an image the job could not draw ends on its own; the others complete", async () => {
    const s = await stack();
    spawnWorker(s.settings);
    const accepted = await s.post<{ batchId: string }>("/generate-batch", {
      tier: "economy",
      items: [
        { prompt: "a red apple" },
        { prompt: "a green pear [sketch:item-refused]" },
        { prompt: "a yellow lemon" },
      ],
    });
    const [apple, pear, lemon] = (await s.settled(accepted.body.batchId)) as [Rec, Rec, Rec];
    expect(apple).toMatchObject({ status: "completed", tier: "economy", cost: { usd: 0.02 } });
    expect(lemon).toMatchObject({ status: "completed", tier: "economy" });
    expect(pear).toMatchObject({ status: "failed", error: { code: "SAFETY_BLOCKED" } });
  });

  it("cancels items waiting at the maker, and the maker's job once none of its images waits", async () => {
    const s = await stack({ SKETCH_BATCH_DELAY_MS: "120000" });
    spawnWorker(s.settings);
    const accepted = await s.post<{ batchId: string }>("/generate-batch", {
      tier: "economy",
      items: [{ prompt: "a wool scarf" }, { prompt: "a felt hat" }],
    });
    const submitted = await waitFor(
      async () => {
        const now = await s.batchItems(accepted.body.batchId);
        return now.every((r) => r.status === "submitted") ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: "both submitted" },
    );
    const canceled = await s.post<{ canceled: number }>(
      `/batch/${accepted.body.batchId}/cancel`,
      {},
    );
    expect(canceled.body.canceled).toBe(2);
    const name = submitted[0]?.providerJob?.name ?? "";
    const job = await waitFor(
      async () => {
        const now = await s.store.getProviderJob(name);
        return now?.state === "ended" ? now : undefined;
      },
      { timeoutMs: 30_000, what: "the maker's job released" },
    );
    expect(job.outcome).toBe("cancelled");
    expect((await s.batchItems(accepted.body.batchId)).map((r) => r.status)).toEqual([
      "canceled",
      "canceled",
    ]);
  });

  it("loses nothing when the worker is SIGKILLed while the maker's job runs: a new one finishes every image once", async () => {
    const s = await stack({ SKETCH_BATCH_DELAY_MS: "4000" });
    const first = spawnWorker(s.settings);
    const accepted = await s.post<{ batchId: string; ids: string[] }>("/generate-batch", {
      tier: "economy",
      items: Array.from({ length: 12 }, (_, i) => ({ prompt: `a paper lantern number ${i}` })),
    });
    await waitFor(
      async () => {
        const now = await s.batchItems(accepted.body.batchId);
        return now.every((r) => r.status === "submitted") ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: "every item submitted" },
    );
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    spawnWorker(s.settings);
    const done = await s.settled(accepted.body.batchId);
    expect(done.every((r) => r.status === "completed" && r.tier === "economy")).toBe(true);
    const cost = await s.get<{ month: { images: number }; economy: { images: number } }>(
      "/user/me/cost",
    );
    expect(cost.month.images).toBe(12);
    expect(cost.economy.images).toBe(12);
  });

  it("refuses what the economy tier cannot do, saying why", async () => {
    const s = await stack();
    const soon = new Date(Date.now() + 10_000).toISOString();
    const late = new Date(Date.now() + 72 * 3_600_000).toISOString();
    const cases: Array<[unknown, Record<string, string>, RegExp]> = [
      [{ prompt: "x", tier: "economy", deadline: soon }, {}, /between a minute and 48 hours/],
      [{ prompt: "x", tier: "economy", deadline: late }, {}, /between a minute and 48 hours/],
      [{ prompt: "x", deadline: late }, {}, /for the economy tier/],
      [{ prompt: "x", tier: "cheap" }, {}, /tier must be one of standard, economy/],
      [{ prompt: "x", tier: "economy" }, { "Cancel-After": "soon" }, /Cancel-After must be/],
    ];
    for (const [body, extra, message] of cases) {
      const res = await s.post<{ error: { code: string; message: string } }>(
        "/generate",
        body,
        extra,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    const ok = await s.post<{ id: string }>(
      "/generate",
      { prompt: "a kite", tier: "economy" },
      {
        "Cancel-After": "2h",
      },
    );
    expect(ok.status).toBe(202);
    const record = await s.get<{ deadline: string }>(`/generation/${ok.body.id}/status`);
    expect(Date.parse(record.deadline) - Date.now()).toBeGreaterThan(7_100_000);
  });
});
