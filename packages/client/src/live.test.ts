import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AbortedError,
  type BatchSummary,
  GenerationFailedError,
  type GenerationRecord,
  type GenerationUpdate,
  NanoBanana,
  NotFoundError,
  TimeoutError,
} from "./index.ts";

/**
 * A stand-in for the API's live status, built to the contract (GET /generation/:id/events,
 * GET /batch/:id/events): versions as SSE ids, the current state at once, Last-Event-ID on
 * reconnect, the stream ends after the final event. Prompts steer it: "fail", "hang", "drop"
 * (the connection is cut after the first two events).
 */
interface Gen {
  record: GenerationRecord;
  version: number;
  event: string;
  listeners: Set<() => void>;
  /** Starts the stages; called when the client first looks, so it sees every step. */
  begin: () => void;
}

const STEPS: Array<[string, Partial<GenerationRecord>]> = [
  ["classify", { status: "processing", stage: "classify" }],
  ["enhance", { status: "processing", stage: "enhance" }],
  ["generate", { status: "processing", stage: "generate" }],
  ["upload", { status: "processing", stage: "upload" }],
];

let base = "";
let noSse = false;
const lastEventIds: string[] = [];
const gens = new Map<string, Gen>();
const batches = new Map<string, { ids: string[]; createdAt: string; version: number }>();
let counter = 0;
const server = createServer((req, res) => {
  handle(req, res).catch((error: Error) => {
    res.writeHead(500).end(error.message);
  });
});

const send = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

function newRecord(id: string, prompt: string, batchId: string | null): GenerationRecord {
  const now = new Date().toISOString();
  return {
    id,
    userId: "u",
    batchId,
    status: "queued",
    stage: "queued",
    prompt,
    quality: "standard",
    aspectRatio: "1:1",
    imageSize: "1K",
    format: "png",
    requestedModel: null,
    references: [],
    classification: null,
    enhancedPrompt: null,
    template: null,
    feedback: null,
    provider: null,
    model: null,
    modelReason: null,
    cached: false,
    cost: { usd: 0, savedUsd: 0 },
    tier: "standard",
    deadline: null,
    onDeadline: "standard",
    providerJob: null,
    tierReason: null,
    usage: null,
    providerCalls: 0,
    note: null,
    image: null,
    error: null,
    attempts: 0,
    timings: {},
    metadata: {},
    createdAt: now,
    updatedAt: now,
    completedAt: null,
    statusUrl: `${base}/generation/${id}/status`,
    queue: { position: 3, etaMs: 900 },
  };
}

function advance(gen: Gen, event: string, patch: Partial<GenerationRecord>) {
  gen.version++;
  gen.event = event;
  gen.record = { ...gen.record, ...patch, updatedAt: new Date().toISOString() };
  if (gen.record.status !== "queued") delete gen.record.queue;
  for (const notify of gen.listeners) notify();
  const batch = gen.record.batchId ? batches.get(gen.record.batchId) : undefined;
  if (batch) batch.version++;
}

function start(id: string, prompt: string, batchId: string | null): Gen {
  const gen: Gen = {
    record: newRecord(id, prompt, batchId),
    version: 1,
    event: "queued",
    listeners: new Set(),
    begin: () => undefined,
  };
  gens.set(id, gen);
  if (prompt.includes("hang")) return gen;
  const steps: Array<[string, Partial<GenerationRecord>]> = prompt.includes("fail")
    ? [
        ...STEPS.slice(0, 3),
        [
          "failed",
          {
            status: "failed",
            stage: "generate",
            error: { code: "SAFETY_BLOCKED", message: "refused", retryable: false },
          },
        ],
      ]
    : [
        ...STEPS,
        [
          "completed",
          {
            status: "completed",
            stage: "done",
            cost: { usd: 0.03, savedUsd: 0 },
            completedAt: new Date().toISOString(),
          },
        ],
      ];
  gen.begin = () => {
    gen.begin = () => undefined;
    let i = 0;
    const timer = setInterval(() => {
      const step = steps[i++];
      if (!step) {
        clearInterval(timer);
        return;
      }
      advance(gen, step[0], step[1]);
    }, 25);
  };
  return gen;
}

function summary(batchId: string): BatchSummary {
  const batch = batches.get(batchId);
  if (!batch) throw new Error("no batch");
  const counts = { queued: 0, submitted: 0, processing: 0, completed: 0, failed: 0, canceled: 0 };
  let usd = 0;
  for (const id of batch.ids) {
    const r = gens.get(id)?.record;
    if (!r) continue;
    counts[r.status]++;
    usd += r.cost.usd;
  }
  const done = counts.completed + counts.failed + counts.canceled;
  return {
    id: batchId,
    userId: "u",
    total: batch.ids.length,
    counts,
    progress: done / batch.ids.length,
    cost: { usd: Math.round(usd * 1e6) / 1e6 },
    createdAt: batch.createdAt,
    completedAt: done === batch.ids.length ? new Date().toISOString() : null,
  };
}

function openStream(req: IncomingMessage, res: ServerResponse) {
  lastEventIds.push(String(req.headers["last-event-id"] ?? ""));
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  res.flushHeaders();
}

async function handle(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", base);
  let body = "";
  for await (const chunk of req) body += String(chunk);
  if (req.headers.authorization !== "Bearer k") {
    send(res, 401, { error: { code: "UNAUTHORIZED", message: "no key" } });
    return;
  }
  const path = url.pathname;
  if (req.method === "POST" && path === "/generate") {
    const id = `gen_${++counter}`;
    start(id, (JSON.parse(body) as { prompt: string }).prompt, null);
    send(res, 202, { id, status: "queued", statusUrl: `${base}/generation/${id}/status` });
    return;
  }
  if (req.method === "POST" && path === "/generate-batch") {
    const batchId = `bat_${++counter}`;
    const items = (JSON.parse(body) as { items: Array<{ prompt: string }> }).items;
    const ids = items.map(() => `gen_${++counter}`);
    batches.set(batchId, { ids, createdAt: new Date().toISOString(), version: 1 });
    items.forEach((item, i) => {
      start(ids[i] as string, item.prompt, batchId);
    });
    send(res, 202, { batchId, ids, statusUrl: `${base}/batch/${batchId}/status` });
    return;
  }
  const match = path.match(/^\/(generation|batch)\/([^/]+)\/(status|events)$/);
  if (!match) {
    send(res, 404, { error: { code: "NOT_FOUND", message: `no route ${path}` } });
    return;
  }
  const [, kind, id = "", what] = match;
  if (kind === "generation") {
    const gen = gens.get(id);
    if (!gen || (what === "events" && noSse)) {
      send(res, 404, { error: { code: "NOT_FOUND", message: `no ${what} for ${id}` } });
      return;
    }
    gen.begin();
    if (what === "status") {
      send(res, 200, gen.record);
      return;
    }
    openStream(req, res);
    let sent = Number(req.headers["last-event-id"] ?? 0);
    let written = 0;
    const push = () => {
      if (gen.version <= sent) return;
      sent = gen.version;
      res.write(`id: ${gen.version}\nevent: ${gen.event}\ndata: ${JSON.stringify(gen.record)}\n\n`);
      written++;
      if (["completed", "failed", "canceled"].includes(gen.record.status)) {
        gen.listeners.delete(push);
        res.end();
      } else if (gen.record.prompt.includes("drop") && written === 2) {
        // Cut without a final event, as a proxy or a restart would.
        gen.listeners.delete(push);
        res.end();
      }
    };
    gen.listeners.add(push);
    res.on("close", () => gen.listeners.delete(push));
    res.write(": ping\n\n");
    push();
    return;
  }
  if (!batches.has(id)) {
    send(res, 404, { error: { code: "NOT_FOUND", message: `no batch ${id}` } });
    return;
  }
  for (const g of batches.get(id)?.ids ?? []) gens.get(g)?.begin();
  if (what === "status") {
    const batch = batches.get(id);
    const items = (batch?.ids ?? []).map((g) => gens.get(g)?.record);
    send(res, 200, { ...summary(id), statusUrl: "", items, nextCursor: null });
    return;
  }
  if (noSse) {
    send(res, 404, { error: { code: "NOT_FOUND", message: "no route" } });
    return;
  }
  openStream(req, res);
  let sentVersion = 0;
  const tick = setInterval(() => {
    const batch = batches.get(id);
    if (!batch || batch.version === sentVersion) return;
    sentVersion = batch.version;
    const s = summary(id);
    const event = s.completedAt ? "completed" : "progress";
    res.write(`id: ${batch.version}\nevent: ${event}\ndata: ${JSON.stringify(s)}\n\n`);
    if (event === "completed") {
      clearInterval(tick);
      res.end();
    }
  }, 10);
  res.on("close", () => clearInterval(tick));
}

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const nb = () => new NanoBanana({ apiKey: "k", baseUrl: base, pollIntervalMs: 20 });

describe("run() over the event stream", () => {
  it("hands over the id first, then every stage, and resolves with the completed record", async () => {
    const updates: GenerationUpdate[] = [];
    const record = await nb().run({ prompt: "red sneaker" }, { onUpdate: (u) => updates.push(u) });
    expect(record.status).toBe("completed");
    expect(updates[0]).toMatchObject({ event: "accepted", generationId: record.id, record: null });
    expect(updates.slice(1).map((u) => u.event)).toEqual([
      "queued",
      "classify",
      "enhance",
      "generate",
      "upload",
      "completed",
    ]);
    expect(updates.slice(1).every((u) => u.event !== "accepted" && u.via === "sse")).toBe(true);
    expect(updates.slice(1).map((u) => u.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const queued = updates[1];
    expect(queued?.record?.queue).toEqual({ position: 3, etaMs: 900 });
  });

  it("reconnects with Last-Event-ID when the connection drops, and misses nothing", async () => {
    lastEventIds.length = 0;
    const updates: GenerationUpdate[] = [];
    const record = await nb().run({ prompt: "drop me" }, { onUpdate: (u) => updates.push(u) });
    expect(record.status).toBe("completed");
    expect(lastEventIds[0]).toBe("");
    expect(Number(lastEventIds[1])).toBeGreaterThanOrEqual(2);
    const versions = updates.flatMap((u) => (u.version === null ? [] : [u.version]));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.at(-1)).toBe(6);
  });

  it("rejects with GenerationFailedError carrying the record when it fails", async () => {
    const error = await nb()
      .run({ prompt: "please fail" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationFailedError);
    const failed = error as GenerationFailedError;
    expect(failed.record.error?.code).toBe("SAFETY_BLOCKED");
    expect(failed.generationId).toBe(failed.record.id);
  });

  it("never loses the id: a timeout rejects with TimeoutError carrying generationId", async () => {
    let accepted: string | undefined;
    const error = await nb()
      .run(
        { prompt: "hang forever" },
        {
          timeoutMs: 300,
          onUpdate: (u) => {
            if (u.event === "accepted") accepted = u.generationId;
          },
        },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).generationId).toBe(accepted);
    expect((error as TimeoutError).message).toMatch(/goes on/);
  });

  it("an abort rejects with AbortedError carrying generationId", async () => {
    const controller = new AbortController();
    const pending = nb().run(
      { prompt: "hang again" },
      {
        signal: controller.signal,
        onUpdate: (u) => {
          if (u.event === "queued") controller.abort();
        },
      },
    );
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).generationId).toMatch(/^gen_/);
  });

  it("a stream that goes silent (no heartbeat) is reconnected", async () => {
    lastEventIds.length = 0;
    const client = nb();
    const { id } = await client.generate({ prompt: "hang quietly" });
    const seen: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 900);
    await (async () => {
      for await (const e of client.generations.events(id, {
        idleTimeoutMs: 120,
        signal: controller.signal,
      })) {
        seen.push(e.event);
      }
    })().catch(() => undefined);
    expect(seen).toEqual(["queued"]);
    expect(lastEventIds.length).toBeGreaterThanOrEqual(2);
    expect(lastEventIds[1]).toBe("1");
  });
});

describe("without the event stream", () => {
  it("falls back to polling the status and still sees the stages", async () => {
    noSse = true;
    try {
      const updates: GenerationUpdate[] = [];
      const record = await nb().run({ prompt: "blue mug" }, { onUpdate: (u) => updates.push(u) });
      expect(record.status).toBe("completed");
      const polled = updates.slice(1);
      expect(polled.every((u) => u.event !== "accepted" && u.via === "poll")).toBe(true);
      expect(polled.at(-1)?.event).toBe("completed");
      expect(polled.length).toBeGreaterThanOrEqual(2);
    } finally {
      noSse = false;
    }
  });

  it("says NotFound for a generation that does not exist", async () => {
    await expect(nb().generations.wait("gen_missing")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("follows a batch by polling too", async () => {
    noSse = true;
    try {
      const progress: BatchSummary[] = [];
      const result = await nb().batch([{ prompt: "a" }, { prompt: "b" }], {
        onProgress: (s) => progress.push(s),
      });
      expect(result.summary.counts.completed).toBe(2);
      expect(progress.at(-1)?.completedAt).not.toBeNull();
    } finally {
      noSse = false;
    }
  });
});

describe("batch()", () => {
  it("reports progress from the batch's event stream, then answers every item", async () => {
    const progress: BatchSummary[] = [];
    let acceptedIds: string[] = [];
    const result = await nb().batch(
      [{ prompt: "one" }, { prompt: "two" }, { prompt: "three fail" }],
      {
        onAccepted: (a) => {
          acceptedIds = a.ids;
        },
        onProgress: (s, e) => {
          expect(e.via).toBe("sse");
          progress.push(s);
        },
      },
    );
    expect(result.ids).toEqual(acceptedIds);
    expect(result.summary.counts).toMatchObject({ completed: 2, failed: 1 });
    expect(result.summary.progress).toBe(1);
    expect(result.items.map((r) => r.id)).toEqual(acceptedIds);
    expect(progress.length).toBeGreaterThan(1);
    const shares = progress.map((p) => p.progress);
    expect(shares).toEqual([...shares].sort((a, b) => a - b));
  });

  it("a timeout while waiting keeps the batch id", async () => {
    const error = await nb()
      .batch([{ prompt: "hang in a batch" }], { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).batchId).toMatch(/^bat_/);
  });
});

describe("generations.image()", () => {
  it("follows the redirect to a signed URL, without sending the API key there", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const seen: Array<string | undefined> = [];
    const storage = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "image/png" }).end(png);
    });
    const api = createServer((_req, res) => {
      const port = (storage.address() as AddressInfo).port;
      res.writeHead(302, { location: `http://127.0.0.1:${port}/bucket/img.png?sig=abc` }).end();
    });
    for (const s of [storage, api]) {
      s.listen(0, "127.0.0.1");
      await once(s, "listening");
    }
    try {
      const client = new NanoBanana({
        apiKey: "k",
        baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      });
      const image = await client.generations.image("gen_1");
      expect(image.mimeType).toBe("image/png");
      expect([...image.bytes]).toEqual([...png]);
      expect(seen).toEqual([undefined]);
    } finally {
      for (const s of [storage, api]) {
        s.closeAllConnections();
        s.close();
      }
    }
  });
});
