import { type GenerationRecord, newId } from "@nanobanana/domain";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { makeBatch, makeRecord } from "./contracts/fixtures.ts";
import { describeStoreContract } from "./contracts/store.contract.ts";
import { createRedisStore } from "./redis-store.ts";

const redis = testRedis();
afterAll(() => redis.quit());

describeStoreContract("redis", () => createRedisStore(redis, uniquePrefix("store")));

describe("redis accept", () => {
  it("has sent its write when it returns: the next command on the connection sees the records", async () => {
    // The API's enqueue goes right behind the write on this connection (enqueueBehindWrite),
    // without waiting for its answer; that is only safe if accept() sends before it yields.
    const prefix = uniquePrefix("in-order");
    const store = createRedisStore(redis, prefix);
    const records = Array.from({ length: 50 }, () => makeRecord("olga"));
    const writing = store.accept(...records.map((record) => ({ records: [record] })));
    const seen = redis.exists(...records.map((r) => `${prefix}:gen:${r.id}`));
    await writing;
    expect(await seen).toBe(50);
  });
});

describe("redis accept, sent again", () => {
  it("leaves a record and a batch that moved on as they are (ioredis resends a write whose answer was lost)", async () => {
    const store = createRedisStore(redis, uniquePrefix("resent"));
    const { batch, items } = makeBatch("rosa", 1);
    const record = items[0] as GenerationRecord;
    const batchId = batch.id;
    const acceptance = { records: items, batch };
    await store.accept(acceptance);
    // The job went behind the write; a worker took it and finished it.
    const completedAt = new Date().toISOString();
    await store.updateGeneration(record.id, { status: "processing", attempts: 1 });
    await store.finishGenerations(
      [{ id: record.id, patch: { status: "completed", completedAt } }],
      {
        onlyIfStatusIn: ["processing"],
      },
    );
    expect((await store.getBatch(batchId))?.completedAt).not.toBeNull();

    await store.accept(acceptance);
    expect(await store.getGeneration(record.id)).toMatchObject({
      status: "completed",
      attempts: 1,
      completedAt,
    });
    expect((await store.getBatch(batchId))?.completedAt).not.toBeNull();
  });
});

describe("redis retention", () => {
  it("expires records, batches and deliveries after RECORD_RETENTION_DAYS and trims history", async () => {
    const prefix = uniquePrefix("retention");
    const store = createRedisStore(redis, prefix, { retentionSeconds: 3_600 });
    const old = makeRecord("rita", Date.now() - 2 * 3_600_000);
    const fresh = makeRecord("rita");
    const batchId = newId("bat");
    await store.accept({
      records: [old, { ...fresh, batchId }],
      batch: {
        id: batchId,
        userId: "rita",
        total: 1,
        ids: [fresh.id],
        webhook: null,
        createdAt: new Date().toISOString(),
        completedAt: null,
      },
    });
    for (const key of [`${prefix}:gen:${fresh.id}`, `${prefix}:batch:${batchId}`]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(3_500);
      expect(ttl).toBeLessThanOrEqual(3_600);
    }
    // The history index keeps no ids older than the retention, so it cannot grow forever.
    expect(await redis.zrange(`${prefix}:user:rita:gens`, 0, -1)).toEqual([fresh.id]);
    const now = new Date().toISOString();
    await store.createDelivery({
      id: "msg_00000000000000000000000000",
      userId: "rita",
      event: "generation.completed",
      subjectId: fresh.id,
      url: "https://example.com/hook",
      body: "{}",
      status: "pending",
      attempts: [],
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      deliveredAt: null,
    });
    expect(await redis.ttl(`${prefix}:delivery:msg_00000000000000000000000000`)).toBeGreaterThan(
      3_500,
    );
    expect(await redis.ttl(`${prefix}:subject:${fresh.id}:deliveries`)).toBeGreaterThan(3_500);
  });
});
