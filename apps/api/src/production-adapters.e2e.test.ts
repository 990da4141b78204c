import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Firestore } from "@google-cloud/firestore";
import { loadConfig, redisKeyPrefix } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import {
  type FakeGcs,
  freePort,
  startFakeGcs,
  testFirestoreHost,
  testRedis,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from "@nanobanana/testing";
import { type RunningWorker, startWorker } from "@nanobanana/worker";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "./server.ts";

/**
 * The production adapters end to end: STORE=firestore against the real emulator and
 * BLOB_STORE=gcs against the GCS JSON-API test server, API and worker wired from config.
 */
const host = testFirestoreHost();
const KEY = "firestore-user-key";
const projectId = `nb-e2e-${randomBytes(4).toString("hex")}`;
const name = uniquePrefix("fs");
const prefix = redisKeyPrefix(name);
let api: RunningApi;
let worker: RunningWorker;
let base: string;
let gcs: FakeGcs;

describe.skipIf(!host)("STORE=firestore, BLOB_STORE=gcs", () => {
  beforeAll(async () => {
    gcs = await startFakeGcs();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const config = loadConfig({
      STORE: "firestore",
      FIRESTORE_PROJECT_ID: projectId,
      FIRESTORE_EMULATOR_HOST: host,
      BLOB_STORE: "gcs",
      GCS_BUCKET: "nb-images",
      STORAGE_EMULATOR_HOST: new URL(gcs.url).host,
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: name,
      DATA_DIR: mkdtempSync(join(tmpdir(), "nb-fs-")),
      API_KEYS: `${KEY}:ivy`,
      PORT: String(port),
    });
    const logger = createLogger({ service: "test", level: "silent" });
    worker = await startWorker(config, logger);
    api = await startApi(config, logger);
  });

  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await gcs?.close();
  });

  const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
  const generate = async (prompt: string) => {
    const res = await fetch(`${base}/generate`, {
      method: "POST",
      headers,
      body: JSON.stringify({ prompt }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return waitFor(async () => {
      const body = (await (
        await fetch(`${base}/generation/${id}/status`, { headers })
      ).json()) as Record<string, unknown>;
      return body.status === "completed" ? body : undefined;
    });
  };

  it("generates, lists history and serves the cache, with every record in Firestore", async () => {
    const first = await generate("a lighthouse on a stormy coast");
    const second = await generate("a lighthouse on a stormy coast");
    expect(first).toMatchObject({ cached: false, userId: "ivy" });
    expect(second).toMatchObject({ cached: true });

    const history = (await (await fetch(`${base}/user/me/history`, { headers })).json()) as {
      items: Array<{ id: string }>;
    };
    expect(history.items.map((r) => r.id)).toEqual([second.id, first.id]);

    const cost = (await (await fetch(`${base}/user/me/cost`, { headers })).json()) as Record<
      string,
      unknown
    >;
    expect(cost).toMatchObject({
      month: { images: 2, usd: 0 },
      cache: { hits: 1 },
      byModel: [{ model: "sketch-v1", images: 2 }],
    });

    // The records are Firestore documents, and Redis holds none of them.
    const db = new Firestore({ projectId, host, ssl: false });
    const doc = await db.collection("generations").doc(String(first.id)).get();
    expect(doc.get("status")).toBe("completed");
    const cacheKey = String(doc.get("cacheKey"));
    expect((await db.collection("cache").doc(cacheKey).get()).get("model")).toBe("sketch-v1");
    await db.terminate();
    // The image is a GCS object under cache/, with its metadata, and the API streams it.
    const object = [...gcs.objects.values()].find((o) => o.name === `cache/${cacheKey}.png`);
    expect(object).toMatchObject({
      bucket: "nb-images",
      contentType: "image/png",
      metadata: { model: "sketch-v1" },
    });
    const image = await fetch(String((first.image as { url: string }).url), { headers });
    expect(image.status).toBe(200);
    expect((await sharp(Buffer.from(await image.arrayBuffer())).metadata()).width).toBe(1024);

    const redis = testRedis();
    expect(await redis.keys(`${prefix}:gen:*`)).toEqual([]);
    await redis.quit();
  });
});
