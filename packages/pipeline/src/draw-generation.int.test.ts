import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { runGenerationAttempt } from "@nanobanana/generations";
import { createLogger } from "@nanobanana/logger";
import { createSketchProvider, type ImageProvider, type ImageRequest } from "@nanobanana/providers";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { createDrawer } from "./draw-generation.ts";

const logger = createLogger({ service: "test", level: "silent" });
const redis = testRedis();
afterAll(() => redis.quit());

/** A provider that runs `script` for call n (0-based) before it draws, and counts its calls. */
function scriptedProvider(
  script: Array<(request: ImageRequest) => Promise<void> | void>,
  costUsd = 0,
) {
  const sketch = createSketchProvider();
  let calls = 0;
  const provider: ImageProvider = {
    ...sketch,
    async generate(request, options) {
      const step = script[Math.min(calls, script.length - 1)];
      calls++;
      await step?.(request);
      return { ...(await sketch.generate(request, options)), costUsd };
    },
  };
  return { provider, calls: () => calls };
}

/**
 * The pipeline behind the lifecycle, without a queue: `settled` runs a generation's attempts
 * one after another (up to 3, as the generation queue allows) until it ends.
 */
function setup(
  script: Array<(request: ImageRequest) => Promise<void> | void> = [() => undefined],
  costUsd = 0,
  monthlyBudgetUsd?: number,
  options: { cacheScope?: "user" | "global"; failingUploads?: number } = {},
) {
  const store = createRedisStore(redis, uniquePrefix("pipeline"));
  const disk = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-pipeline-blobs-")));
  let failingUploads = options.failingUploads ?? 0;
  const blobs: typeof disk = {
    ...disk,
    async put(key, bytes, write) {
      if (failingUploads-- > 0) throw new Error("storage hiccup during upload");
      return disk.put(key, bytes, write);
    },
  };
  const scripted = scriptedProvider(script, costUsd);
  const deps = {
    store,
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
    notify: { store, baseUrl: "", dispatcher: { enqueueDelivery: async () => undefined }, logger },
    maxProviderCalls: 6,
  };
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
    return record.id;
  };
  const settled = async (id: string): Promise<GenerationRecord> => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const outcome = await runGenerationAttempt(deps, id, { attempt, maxAttempts: 3 });
      if (outcome.kind !== "retry") break;
    }
    const record = await store.getGeneration(id);
    if (!record) throw new Error(`generation ${id} is gone`);
    return record;
  };
  return { store, submit, settled, calls: scripted.calls };
}

describe("drawing a generation", () => {
  it("counts a provider call that succeeded even when a later stage failed, so the retry's bill is whole", async () => {
    const t = setup(undefined, 0, undefined, { failingUploads: 1 });
    const done = await t.settled(await t.submit("a kettle drawn twice"));
    // Drawn once by the attempt whose upload failed, and again by the retry: both were paid.
    expect(done).toMatchObject({ status: "completed", attempts: 2, providerCalls: 2 });
    expect(t.calls()).toBe(2);
  });

  describe("the cache", () => {
    it("serves the same prompt twice with one provider call: the second is cached, free, and the same image", async () => {
      const t = setup([() => undefined], 0.039);
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
      const t = setup([() => new Promise((resolve) => setTimeout(resolve, 300))], 0.039);
      const ids = await Promise.all(
        Array.from({ length: 20 }, () => t.submit("twenty identical lighthouses")),
      );
      const done = await Promise.all(ids.map((id) => t.settled(id)));
      expect(t.calls()).toBe(1);
      expect(done.every((r) => r.status === "completed")).toBe(true);
      expect(done.filter((r) => r.cached)).toHaveLength(19);
      expect(new Set(done.map((r) => r.image?.sha256)).size).toBe(1);
    });

    it("keys on what decides the picture: another format or prompt draws anew", async () => {
      const t = setup();
      await t.settled(await t.submit("a teal bicycle", "png"));
      await t.settled(await t.submit("a teal bicycle", "webp"));
      await t.settled(await t.submit("a teal tricycle", "png"));
      expect(t.calls()).toBe(3);
    });

    it("bypasses the cache on request, neither using nor filling it", async () => {
      const t = setup();
      await t.settled(await t.submit("a violet kite"));
      const bypass = await t.settled(await t.submit("a violet kite", "png", undefined, false));
      expect(bypass).toMatchObject({ status: "completed", cached: false, cacheKey: null });
      expect(bypass.image?.key).toBe(`images/${bypass.id}.png`);
      expect(t.calls()).toBe(2);
    });

    it("keeps each user's cache their own by default: another user's identical request draws anew", async () => {
      const t = setup();
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
      const t = setup(undefined, 0, undefined, { cacheScope: "global" });
      await t.settled(await t.submit("a shared brass compass"));
      const bob = await t.settled(
        await t.submit("a shared brass compass", "png", undefined, true, "bob"),
      );
      expect(bob.cached).toBe(true);
      expect(t.calls()).toBe(1);
    });

    it("gives identical requests the same A/B arm, so A/B variants never defeat the cache", async () => {
      const t = setup();
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
      const t = setup([
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
      const t = setup([() => undefined], 0.039, 0.05);
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
      const t = setup([() => undefined], 0.039, 10);
      await t.store.setPreferences("alice", { monthlyBudgetUsd: 0 });
      const record = await t.settled(await t.submit("budget lamp three"));
      expect(record.error?.code).toBe("BUDGET_EXCEEDED");
      expect(t.calls()).toBe(0);
    });
  });
});
