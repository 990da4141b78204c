import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
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
import { type RunningWorker, startWorker } from "@nanobanana/worker";
import { afterEach, describe, expect, it } from "vitest";

/**
 * The API killed with SIGKILL at the moments a red team found gaps: right after it wrote
 * what it accepted (before enqueueing), before it wrote anything (with an Idempotency-Key
 * claimed), and in the middle of cancelling a batch. FAILPOINT makes the real API process
 * kill itself at exactly that step; a fresh API process and the worker's sweep must then
 * leave nothing lost, nothing run twice, and every batch complete and announced once.
 */
const logger = createLogger({ service: "test", level: "silent" });
const KEY = "crash-test-key-1";
const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real receiver; `events` reads what it got as {webhook-id, type, subject id}. */
async function receiver() {
  const hook = await startWebhookReceiver();
  cleanups.push(() => hook.close());
  return {
    url: hook.url,
    get events() {
      return hook.got.map(({ headers, body }) => {
        const parsed = JSON.parse(body) as { type: string; data: { id: string } };
        return { id: String(headers["webhook-id"]), type: parsed.type, subject: parsed.data.id };
      });
    },
  };
}

async function stack(extra: Record<string, string> = {}) {
  const port = await freePort();
  const settings = {
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("crash"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-crash-")),
    API_KEYS: `${KEY}:cora`,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    WEBHOOK_ALLOW_PRIVATE: "1",
    RATE_LIMIT: "100000",
    SWEEP_INTERVAL_MS: "1000",
    LOG_LEVEL: "warn",
    ...extra,
  };
  const base = `http://127.0.0.1:${port}`;
  const storeRedis = testRedis();
  cleanups.push(() => storeRedis.quit());
  const store = createRedisStore(storeRedis, redisKeyPrefix(settings.KEY_PREFIX));

  /** The API as its own process, as `npm run start:api` runs it. */
  const startApi = async (failpoint?: string): Promise<ChildProcess> => {
    const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", resolve(import.meta.dirname, "main.ts")],
      {
        env: { ...inherited, ...settings, ...(failpoint ? { FAILPOINT: failpoint } : {}) },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill());
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}`);
        return (await fetch(`${base}/health`).catch(() => null))?.status === 200 ? true : undefined;
      },
      { timeoutMs: 30_000, what: "api listening" },
    );
    return child;
  };
  const killedBy = (child: ChildProcess) =>
    new Promise<NodeJS.Signals | null>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) r(child.signalCode);
      else child.once("exit", (_code, signal) => r(signal));
    });
  const startWorkerHere = async (): Promise<RunningWorker> => {
    const worker = await startWorker(loadConfig(settings), logger);
    cleanups.push(() => worker.close());
    return worker;
  };
  const post = (path: string, body: unknown, more: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { ...headers, ...more },
      body: JSON.stringify(body),
    });
  const get = async <T>(path: string) =>
    (await (await fetch(`${base}${path}`, { headers })).json()) as T;
  return {
    base,
    prefix: redisKeyPrefix(settings.KEY_PREFIX),
    redis: storeRedis,
    store,
    startApi,
    killedBy,
    startWorkerHere,
    post,
    get,
  };
}

interface BatchStatus {
  total: number;
  counts: Record<string, number>;
  progress: number;
  completedAt: string | null;
}

describe("the API killed with SIGKILL", () => {
  it("after writing a batch but before enqueueing it: the sweep runs every item once, and the Idempotency-Key replays the ids", async () => {
    const hook = await receiver();
    const s = await stack({ SKETCH_DELAY_MS: "0", WORKER_CONCURRENCY: "16" });
    await s.startWorkerHere();
    const items = Array.from({ length: 200 }, (_, i) => ({ prompt: `crash catalogue lamp ${i}` }));
    const body = { items, webhook: hook.url };
    const idem = { "Idempotency-Key": "catalogue-after-write" };

    const dying = await s.startApi("accept.after-write");
    const lost = await s.post("/generate-batch", body, idem).catch((e: Error) => e);
    expect(lost).toBeInstanceOf(Error); // the connection died with the process
    expect(await s.killedBy(dying)).toBe("SIGKILL");

    // A fresh API: the same request with the same key gets the ids the first one accepted.
    await s.startApi();
    const replay = await s.post("/generate-batch", body, idem);
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const { batchId, ids } = (await replay.json()) as { batchId: string; ids: string[] };
    expect(ids).toHaveLength(200);
    expect((await s.store.getBatch(batchId))?.ids).toEqual(ids);

    // No job was ever enqueued for them; the sweep does it, and every item runs once.
    const done = await waitFor(
      async () => {
        const status = await s.get<BatchStatus>(`/batch/${batchId}/status?limit=1`);
        return status.completedAt ? status : undefined;
      },
      { timeoutMs: 60_000, what: "batch completed" },
    );
    expect(done.counts).toMatchObject({ completed: 200, queued: 0, processing: 0 });
    const cost = await s.get<{ month: { images: number } }>("/user/me/cost");
    expect(cost.month.images).toBe(200);
    await waitFor(() => (hook.events.length >= 201 ? true : undefined), {
      timeoutMs: 30_000,
      what: "201 webhooks",
    });
    const completed = hook.events.filter((e) => e.type === "generation.completed");
    expect(new Set(completed.map((e) => e.subject))).toEqual(new Set(ids));
    expect(completed).toHaveLength(200);
    expect(hook.events.filter((e) => e.type === "batch.completed")).toHaveLength(1);
  });

  it("before writing anything: the claimed Idempotency-Key frees itself in seconds, not a day", async () => {
    const s = await stack({ IDEMPOTENCY_PENDING_SECONDS: "10" });
    const body = { items: [{ prompt: "a lamp never accepted" }] };
    const idem = { "Idempotency-Key": "catalogue-before-write" };

    const dying = await s.startApi("accept.before-write");
    expect(await s.post("/generate-batch", body, idem).catch((e: Error) => e)).toBeInstanceOf(
      Error,
    );
    expect(await s.killedBy(dying)).toBe("SIGKILL");
    // The dead request's claim on the key lasts IDEMPOTENCY_PENDING_SECONDS, not the 24 h an
    // answer is kept. (While it lasts, a retry is 409 "still being processed": the Store
    // contract covers that without racing a clock.)
    const claim = `${s.prefix}:idem:cora:catalogue-before-write`;
    const ttl = await s.redis.ttl(claim);
    expect(ttl).not.toBe(-1); // -1: no expiry at all; -2: already gone, as it should soon be
    expect(ttl).toBeLessThanOrEqual(10);
    await s.startApi();

    const accepted = await waitFor(
      async () => {
        const res = await s.post("/generate-batch", body, idem);
        return res.status === 202 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the key freed" },
    );
    expect(accepted.headers.get("idempotent-replayed")).toBeNull();
    const history = await s.get<{ items: unknown[] }>("/user/me/history?limit=100");
    expect(history.items).toHaveLength(1); // nothing of the first attempt was written
  });

  it("in the middle of cancelling a batch: the batch still completes, and batch.completed goes out once", async () => {
    const hook = await receiver();
    // Slow enough that most items are still queued when the cancel comes, however slowly a
    // loaded machine restarts the API.
    const s = await stack({ SKETCH_DELAY_MS: "1500", WORKER_CONCURRENCY: "1" });
    await s.startWorkerHere();
    const ordinary = await s.startApi();
    const items = Array.from({ length: 60 }, (_, i) => ({ prompt: `slow vase ${i}` }));
    const accepted = await s.post("/generate-batch", { items, webhook: hook.url });
    const { batchId } = (await accepted.json()) as { batchId: string };
    await waitFor(
      async () =>
        ((await s.get<BatchStatus>(`/batch/${batchId}/status?limit=1`)).counts.completed ?? 0) >= 1
          ? true
          : undefined,
      { what: "one item drawn" },
    );
    ordinary.kill("SIGTERM");
    await s.killedBy(ordinary);

    // Killed after the items were canceled, before their jobs were removed and the batch
    // was announced.
    const dying = await s.startApi("cancel.after-finish");
    expect(await s.post(`/batch/${batchId}/cancel`, {}).catch((e: Error) => e)).toBeInstanceOf(
      Error,
    );
    expect(await s.killedBy(dying)).toBe("SIGKILL");
    await s.startApi();

    const status = await waitFor(
      async () => {
        const now = await s.get<BatchStatus>(`/batch/${batchId}/status?limit=1`);
        return now.progress === 1 && now.completedAt ? now : undefined;
      },
      { timeoutMs: 30_000, what: "batch completed" },
    );
    expect((status.counts.canceled ?? 0) + (status.counts.completed ?? 0)).toBe(60);
    expect(status.counts.canceled).toBeGreaterThan(0);
    await waitFor(
      () => (hook.events.some((e) => e.type === "batch.completed") ? true : undefined),
      { timeoutMs: 30_000, what: "batch.completed" },
    );
    // Cancelling again changes nothing and announces nothing new.
    const again = await s.post(`/batch/${batchId}/cancel`, {});
    expect(again.status).toBe(200);
    expect(((await again.json()) as { canceled: number }).canceled).toBe(0);
    await new Promise((r) => setTimeout(r, 2_500)); // two more sweeps
    expect(hook.events.filter((e) => e.type === "batch.completed")).toHaveLength(1);
    expect((await s.get<BatchStatus>(`/batch/${batchId}/status?limit=1`)).completedAt).toBe(
      status.completedAt,
    );
  });
});
