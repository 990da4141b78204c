import { newGenerationRecord, newId } from "@nanobanana/domain";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore, moveKeys } from "@nanobanana/store";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { describe, expect, it } from "vitest";

describe("moveKeys", () => {
  it("moves an earlier release's keys (nb:…) under the hash tag ({nb}:…) with nothing accepted lost", async () => {
    const redis = testRedis();
    const name = uniquePrefix("moved");
    const tagged = `{${name}}`;
    // What a release before the hash tag left: a record accepted and its job waiting.
    const record = newGenerationRecord({
      id: newId("gen"),
      userId: "mo",
      request: {
        prompt: "a teapot left in the queue",
        quality: "standard",
        aspectRatio: "1:1",
        format: "png",
      },
    });
    await createRedisStore(redis, name).accept({ records: [record] });
    const before = createProducer(generationQueue, redis, name);
    await before.enqueue(
      "generate",
      { generationId: record.id, userId: "mo" },
      { jobId: record.id },
    );
    await before.close();

    expect(await moveKeys(redis, name, tagged)).toMatchObject({ skipped: 0 });
    expect(await redis.keys(`${name}:*`)).toEqual([]);

    // This release, on the tagged prefix, finds both: the record and the job still waiting.
    expect(await createRedisStore(redis, tagged).getGeneration(record.id)).toEqual(record);
    const after = createProducer(generationQueue, redis, tagged);
    expect(await after.positionOf(record.id)).toMatchObject({ position: 0 });
    expect((await after.queue.getJob(record.id))?.data).toEqual({
      generationId: record.id,
      userId: "mo",
    });
    await after.close();
    await redis.quit();
  });
});
