import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type RunningApi, startApi } from "@nanobanana/api";
import { type Config, loadConfig } from "@nanobanana/config";
import { startLocalRedis } from "@nanobanana/local-redis";
import { createLogger } from "@nanobanana/logger";
import {
  freePort,
  startWebhookReceiver,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startWorker } from "./worker.ts";

/** Faults with real processes: a worker killed with SIGKILL mid-batch, and Redis restarted. */
const logger = createLogger({ service: "test", level: "silent" });
const KEY = "fault-test-key-1";
const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function env(config: Record<string, string>): NodeJS.ProcessEnv {
  const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
  return { ...inherited, ...config };
}

function spawnWorker(config: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", resolve(import.meta.dirname, "main.ts")],
    {
      env: env(config),
      stdio: ["ignore", "ignore", "ignore"],
    },
  );
  cleanups.push(() => child.exitCode === null && child.kill("SIGKILL"));
  return child;
}

async function receiver() {
  const hook = await startWebhookReceiver();
  cleanups.push(() => hook.close());
  return hook;
}

describe("faults", () => {
  it("loses nothing when a worker is SIGKILLed mid-batch: a new worker finishes every item, each billed and notified once", async () => {
    const hook = await receiver();
    const port = await freePort();
    const settings = {
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: uniquePrefix("fault"),
      DATA_DIR: mkdtempSync(join(tmpdir(), "nb-fault-")),
      API_KEYS: `${KEY}:fay`,
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEBHOOK_ALLOW_PRIVATE: "1",
      // Slow enough that a loaded machine cannot finish the batch between "some being drawn" and
      // the kill (at 600 ms it sometimes did, and nothing was left to orphan).
      SKETCH_DELAY_MS: "2500",
      WORKER_CONCURRENCY: "4",
      WORKER_LOCK_MS: "2000",
      RATE_LIMIT: "100000",
      LOG_LEVEL: "warn",
    };
    const api = await startApi(loadConfig(settings), logger);
    cleanups.push(() => api.close());
    const base = `http://127.0.0.1:${port}`;

    const first = spawnWorker(settings);
    const items = Array.from({ length: 16 }, (_, i) => ({
      prompt: `fault-tolerant teapot number ${i}`,
    }));
    const accepted = (await (
      await fetch(`${base}/generate-batch`, {
        method: "POST",
        headers,
        body: JSON.stringify({ items, webhook: hook.url }),
      })
    ).json()) as {
      batchId: string;
      ids: string[];
    };
    const status = async () =>
      (await (await fetch(`${base}/batch/${accepted.batchId}/status`, { headers })).json()) as {
        counts: Record<string, number>;
        progress: number;
        items: Array<{ status: string; stage: string }>;
      };

    // Kill it while some items are done and others are being drawn, well inside the model's
    // 2.5 s: the first round (4 items, ending together) done and the next in the model. Waiting
    // for "2 completed, 2 processing" sometimes caught the first round's last two about to end,
    // and the kill landed after they had, before the next were claimed: nothing was orphaned.
    await waitFor(
      async () => {
        const { counts, items } = await status();
        const drawing = items.filter((i) => i.status === "processing" && i.stage === "generate");
        return (counts.completed ?? 0) >= 4 && drawing.length >= 2 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: "some completed, some being drawn" },
    );
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const orphaned = (await status()).counts.processing ?? 0;
    expect(orphaned).toBeGreaterThan(0);

    spawnWorker(settings);
    const done = await waitFor(
      async () => ((await status()).progress === 1 ? status() : undefined),
      { timeoutMs: 60_000, what: "every item finished" },
    );
    expect(done.counts).toMatchObject({ completed: 16, failed: 0, processing: 0, queued: 0 });

    // Billed once: the month's cost report counts each image one time.
    const cost = (await (await fetch(`${base}/user/me/cost`, { headers })).json()) as {
      month: { images: number };
    };
    expect(cost.month.images).toBe(16);

    // Notified: one generation.completed per item and one batch.completed; a redelivery keeps its id.
    await waitFor(
      () => (new Set(hook.got.map((g) => g.headers["webhook-id"])).size >= 17 ? true : undefined),
      { what: "17 webhooks" },
    );
    const events = hook.got.map(
      (g) => JSON.parse(g.body) as { type: string; data: { id: string } },
    );
    expect(
      new Set(events.filter((e) => e.type === "generation.completed").map((e) => e.data.id)),
    ).toEqual(new Set(accepted.ids));
    const idsByItem = new Map<string, Set<unknown>>();
    for (const [i, e] of events.entries()) {
      const seen = idsByItem.get(e.data.id) ?? new Set();
      seen.add(hook.got[i]?.headers["webhook-id"]);
      idsByItem.set(e.data.id, seen);
    }
    expect([...idsByItem.values()].every((s) => s.size === 1)).toBe(true);
  });

  it("ends a generation whose workers were SIGKILLed twice while drawing it, instead of leaving it processing", async () => {
    const port = await freePort();
    const settings = {
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: uniquePrefix("stall"),
      DATA_DIR: mkdtempSync(join(tmpdir(), "nb-stall-")),
      API_KEYS: `${KEY}:sol`,
      PORT: String(port),
      SKETCH_DELAY_MS: "60000", // always mid-draw when killed
      WORKER_LOCK_MS: "1000",
      LOG_LEVEL: "warn",
    };
    const api = await startApi(loadConfig(settings), logger);
    cleanups.push(() => api.close());
    const base = `http://127.0.0.1:${port}`;
    const record = async () =>
      (await (await fetch(`${base}/generation/${id}/status`, { headers })).json()) as {
        status: string;
        updatedAt: string;
        error: { message: string; retryable: boolean } | null;
      };
    const accepted = (await (
      await fetch(`${base}/generate-batch`, {
        method: "POST",
        headers,
        body: JSON.stringify({ items: [{ prompt: "a kettle that brings workers down" }] }),
      })
    ).json()) as { batchId: string; ids: string[] };
    const id = accepted.ids[0] ?? "";

    // Two workers die in turn while drawing it; BullMQ allows a job one stall.
    let since = "";
    for (let kill = 0; kill < 2; kill++) {
      const doomed = spawnWorker(settings);
      await waitFor(
        async () => {
          const now = await record();
          return now.status === "processing" && now.updatedAt > since ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: `worker ${kill + 1} drawing it` },
      );
      doomed.kill("SIGKILL");
      await new Promise((r) => doomed.once("exit", r));
      since = new Date().toISOString();
    }

    // A healthy worker's stalled-job check finds it stalled twice: BullMQ fails the job
    // without running the handler, and the record must still end, with its batch.
    const survivor = await startWorker(loadConfig(settings), logger);
    cleanups.push(() => survivor.close());
    const ended = await waitFor(
      async () => {
        const now = await record();
        return now.status === "failed" ? now : undefined;
      },
      { timeoutMs: 30_000, what: "the abandoned generation failed" },
    );
    expect(ended.error).toMatchObject({ retryable: false });
    expect(ended.error?.message).toMatch(/stopped while drawing it, more than once/);
    const batch = (await (
      await fetch(`${base}/batch/${accepted.batchId}/status`, { headers })
    ).json()) as { progress: number; completedAt: string | null };
    expect(batch.progress).toBe(1);
    expect(batch.completedAt).not.toBeNull();
  });

  it("answers 503 while Redis is down, recovers by itself, and keeps what it had accepted", async () => {
    const redisDir = mkdtempSync(join(tmpdir(), "nb-fault-redis-"));
    const redisPort = await freePort();
    let redis = await startLocalRedis({ dir: redisDir, port: redisPort });
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const workerPort = await freePort();
    const config: Config = loadConfig({
      WORKER_HEALTH_PORT: String(workerPort),
      REDIS_URL: redis.url,
      DATA_DIR: mkdtempSync(join(tmpdir(), "nb-fault-")),
      API_KEYS: `${KEY}:gus`,
      PORT: String(port),
      SKETCH_DELAY_MS: "200",
    });
    const worker = await startWorker(config, logger);
    const api: RunningApi = await startApi(config, logger);
    cleanups.push(
      () => worker.close(),
      () => api.close(),
    );
    const base = `http://127.0.0.1:${port}`;
    const submit = (prompt: string) =>
      fetch(`${base}/generate`, { method: "POST", headers, body: JSON.stringify({ prompt }) });

    const before = (await (await submit("before the outage")).json()) as { id: string };
    await redis.stop();

    const during = await submit("during the outage");
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe(
      "SERVICE_UNAVAILABLE",
    );
    expect((await fetch(`${base}/health`)).status).toBe(503);
    // The worker's own health endpoint says so too (what Cloud Run or a probe would watch).
    expect((await fetch(`http://127.0.0.1:${workerPort}/health`)).status).toBe(503);

    redis = await startLocalRedis({ dir: redisDir, port: redisPort });
    await waitFor(async () => ((await fetch(`${base}/health`)).status === 200 ? true : undefined), {
      timeoutMs: 30_000,
      what: "health back",
    });
    expect((await fetch(`http://127.0.0.1:${workerPort}/health`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text()).toMatch(
      /nanobanana_generations_total/,
    );
    const after = await submit("after the outage");
    expect(after.status).toBe(202);
    const { id } = (await after.json()) as { id: string };
    for (const generationId of [before.id, id]) {
      let last: unknown;
      const record = await waitFor(
        async () => {
          const body = (await (
            await fetch(`${base}/generation/${generationId}/status`, { headers })
          ).json()) as { status: string };
          last = body;
          return body.status === "completed" ? body : undefined;
        },
        {
          timeoutMs: 30_000,
          what: () => `${generationId} completed; last seen ${JSON.stringify(last)}`,
        },
      );
      expect(record.status).toBe("completed");
    }
  });
});
