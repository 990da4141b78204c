import { mkdtempSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createFsBlobStore } from "@nanobanana/blob-store";
import {
  type BatchRecord,
  type GenerationRecord,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createConsumer, createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, uniquePrefix, waitFor } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { acceptGenerations, createAcceptor } from "./accept.ts";
import { cancelQueued } from "./cancel.ts";
import { sweep } from "./sweep.ts";

const redis = testRedis();
const logger = createLogger({ service: "test", level: "silent" });
const closers: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await redis.quit();
});

const hook = { url: "https://example.com/hook", events: ["batch.completed"] };

/** The lifecycle on a real Redis store and a real BullMQ queue; no worker runs. */
function setup() {
  const prefix = uniquePrefix("lifecycle");
  const store = createRedisStore(redis, prefix);
  const blobRoot = mkdtempSync(join(tmpdir(), "nb-lifecycle-blobs-"));
  const blobs = createFsBlobStore(blobRoot);
  const producer = createProducer(generationQueue, redis, prefix);
  closers.push(() => producer.close());
  const enqueued: string[] = [];
  const notify = {
    store,
    baseUrl: "https://api.example.com",
    dispatcher: { enqueueDelivery: async (id: string) => void enqueued.push(id) },
    logger,
  };
  const sweepDeps = { store, blobs, producer, notify, logger, graceMs: 0, cacheTtlSeconds: 3600 };
  const batchOf = (size: number): { batch: BatchRecord; items: GenerationRecord[] } => {
    const batchId = newId("bat");
    const items = Array.from({ length: size }, () => ({
      ...newGenerationRecord({
        id: newId("gen"),
        userId: "alice",
        request: {
          prompt: "a red bicycle",
          quality: "standard",
          aspectRatio: "1:1",
          format: "png",
        },
      }),
      batchId,
    }));
    const batch: BatchRecord = {
      id: batchId,
      userId: "alice",
      total: size,
      ids: items.map((r) => r.id),
      webhook: hook,
      createdAt: new Date().toISOString(),
      completedAt: null,
    };
    return { batch, items };
  };
  const jobIds = async () =>
    (await producer.queue.getJobs(["waiting"])).map((j) => j.id as string).sort();
  return { prefix, store, blobs, blobRoot, producer, notify, sweepDeps, enqueued, batchOf, jobIds };
}

describe("accepting", () => {
  it("writes the batch and enqueues one job per item, keyed by the generation id", async () => {
    const t = setup();
    const { batch, items } = t.batchOf(3);
    await acceptGenerations(
      { store: t.store, producer: t.producer, logger },
      { records: items, batch },
    );
    expect(await t.jobIds()).toEqual(items.map((r) => r.id).sort());
    // Confirmed: the sweep has nothing left to enqueue.
    expect(
      await t.store.unconfirmedAcceptances(new Date(Date.now() + 1000).toISOString(), 10),
    ).toEqual([]);
  });

  it("keeps what it wrote when the queue is unreachable, for the sweep to enqueue", async () => {
    const t = setup();
    const { batch, items } = t.batchOf(2);
    const down = {
      ...t.producer,
      enqueueBulk: async () => {
        throw new Error("connect ECONNREFUSED");
      },
    };
    await acceptGenerations({ store: t.store, producer: down, logger }, { records: items, batch });
    expect(await t.jobIds()).toEqual([]);
    await sleep(5);
    const report = await sweep(t.sweepDeps);
    expect(report.enqueued).toBe(2);
    expect(await t.jobIds()).toEqual(items.map((r) => r.id).sort());
    // Once enqueued, a second sweep finds nothing to do.
    expect((await sweep(t.sweepDeps)).enqueued).toBe(0);
  });
});

describe("accepting as the API does (createAcceptor)", () => {
  it("answers once the records are written; the jobs follow, then the acceptance markers are cleared", async () => {
    const t = setup();
    const accept = createAcceptor({ store: t.store, producer: t.producer, logger });
    const batches = [t.batchOf(2), t.batchOf(3)];
    await Promise.all(batches.map(({ batch, items }) => accept({ records: items, batch })));
    // Answered: every record is written (the work is accepted for good).
    const ids = batches.flatMap(({ items }) => items.map((r) => r.id));
    expect((await t.store.getGenerations(ids)).map((r) => r?.status)).toEqual(
      ids.map(() => "queued"),
    );
    await waitFor(async () => ((await t.jobIds()).length === ids.length ? true : undefined), {
      what: "the jobs to be queued",
    });
    expect(await t.jobIds()).toEqual([...ids].sort());
    const later = () => new Date(Date.now() + 60_000).toISOString();
    await waitFor(
      async () => {
        const left = await t.store.unconfirmedAcceptances(later(), 100);
        return batches.every(({ batch }) => !left.includes(batch.id)) || undefined;
      },
      { what: "the acceptance markers to be cleared" },
    );
  });
});

describe("accepting with the enqueue behind the write (one connection, as the API does)", () => {
  it("every job a waiting worker takes finds its record, and each answer comes with its records written", async () => {
    const t = setup();
    // Store and producer share `redis`; a worker already blocked on the queue takes each job
    // the moment it lands, and reads its record at once. (That accept() sends its write before
    // it yields, which the order rests on, is the Redis store's own test.)
    const workerRedis = testRedis({ forWorker: true });
    const found: Array<string | null> = [];
    const worker = createConsumer(
      generationQueue,
      {
        generate: async ({ generationId }) => {
          found.push((await t.store.getGeneration(generationId))?.id ?? null);
        },
      },
      { connection: workerRedis, prefix: t.prefix, concurrency: 50 },
    );
    closers.push(async () => {
      await worker.close();
      await workerRedis.quit();
    });
    await worker.waitUntilReady();
    const accept = createAcceptor({
      store: t.store,
      producer: t.producer,
      logger,
      enqueueBehindWrite: true,
    });
    const singles = Array.from({ length: 60 }, () => t.batchOf(1).items[0] as GenerationRecord);
    const { batch, items } = t.batchOf(40);
    await Promise.all([
      ...singles.map((record) => accept({ records: [{ ...record, batchId: null }] })),
      accept({ records: items, batch }),
    ]);
    // Answered: every record is written; the jobs were sent behind them.
    const ids = [...singles.map((r) => r.id), ...items.map((r) => r.id)];
    expect((await t.store.getGenerations(ids)).every((r) => r !== null)).toBe(true);
    await waitFor(() => (found.length === ids.length ? true : undefined), {
      what: () => `${found.length} of ${ids.length} jobs run`,
    });
    expect(found.filter((id) => id === null)).toEqual([]);
    expect(found.sort()).toEqual(ids.sort());
  });

  it("an enqueue refused while the connection came back is sent again once the write is in, not left to the sweep", async () => {
    const t = setup();
    let calls = 0;
    const producer = {
      ...t.producer,
      enqueueBulk: ((name, items) => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new Error("redis is unreachable (reconnecting)"))
          : t.producer.enqueueBulk(name, items);
      }) as typeof t.producer.enqueueBulk,
    };
    const accept = createAcceptor({ store: t.store, producer, logger, enqueueBehindWrite: true });
    const { batch, items } = t.batchOf(3);
    await accept({ records: items, batch });
    await waitFor(async () => ((await t.jobIds()).length === 3 ? true : undefined), {
      what: "the jobs to be queued",
    });
    expect(calls).toBe(2);
    const later = new Date(Date.now() + 60_000).toISOString();
    await waitFor(
      async () =>
        !(await t.store.unconfirmedAcceptances(later, 100)).includes(batch.id) || undefined,
      { what: "the marker to be cleared" },
    );
  });

  it("a write that fails is the caller's error, and accepted nothing", async () => {
    const t = setup();
    const failing = {
      ...t.store,
      accept: async () => {
        throw new Error("OOM command not allowed");
      },
    };
    const accept = createAcceptor({
      store: failing,
      producer: t.producer,
      logger,
      enqueueBehindWrite: true,
    });
    const { batch, items } = t.batchOf(2);
    await expect(accept({ records: items, batch })).rejects.toThrow("OOM");
    expect(await t.store.getGenerations(items.map((r) => r.id))).toEqual([null, null]);
  });
});

describe("cancelling", () => {
  it("cancels only the queued items, removes their jobs, and completes and announces the batch once all have settled", async () => {
    const t = setup();
    const { batch, items } = t.batchOf(3);
    await acceptGenerations(
      { store: t.store, producer: t.producer, logger },
      { records: items, batch },
    );
    const [first, ...rest] = items as [GenerationRecord, ...GenerationRecord[]];
    // The first item already started: a cancel must leave it to finish.
    await t.store.updateGeneration(first.id, { status: "processing" });
    const current = (await t.store.getGenerations(batch.ids)) as GenerationRecord[];
    const canceled = await cancelQueued({ producer: t.producer, notify: t.notify }, current);

    expect(canceled.map((r) => r.id).sort()).toEqual(rest.map((r) => r.id).sort());
    expect(await t.jobIds()).toEqual([first.id]);
    expect((await t.store.getBatch(batch.id))?.completedAt).toBeNull();
    expect(t.enqueued).toEqual([]);

    // The started item ends; a second cancel (or a status read) settles the batch.
    await t.store.finishGenerations(
      [{ id: first.id, patch: { status: "failed", completedAt: new Date().toISOString() } }],
      { onlyIfStatusIn: ["processing"] },
    );
    await cancelQueued({ producer: t.producer, notify: t.notify }, [
      (await t.store.getGeneration(first.id)) as GenerationRecord,
    ]);
    expect((await t.store.getBatch(batch.id))?.completedAt).not.toBeNull();
    const deliveries = await t.store.deliveriesFor(batch.id);
    expect(deliveries.map((d) => d.event)).toEqual(["batch.completed"]);
    expect(t.enqueued).toEqual([deliveries[0]?.id]);
  });
});

describe("the sweep", () => {
  it("completes and announces a batch whose items all settled but which never completed", async () => {
    const t = setup();
    const { batch, items } = t.batchOf(2);
    await t.store.accept({ records: items, batch });
    await t.store.confirmEnqueued(batch.id);
    const at = new Date().toISOString();
    await t.store.finishGenerations(
      items.map((r) => ({ id: r.id, patch: { status: "completed" as const, completedAt: at } })),
      { onlyIfStatusIn: ["queued"] },
    );
    // As if the process died after the last item and before the batch was announced:
    // finishing the last item completed the batch, but no delivery exists yet.
    await sleep(5);
    const report = await sweep(t.sweepDeps);
    expect(report.notified).toBeGreaterThanOrEqual(1);
    expect((await t.store.deliveriesFor(batch.id)).map((d) => d.event)).toEqual([
      "batch.completed",
    ]);
    // Idempotent: another sweep sends nothing new.
    await sweep(t.sweepDeps);
    expect(await t.store.deliveriesFor(batch.id)).toHaveLength(1);
    expect(t.enqueued).toHaveLength(1);
  });

  it("creates the webhook of a finished generation that the outbox still holds", async () => {
    const t = setup();
    const record = {
      ...newGenerationRecord({
        id: newId("gen"),
        userId: "alice",
        request: { prompt: "a kite", quality: "standard", aspectRatio: "1:1", format: "png" },
      }),
      webhook: { url: "https://example.com/hook", events: ["generation.completed"] },
    };
    await t.store.accept({ records: [record] });
    await t.store.confirmEnqueued(record.id);
    await t.store.finishGenerations(
      [{ id: record.id, patch: { status: "completed", completedAt: new Date().toISOString() } }],
      { onlyIfStatusIn: ["queued"] },
    );
    await sleep(5);
    expect((await sweep(t.sweepDeps)).notified).toBe(1);
    expect((await t.store.deliveriesFor(record.id)).map((d) => d.event)).toEqual([
      "generation.completed",
    ]);
    expect(await t.store.pendingNotifications(new Date().toISOString(), 10)).toEqual([]);
  });

  it("leaves work younger than its grace period to the hands it is in", async () => {
    const t = setup();
    const { batch, items } = t.batchOf(1);
    await t.store.accept({ records: items, batch });
    const report = await sweep({ ...t.sweepDeps, graceMs: 60_000 });
    expect(report.enqueued).toBe(0);
    expect(await t.jobIds()).toEqual([]);
  });

  it("deletes cached images older than the cache TTL and keeps the rest", async () => {
    const t = setup();
    await t.blobs.put("cache/old.png", Buffer.from("old"), { contentType: "image/png" });
    await t.blobs.put("cache/new.png", Buffer.from("new"), { contentType: "image/png" });
    await t.blobs.put("images/own.png", Buffer.from("own"), { contentType: "image/png" });
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(join(t.blobRoot, "cache/old.png"), twoHoursAgo, twoHoursAgo);
    expect((await sweep(t.sweepDeps)).cacheImagesDeleted).toBe(1);
    expect(await t.blobs.exists("cache/old.png")).toBe(false);
    expect(await t.blobs.exists("cache/new.png")).toBe(true);
    expect(await t.blobs.exists("images/own.png")).toBe(true);
  });
});
