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
  costUsd = 0,
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
      return { ...(await sketch.generate(request, options)), costUsd };
    },
  };
  return { provider, seen, calls: () => calls };
}

async function setup(
  script: Array<(request: ImageRequest) => Promise<void> | void> = [() => undefined],
  costUsd = 0,
  monthlyBudgetUsd?: number,
  options: { cacheScope?: "user" | "global"; failingUploads?: number } = {},
) {
  const prefix = uniquePrefix("worker");
  const store = createRedisStore(storeRedis, prefix);
  const disk = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-worker-blobs-")));
  let failingUploads = options.failingUploads ?? 0;
  const blobs: typeof disk = {
    ...disk,
    async put(key, bytes, write) {
      if (failingUploads-- > 0) throw new Error("storage hiccup during upload");
      return disk.put(key, bytes, write);
    },
  };
  const scripted = scriptedProvider(() => store, script, costUsd);
  const producer = createProducer(generationQueue, producerRedis, prefix);
  const worker = createConsumer(
    generationQueue,
    generationHandlers(
      {
        draw: createDrawer({
          store,
          blobs,
          provider: scripted.provider,
          cacheTtlSeconds: 3600,
          monthlyBudgetUsd,
          priceOf: () => costUsd,
          maxProviderCalls: 6,
          ...(options.cacheScope ? { cacheScope: options.cacheScope } : {}),
        }),
        notify: { store, baseUrl: "", dispatcher: { enqueueDelivery: async () => undefined } },
        maxProviderCalls: 6,
      },
      logger,
    ),
    {
      connection: workerRedis,
      prefix,
      concurrency: 4,
    },
  );
  workers.push(worker);
  const submit = async (
    prompt = "wireless headphones on a desk",
    format: "png" | "webp" | "jpeg" = "png",
    webhook?: { url: string; events: string[] },
    cache = true,
    userId = "alice",
  ) => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId,
      request: { prompt, quality: "standard", aspectRatio: "4:3", format, cache },
    });
    if (webhook) record.webhook = webhook;
    await store.accept({ records: [record] });
    await producer.enqueue("generate", { generationId: record.id, userId }, { jobId: record.id });
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
  const { provider, seen, calls } = scripted;
  return { store, blobs, producer, worker, submit, settled, provider, seen, calls };
}

describe("generation worker", () => {
  it("runs the pipeline through the queue and records every stage", async () => {
    const t = await setup();
    const id = await t.submit("wireless headphones on a desk", "webp");
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

  it("shows a retry in progress as queued with a retryable error", async () => {
    const t = await setup([
      () => {
        throw new AppError("PROVIDER_ERROR", "timeout", { retryable: true });
      },
      () => undefined,
    ]);
    const id = await t.submit();
    const between = await waitFor(async () => {
      const r = await t.store.getGeneration(id);
      return r?.error ? r : undefined;
    });
    expect(between).toMatchObject({
      status: "queued",
      error: { code: "PROVIDER_ERROR", retryable: true },
    });
    expect((await t.settled(id, 30_000)).status).toBe("completed");
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

  it("records a generation.failed event carrying the error, once, for a failed generation", async () => {
    const t = await setup([
      () => {
        throw new AppError("SAFETY_BLOCKED", "blocked");
      },
    ]);
    const id = await t.submit("anything", "png", {
      url: "https://example.com/hook",
      events: ["generation.failed"],
    });
    await t.settled(id);
    const deliveries = await waitFor(async () => {
      const found = await t.store.deliveriesFor(id);
      return found.length > 0 ? found : undefined;
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      event: "generation.failed",
      status: "pending",
      url: "https://example.com/hook",
    });
    expect(JSON.parse(deliveries[0]?.body ?? "{}")).toMatchObject({
      type: "generation.failed",
      data: { id, status: "failed", error: { code: "SAFETY_BLOCKED" } },
    });
  });

  it("ends failed after the last attempt when the error stays transient", async () => {
    const t = await setup([
      () => {
        throw new Error("socket hang up");
      },
    ]);
    const id = await t.submit();
    const done = await t.settled(id, 30_000);
    // The last failure says it is final: no client should wait for another retry.
    expect(done).toMatchObject({
      status: "failed",
      attempts: 3,
      error: {
        code: "INTERNAL",
        message: "socket hang up (final: all 3 attempts used)",
        retryable: false,
      },
    });
    expect(t.calls()).toBe(3);
  });

  it("counts a provider call that succeeded even when a later stage failed, so the retry's bill is whole", async () => {
    const t = await setup(undefined, 0, undefined, { failingUploads: 1 });
    const done = await t.settled(await t.submit("a kettle drawn twice"), 30_000);
    // Drawn once by the attempt whose upload failed, and again by the retry: both were paid.
    expect(done).toMatchObject({ status: "completed", attempts: 2, providerCalls: 2 });
    expect(t.calls()).toBe(2);
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
    const handlers = generationHandlers(
      {
        draw: createDrawer({
          store: t.store,
          blobs: t.blobs,
          provider: t.provider,
          cacheTtlSeconds: 3600,
          maxProviderCalls: 6,
        }),
        notify: {
          store: t.store,
          baseUrl: "",
          dispatcher: { enqueueDelivery: async () => undefined },
        },
        maxProviderCalls: 6,
      },
      logger,
    );
    const job = { queueName: "generation", id, attemptsMade: 0, opts: { attempts: 3 } } as never;
    expect(await handlers.generate({ generationId: id, userId: "alice" }, job)).toBe("skipped");
    expect(t.calls()).toBe(1);
    expect((await t.store.getGeneration(id))?.updatedAt).toBe(first.updatedAt);
  });

  describe("the cache", () => {
    it("serves the same prompt twice with one provider call: the second is cached, free, and the same image", async () => {
      const t = await setup([() => undefined], 0.039);
      const first = await t.settled(await t.submit("a brass compass on a map"));
      const second = await t.settled(await t.submit("a brass compass on a map"));
      expect(t.calls()).toBe(1);
      expect(first).toMatchObject({
        status: "completed",
        cached: false,
        cost: { usd: 0.039, savedUsd: 0 },
      });
      expect(second).toMatchObject({
        status: "completed",
        cached: true,
        cost: { usd: 0, savedUsd: 0.039 },
        model: first.model,
      });
      expect(second.image?.sha256).toBe(first.image?.sha256);
      expect(second.image?.key).toBe(first.image?.key);
      expect(second.image?.key).toMatch(/^cache\/[0-9a-f]{64}\.png$/);
      expect(second.cacheKey).toBe(first.cacheKey);
      expect(second.timings.cacheMs).toBeGreaterThanOrEqual(0);
    });

    it("shares one provider call among 20 identical requests submitted together", async () => {
      const t = await setup([() => new Promise((resolve) => setTimeout(resolve, 300))], 0.039);
      const ids = await Promise.all(
        Array.from({ length: 20 }, () => t.submit("twenty identical lighthouses")),
      );
      const done = await Promise.all(ids.map((id) => t.settled(id, 30_000)));
      expect(t.calls()).toBe(1);
      expect(done.every((r) => r.status === "completed")).toBe(true);
      expect(done.filter((r) => r.cached)).toHaveLength(19);
      expect(new Set(done.map((r) => r.image?.sha256)).size).toBe(1);
    });

    it("keys on what decides the picture: another format or prompt draws anew", async () => {
      const t = await setup();
      await t.settled(await t.submit("a teal bicycle", "png"));
      await t.settled(await t.submit("a teal bicycle", "webp"));
      await t.settled(await t.submit("a teal tricycle", "png"));
      expect(t.calls()).toBe(3);
    });

    it("bypasses the cache on request, neither using nor filling it", async () => {
      const t = await setup();
      await t.settled(await t.submit("a violet kite"));
      const bypass = await t.settled(await t.submit("a violet kite", "png", undefined, false));
      expect(bypass).toMatchObject({ status: "completed", cached: false, cacheKey: null });
      expect(bypass.image?.key).toBe(`images/${bypass.id}.png`);
      expect(t.calls()).toBe(2);
    });

    it("keeps each user's cache their own by default: another user's identical request draws anew", async () => {
      const t = await setup();
      const alice = await t.settled(await t.submit("a private brass compass"));
      const bob = await t.settled(
        await t.submit("a private brass compass", "png", undefined, true, "bob"),
      );
      // Nothing tells bob that alice drew this prompt.
      expect(alice.cached).toBe(false);
      expect(bob).toMatchObject({ status: "completed", cached: false, cost: { savedUsd: 0 } });
      expect(t.calls()).toBe(2);
      const again = await t.settled(
        await t.submit("a private brass compass", "png", undefined, true, "bob"),
      );
      expect(again.cached).toBe(true);
    });

    it("shares one cache across users with CACHE_SCOPE=global", async () => {
      const t = await setup(undefined, 0, undefined, { cacheScope: "global" });
      await t.settled(await t.submit("a shared brass compass"));
      const bob = await t.settled(
        await t.submit("a shared brass compass", "png", undefined, true, "bob"),
      );
      expect(bob.cached).toBe(true);
      expect(t.calls()).toBe(1);
    });

    it("gives identical requests the same A/B arm, so A/B variants never defeat the cache", async () => {
      const t = await setup();
      const prompt = "headshot of a violinist, studio portrait";
      const first = await t.settled(await t.submit(prompt));
      const rest = [];
      for (let i = 0; i < 3; i++) rest.push(await t.settled(await t.submit(prompt)));
      expect(first.template?.id).toMatch(/portrait/);
      expect(new Set([first, ...rest].map((r) => r.template?.variant)).size).toBe(1);
      expect(rest.map((r) => r.cached)).toEqual([true, true, true]);
      expect(t.calls()).toBe(1);
    });

    it("never caches a failed generation", async () => {
      const t = await setup([
        () => {
          throw new AppError("SAFETY_BLOCKED", "blocked");
        },
        () => undefined,
      ]);
      expect((await t.settled(await t.submit("an orange kite"))).status).toBe("failed");
      const retry = await t.settled(await t.submit("an orange kite"));
      expect(retry).toMatchObject({ status: "completed", cached: false });
      expect(t.calls()).toBe(2);
    });
  });

  describe("monthly budget", () => {
    it("fails fast with BUDGET_EXCEEDED, before any provider call, once the next image would pass it", async () => {
      const t = await setup([() => undefined], 0.039, 0.05);
      const first = await t.settled(await t.submit("budget lamp one"));
      const second = await t.settled(await t.submit("budget lamp two"));
      expect(first.status).toBe("completed");
      expect(second).toMatchObject({
        status: "failed",
        attempts: 1,
        providerCalls: 0,
        error: { code: "BUDGET_EXCEEDED", retryable: false },
      });
      expect(second.error?.message).toMatch(/past the monthly budget of \$0\.05/);
      expect(t.calls()).toBe(1);
      // A cache hit costs nothing, so it is still served.
      expect(await t.settled(await t.submit("budget lamp one"))).toMatchObject({
        status: "completed",
        cached: true,
      });
    });

    it("applies the lower of the service's budget and the user's own", async () => {
      const t = await setup([() => undefined], 0.039, 10);
      await t.store.setPreferences("alice", { monthlyBudgetUsd: 0 });
      const record = await t.settled(await t.submit("budget lamp three"));
      expect(record.error?.code).toBe("BUDGET_EXCEEDED");
      expect(t.calls()).toBe(0);
    });
  });
});
