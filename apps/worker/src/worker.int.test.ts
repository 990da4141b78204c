import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { createLogger } from "@nanobanana/logger";
import { createDrawer } from "@nanobanana/pipeline";
import { createSketchProvider, type ImageProvider, type ImageRequest } from "@nanobanana/providers";
import { createConsumer, createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore, type Store } from "@nanobanana/store";
import { testRedis, uniquePrefix, waitFor } from "@nanobanana/testing";
import type { Worker } from "bullmq";
import sharp from "sharp";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { generationHandlers } from "./handlers.ts";

const logger = createLogger({ service: "test", level: "silent" });
const connections = [testRedis(), testRedis({ forWorker: true }), testRedis({ forWorker: true })];
const [producerRedis, workerRedis, storeRedis] = connections as [
  ReturnType<typeof testRedis>,
  ReturnType<typeof testRedis>,
  ReturnType<typeof testRedis>,
];
const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close()));
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.quit()));
});

/** A provider that runs `script` for call n (0-based), recording what the record looked like then. */
function scriptedProvider(
  store: () => Store,
  script: Array<(request: ImageRequest) => Promise<void> | void>,
) {
  const sketch = createSketchProvider();
  const seen: GenerationRecord[] = [];
  let calls = 0;
  const provider: ImageProvider = {
    ...sketch,
    async generate(request, options) {
      const step = script[Math.min(calls, script.length - 1)];
      calls++;
      const record = (await store().listHistory("alice", { limit: 1 })).items[0];
      if (record) seen.push(record);
      await step?.(request);
      return sketch.generate(request, options);
    },
  };
  return { provider, seen, calls: () => calls };
}

/** A worker consuming a fresh queue, drawing with the pipeline and a scripted provider. */
async function setup(
  script: Array<(request: ImageRequest) => Promise<void> | void> = [() => undefined],
) {
  const prefix = uniquePrefix("worker");
  const store = createRedisStore(storeRedis, prefix);
  const blobs = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-worker-blobs-")));
  const scripted = scriptedProvider(() => store, script);
  const producer = createProducer(generationQueue, producerRedis, prefix);
  const handlerDeps = {
    store,
    draw: createDrawer({
      store,
      blobs,
      provider: scripted.provider,
      cacheTtlSeconds: 3600,
      maxProviderCalls: 6,
    }),
    notify: { store, baseUrl: "", dispatcher: { enqueueDelivery: async () => undefined } },
    maxProviderCalls: 6,
  };
  const worker = createConsumer(generationQueue, generationHandlers(handlerDeps, logger), {
    connection: workerRedis,
    prefix,
    concurrency: 4,
  });
  workers.push(worker);
  const submit = async (format: "png" | "webp" | "jpeg" = "png") => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId: "alice",
      request: {
        prompt: "wireless headphones on a desk",
        quality: "standard",
        aspectRatio: "4:3",
        format,
      },
    });
    await store.accept({ records: [record] });
    await producer.enqueue(
      "generate",
      { generationId: record.id, userId: "alice" },
      { jobId: record.id },
    );
    return record.id;
  };
  const settled = (id: string, timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const r = await store.getGeneration(id);
        return r && ["completed", "failed", "canceled"].includes(r.status) ? r : undefined;
      },
      { timeoutMs, what: `generation ${id} to settle` },
    );
  const { seen, calls } = scripted;
  return { store, blobs, producer, worker, submit, settled, handlerDeps, seen, calls };
}

describe("generation worker", () => {
  it("runs the pipeline through the queue and records every stage", async () => {
    const t = await setup();
    const id = await t.submit("webp");
    const done = await t.settled(id);

    expect(done).toMatchObject({
      status: "completed",
      stage: "done",
      attempts: 1,
      provider: "sketch",
      model: "sketch-v1",
      cached: false,
      cost: { usd: 0 },
      error: null,
      classification: { domain: "products", subcategory: "ecommerce" },
      template: { id: "products.ecommerce.standard", version: 1 },
      image: { mimeType: "image/webp", width: 1024, height: 768 },
    });
    expect(done.enhancedPrompt).toContain("wireless headphones on a desk");
    expect(Object.keys(done.timings)).toEqual(
      expect.arrayContaining([
        "queuedMs",
        "classifyMs",
        "enhanceMs",
        "generateMs",
        "postProcessMs",
        "uploadMs",
        "totalMs",
      ]),
    );
    expect(done.completedAt).not.toBeNull();

    const blob = await t.blobs.get(done.image?.key ?? "");
    expect(blob?.contentType).toBe("image/webp");
    // While the model drew, the record already said so.
    expect(t.seen[0]).toMatchObject({
      status: "processing",
      stage: "generate",
      classification: { domain: "products" },
    });
    const stored = Buffer.concat(await (blob?.body.toArray() ?? []));
    expect((await sharp(stored).metadata()).format).toBe("webp");
  });

  it("retries a transient provider error and completes on the third attempt", async () => {
    const transient = () => {
      throw new AppError("PROVIDER_ERROR", "503 from the model", { retryable: true });
    };
    const t = await setup([transient, transient, () => undefined]);
    const id = await t.submit();
    const done = await t.settled(id, 30_000);
    expect(done).toMatchObject({ status: "completed", attempts: 3, error: null });
    expect(t.calls()).toBe(3);
  });

  it("fails at once, without retrying, on an error that cannot succeed", async () => {
    const t = await setup([
      () => {
        throw new AppError("SAFETY_BLOCKED", "the prompt was blocked for safety reasons");
      },
    ]);
    const id = await t.submit();
    const done = await t.settled(id);
    expect(done).toMatchObject({
      status: "failed",
      attempts: 1,
      error: {
        code: "SAFETY_BLOCKED",
        message: "the prompt was blocked for safety reasons",
        retryable: false,
      },
    });
    expect(t.calls()).toBe(1);
    // The record settles before BullMQ moves the job to failed: wait for the queue's side.
    const job = await waitFor(async () => {
      const j = await t.producer.queue.getJob(id);
      return (await j?.getState()) === "failed" ? j : undefined;
    });
    expect(job.attemptsMade).toBe(1);
  });

  it("fails a job whose payload does not parse without retrying it", async () => {
    const t = await setup();
    const job = await t.producer.queue.add(
      "generate",
      { generationId: "not-an-id" },
      { attempts: 3 },
    );
    const state = await waitFor(async () => {
      const s = await job.getState();
      return s === "failed" ? s : undefined;
    });
    expect(state).toBe("failed");
    const failed = await t.producer.queue.getJob(job.id ?? "");
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/bad generation\/generate payload/);
    expect(t.calls()).toBe(0);
  });

  it("does nothing when a finished generation's job runs again (at-least-once delivery)", async () => {
    const t = await setup();
    const id = await t.submit();
    const first = await t.settled(id);
    const handlers = generationHandlers(t.handlerDeps, logger);
    const job = { queueName: "generation", id, attemptsMade: 0, opts: { attempts: 3 } } as never;
    expect(await handlers.generate({ generationId: id, userId: "alice" }, job)).toBe("skipped");
    expect(t.calls()).toBe(1);
    expect((await t.store.getGeneration(id))?.updatedAt).toBe(first.updatedAt);
  });
});
