import { mkdtempSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import { freePort, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { type RunningWorker, startWorker } from "@nanobanana/worker";
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "./server.ts";

/**
 * Webhooks end to end: the API and the worker as they run in production (wired from
 * config), and a real HTTP receiver on loopback. Every delivery is checked with the
 * independent `standardwebhooks` verifier.
 */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

const KEY = "alice-webhook-key";
const keyPrefix = uniquePrefix("hooks");
const logger = createLogger({ service: "test", level: "silent" });
const received: Received[] = [];
const flakyHits = new Map<string, number>();
let receiver: Server;
let receiverUrl: string;
let api: RunningApi;
let worker: RunningWorker;
let base: string;

function startReceiver(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = req.url ?? "/";
      const id = String(req.headers["webhook-id"]);
      let status = 204;
      if (path === "/flaky") {
        const hits = (flakyHits.get(id) ?? 0) + 1;
        flakyHits.set(id, hits);
        status = hits <= 2 ? 500 : 200;
      } else if (path === "/down") status = 500;
      else if (path === "/gone") status = 410;
      else if (path === "/redirect") status = 302;
      received.push({ path, headers: req.headers, body, status });
      res.writeHead(status, status === 302 ? { Location: `${receiverUrl}/ok` } : {}).end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const auth = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
const post = async (path: string, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const get = async (path: string) =>
  (await (await fetch(`${base}${path}`, { headers: auth })).json()) as Record<string, unknown>;

beforeAll(async () => {
  receiver = await startReceiver();
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: keyPrefix,
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-hooks-")),
    API_KEYS: `${KEY}:alice`,
    PORT: String(port),
    PUBLIC_URL: base,
    WEBHOOK_ALLOW_PRIVATE: "1",
    WEBHOOK_RETRY_SCHEDULE: "200ms,200ms,200ms",
  });
  worker = await startWorker(config, logger);
  api = await startApi(config, logger);
});

afterAll(async () => {
  await api.close();
  await worker.close();
  receiver.closeAllConnections();
  receiver.close();
});

const verified = async (deliveries: Received[]) => {
  const { secret } = (await get("/webhooks/secret")) as { secret: string };
  const verifier = new Webhook(secret);
  return deliveries.map((d) => {
    const headers = Object.fromEntries(Object.entries(d.headers).map(([k, v]) => [k, String(v)]));
    return verifier.verify(d.body, headers) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
  });
};

describe("webhooks end to end", () => {
  it("sends 50 generation.completed and one batch.completed for a 50-item batch, all correctly signed", async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      prompt: `product shot of mug number ${i}`,
    }));
    const accepted = await post("/generate-batch", { items, webhook: `${receiverUrl}/batch` });
    expect(accepted.status).toBe(202);
    const ids = accepted.body.ids as string[];

    const mine = () => received.filter((r) => r.path === "/batch");
    await waitFor(
      () =>
        mine().some((r) => r.body.includes('"batch.completed"')) && mine().length >= 51
          ? true
          : undefined,
      {
        timeoutMs: 30_000,
        what: "51 deliveries",
      },
    );
    const events = await verified(mine());
    const completed = events.filter((e) => e.type === "generation.completed");
    const batchDone = events.filter((e) => e.type === "batch.completed");
    expect(completed).toHaveLength(50);
    expect(new Set(completed.map((e) => e.data.id))).toEqual(new Set(ids));
    expect(batchDone).toHaveLength(1);
    expect(batchDone[0]?.data).toMatchObject({
      id: accepted.body.batchId,
      total: 50,
      progress: 1,
      counts: { completed: 50 },
    });
    expect(new Set(mine().map((r) => r.headers["webhook-id"])).size).toBe(51);
    // The body carries the record and an image URL, never the image bytes.
    expect(completed[0]?.data).toMatchObject({
      status: "completed",
      image: { url: expect.stringMatching(`^${base}/generation/gen_`) },
    });
    expect(Math.max(...mine().map((r) => r.body.length))).toBeLessThan(10_000);
  });

  it("retries a receiver that answers 500 twice and delivers on the third try with the same webhook-id", async () => {
    const { body } = await post("/generate", {
      prompt: "a red bicycle",
      webhook: `${receiverUrl}/flaky`,
    });
    const id = body.id as string;
    const hits = () => received.filter((r) => r.path === "/flaky" && r.body.includes(id));
    await waitFor(() => (hits().length === 3 ? true : undefined), { what: "three attempts" });
    expect(hits().map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(hits().map((r) => r.headers["webhook-id"])).size).toBe(1);
    await verified(hits());

    const status = await waitFor(async () => {
      const s = (await get(`/generation/${id}/status`)) as {
        webhook?: { deliveries: Array<{ status: string }> };
      };
      return s.webhook?.deliveries[0]?.status === "delivered" ? s : undefined;
    });
    expect(status.webhook?.deliveries[0]).toMatchObject({
      event: "generation.completed",
      status: "delivered",
      lastStatusCode: 200,
      attempts: [{ statusCode: 500 }, { statusCode: 500 }, { statusCode: 200 }],
    });
    const list = (await get("/webhooks/deliveries?limit=100")) as {
      items: Array<{ subjectId: string; status: string }>;
    };
    expect(list.items.find((d) => d.subjectId === id)?.status).toBe("delivered");
  });

  it("dead-letters a delivery once the schedule is spent, and shows it", async () => {
    const { body } = await post("/generate", {
      prompt: "a green bicycle",
      webhook: `${receiverUrl}/down`,
    });
    const delivery = await waitFor(async () => {
      const s = (await get(`/generation/${body.id}/status`)) as {
        webhook?: { deliveries: Array<{ status: string; attempts: unknown[] }> };
      };
      return s.webhook?.deliveries[0]?.status === "dead" ? s.webhook.deliveries[0] : undefined;
    });
    expect(delivery.attempts).toHaveLength(4);
  });

  it("stops at 410 Gone and does not follow redirects", async () => {
    const gone = await post("/generate", {
      prompt: "a blue bicycle",
      webhook: `${receiverUrl}/gone`,
    });
    const redirect = await post("/generate", {
      prompt: "a pink bicycle",
      webhook: `${receiverUrl}/redirect`,
    });
    const state = async (id: unknown) =>
      (
        (await get(`/generation/${id}/status`)) as {
          webhook?: {
            deliveries: Array<{
              status: string;
              attempts: Array<{ statusCode: number; error: string | null }>;
            }>;
          };
        }
      ).webhook?.deliveries[0];
    const goneDelivery = await waitFor(async () =>
      (await state(gone.body.id))?.status === "disabled" ? state(gone.body.id) : undefined,
    );
    expect(goneDelivery?.attempts).toHaveLength(1);
    const redirected = await waitFor(async () =>
      (await state(redirect.body.id))?.status === "dead" ? state(redirect.body.id) : undefined,
    );
    expect(redirected?.attempts[0]).toMatchObject({
      statusCode: 302,
      error: expect.stringMatching(/not followed/),
    });
    // The redirect target never saw these requests.
    expect(
      received.filter((r) => r.path === "/ok" && r.body.includes(String(redirect.body.id))),
    ).toHaveLength(0);
  });

  it("sends only the events asked for", async () => {
    const { body } = await post("/generate", {
      prompt: "a yellow bicycle",
      webhook: { url: `${receiverUrl}/filtered`, events: ["generation.failed"] },
    });
    await waitFor(async () =>
      (await get(`/generation/${body.id}/status`)).status === "completed" ? true : undefined,
    );
    // Give a wrongly sent delivery time to arrive before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.filter((r) => r.path === "/filtered")).toHaveLength(0);
  });

  // Last, once the tests above have made every kind of key: records, batches, history, cost
  // totals, stats, the outbox, deliveries, secrets, limits and every queue's BullMQ keys.
  it("keeps every Redis key it wrote in one Redis Cluster hash slot", async () => {
    const redis = new Redis(testRedisUrl());
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, page] = await redis.scan(cursor, "MATCH", `*${keyPrefix}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== "0");
    await redis.quit();
    expect(keys.length).toBeGreaterThan(30);
    const named = (part: string) => keys.some((k) => k.includes(part));
    for (const part of [":gen:", ":batch:", ":generation:", ":webhooks:", ":rl:"])
      expect(named(part), part).toBe(true);
    const slots = new Set(keys.map((k) => calculateSlot(k)));
    expect([...slots], keys.filter((k) => !k.startsWith(`{${keyPrefix}}:`)).join(", ")).toEqual([
      calculateSlot(`{${keyPrefix}}`),
    ]);
  });
});
