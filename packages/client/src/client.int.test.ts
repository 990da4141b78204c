import { createHash } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The real API and an in-process worker on the test Redis (tests are not shipped).
import { apiUnderTest } from "../../../apps/api/src/test-stack.ts";
import {
  AuthenticationError,
  type BatchEvent,
  type GenerationUpdate,
  InvalidRequestError,
  NanoBanana,
  NotFoundError,
} from "./index.ts";

/**
 * The SDK against the real API and worker (sketch provider): live status over SSE, Prefer:
 * wait, batches with progress, history pages, image bytes, uploads, idempotent creates.
 */
const KEY = "sdk-int-key-123";
const stack = apiUnderTest({
  label: "sdk",
  apiKeys: [{ key: KEY, userId: "sdk-user", admin: false }],
  withWorker: true,
});
let server: Server;
let nb: NanoBanana;
let base: string;

beforeAll(async () => {
  await stack.ready();
  server = stack.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  nb = new NanoBanana({ apiKey: KEY, baseUrl: base });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

describe("run()", () => {
  it("follows the generation over SSE: the id first, then its stages, then the record", async () => {
    const updates: GenerationUpdate[] = [];
    const record = await nb.run(
      { prompt: "a red sneaker on a white background", format: "webp" },
      { onUpdate: (u) => updates.push(u), timeoutMs: 30_000 },
    );
    expect(record.status).toBe("completed");
    expect(record.image?.mimeType).toBe("image/webp");
    expect(updates[0]).toMatchObject({ event: "accepted", generationId: record.id });
    const live = updates.slice(1);
    expect(live.length).toBeGreaterThanOrEqual(1);
    expect(live.every((u) => u.event !== "accepted" && u.via === "sse")).toBe(true);
    expect(live.at(-1)?.event).toBe("completed");
    const versions = live.map((u) => u.version ?? 0);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it("a finished generation's stream answers its final state at once and ends", async () => {
    const record = await nb.run({ prompt: "a blue mug on a desk" });
    const events = [];
    for await (const e of nb.generations.events(record.id)) events.push(e);
    expect(events.map((e) => [e.event, e.via])).toEqual([["completed", "sse"]]);
    expect(events[0]?.record.id).toBe(record.id);
  });
});

describe("generate()", () => {
  it("with wait, answers the finished record (Prefer: wait)", async () => {
    const result = await nb.generate({ prompt: "flowchart of a refund process" }, { wait: 20 });
    expect(result.record?.status).toBe("completed");
    expect(result.id).toBe(result.record?.id);
    expect(result.statusUrl).toBe(`${base}/generation/${result.id}/status`);
  });

  it("without wait, answers 202 with the id; the same key answers the same id again", async () => {
    const first = await nb.generate({ prompt: "a green lamp" }, { idempotencyKey: "sdk-same-1" });
    expect(first.record).toBeNull();
    expect(first.replayed).toBe(false);
    const again = await nb.generate({ prompt: "a green lamp" }, { idempotencyKey: "sdk-same-1" });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    expect((await nb.generations.wait(first.id)).status).toBe("completed");
  });

  it("refuses a bad request with InvalidRequestError, code and request id", async () => {
    const error = await nb.generate({ prompt: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ status: 400, code: "INVALID_REQUEST" });
    expect((error as InvalidRequestError).requestId).toBeTruthy();
  });
});

describe("batch()", () => {
  it("reports progress over SSE and answers every item", async () => {
    const events: BatchEvent[] = [];
    const items = Array.from({ length: 6 }, (_, i) => ({ prompt: `product shot of mug ${i}` }));
    const result = await nb.batch(items, { onProgress: (_s, e) => events.push(e) });
    expect(result.summary).toMatchObject({ total: 6, progress: 1 });
    expect(result.summary.counts.completed).toBe(6);
    expect(result.summary.completedAt).not.toBeNull();
    expect(result.items.map((r) => r.id)).toEqual(result.ids);
    expect(result.items.every((r) => r.status === "completed")).toBe(true);
    expect(events.at(-1)?.event).toBe("completed");
    expect(events.every((e) => e.via === "sse")).toBe(true);
  });
});

describe("history()", () => {
  it("iterates every generation across cursor pages, newest first", async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push((await nb.run({ prompt: `history lighthouse ${i}` })).id);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of nb.history({ limit: 2 }).pages()) {
      pages++;
      seen.push(...page.items.map((r) => r.id));
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, 3)).toEqual([...made].reverse());
    const all: string[] = [];
    for await (const record of nb.history({ limit: 5 })) all.push(record.id);
    expect(all).toEqual(seen);
  });
});

describe("images and uploads", () => {
  it("downloads the image bytes the record describes, and uploads them as a reference", async () => {
    const record = await nb.run({ prompt: "a white sneaker on a black background" });
    const image = await nb.generations.image(record.id);
    expect(image.mimeType).toBe("image/png");
    expect([...image.bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(image.bytes.byteLength).toBe(record.image?.bytes);
    expect(createHash("sha256").update(image.bytes).digest("hex")).toBe(record.image?.sha256);

    const upload = await nb.uploads.create(image.bytes, "image/png");
    expect(upload).toMatchObject({ mimeType: "image/png", bytes: image.bytes.byteLength });
    const edit = await nb.run({
      prompt: "put this sneaker on a marble counter",
      images: [upload.id],
    });
    expect(edit.references[0]).toMatchObject({ source: upload.id, sha256: upload.sha256 });
  });
});

describe("the rest", () => {
  it("models, cost, get, and typed errors", async () => {
    const models = await nb.models();
    expect(models.items.map((m) => m.id)).toContain("sketch-v1");
    const cost = await nb.cost();
    expect(cost.month.images).toBeGreaterThan(0);
    await expect(nb.generations.get("gen_0000000000aaaaaaaaaaaaaaaa")).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      new NanoBanana({ apiKey: "wrong-key", baseUrl: base }).models(),
    ).rejects.toBeInstanceOf(AuthenticationError);
  });
});
