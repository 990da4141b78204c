import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Env, loadConfig, redisKeyPrefix } from "@nanobanana/config";
import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type RunningWorker, startWorker } from "./worker.ts";

/**
 * WORKER_CONCURRENCY drawing slots and WORKER_PREFETCH jobs beyond them, in the real worker
 * wired from config: one slot, a sketch model that takes 2 s, two generations at once.
 */
const logger = createLogger({ service: "test", level: "silent" });
const redis = testRedis();
const MODEL_MS = 2_000;
const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});
afterAll(async () => {
  await redis.quit();
});

async function twoAtOnce(env: Partial<Env>) {
  const name = uniquePrefix("slots");
  const prefix = redisKeyPrefix(name);
  const store = createRedisStore(redis, prefix);
  const producer = createProducer(generationQueue, redis, prefix);
  const worker: RunningWorker = await startWorker(
    loadConfig({
      REDIS_URL: testRedisUrl(),
      KEY_PREFIX: name,
      DATA_DIR: mkdtempSync(join(tmpdir(), "nb-slots-")),
      SKETCH_DELAY_MS: String(MODEL_MS),
      WORKER_CONCURRENCY: "1",
      ...env,
    }),
    logger,
  );
  running.push(async () => {
    await worker.close();
    await producer.close();
  });
  const records = ["a lamp", "a chair"].map((prompt) =>
    newGenerationRecord({
      id: newId("gen"),
      userId: "alice",
      request: { prompt, quality: "standard", aspectRatio: "1:1", imageSize: "1K", format: "png" },
    }),
  ) as [GenerationRecord, GenerationRecord];
  await store.accept({ records });
  await producer.enqueueBulk(
    "generate",
    records.map((r) => ({ payload: { generationId: r.id, userId: "alice" }, jobId: r.id })),
  );
  const read = async (r: GenerationRecord) => (await store.getGeneration(r.id)) as GenerationRecord;
  const completed = (r: GenerationRecord) =>
    waitFor(async () => ((await read(r)).status === "completed" ? read(r) : undefined), {
      timeoutMs: 20_000,
      what: `${r.prompt} to complete`,
    });
  return { records, read, completed };
}

describe("drawing slots", () => {
  it("makes the next job ready while the model draws, then draws it in the slot the first one frees", async () => {
    const { records, completed } = await twoAtOnce({ WORKER_PREFETCH: "1" });
    const [first, second] = (await Promise.all(records.map(completed))).sort(
      (a, b) => Date.parse(a.completedAt ?? "") - Date.parse(b.completedAt ?? ""),
    ) as [GenerationRecord, GenerationRecord];
    // Picked up and made ready while the first one drew, not after it.
    expect(second.timings.queuedMs).toBeLessThan(MODEL_MS);
    // One slot: the second drawing began only when the first had ended, and its generate stage
    // counts the wait.
    expect(
      Date.parse(second.completedAt ?? "") - Date.parse(first.completedAt ?? ""),
    ).toBeGreaterThanOrEqual(MODEL_MS - 400);
    expect(second.timings.generateMs).toBeGreaterThanOrEqual(2 * MODEL_MS - 600);
  });

  it("with WORKER_PREFETCH=0 leaves the second job queued until the first is done", async () => {
    const { records, read, completed } = await twoAtOnce({ WORKER_PREFETCH: "0" });
    const drawing = await waitFor(
      async () => {
        const states = await Promise.all(records.map(read));
        return states.find((r) => r.stage === "generate");
      },
      { timeoutMs: MODEL_MS, what: "one to reach the model" },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const other = records.find((r) => r.id !== drawing.id) as GenerationRecord;
    expect((await read(drawing)).status).toBe("processing");
    expect((await read(other)).status).toBe("queued");
    await Promise.all(records.map(completed));
  });
});
