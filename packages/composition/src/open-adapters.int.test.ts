import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import { testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { openAdapters, publicBaseUrl } from "./open-adapters.ts";

const logger = createLogger({ service: "test", level: "silent" });
const configFor = (env: Record<string, string> = {}) =>
  loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("composition"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-composition-")),
    ...env,
  });

// As a running service would be before it closes: a Queue closed mid-start-up rejects on its own.
const started = (producers: Record<string, { queue: { waitUntilReady(): Promise<unknown> } }>) =>
  Promise.all(Object.values(producers).map((p) => p.queue.waitUntilReady()));

// quit() resolves on Redis's answer; the status turns "end" once the socket has closed.
const ended = (redis: Redis) =>
  waitFor(() => (redis.status === "end" ? true : undefined), { what: "connection end" });

describe("publicBaseUrl", () => {
  it("is PUBLIC_URL when set, else localhost on PORT", () => {
    expect(publicBaseUrl({ publicUrl: "https://img.example.com", port: 8080 })).toBe(
      "https://img.example.com",
    );
    expect(publicBaseUrl({ publicUrl: undefined, port: 3000 })).toBe("http://localhost:3000");
  });
});

describe("openAdapters", () => {
  it("gives the API fail-fast producers, a Store on its own connection, and the generation jobs on the Store's", async () => {
    const adapters = openAdapters(configFor({ PORT: "4100" }), logger, "api");
    expect(adapters.redis.queue.options).toMatchObject({
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    });
    expect(adapters.redis.store).not.toBe(adapters.redis.queue);
    expect(adapters.redis.store.options.maxRetriesPerRequest).toBe(3);
    expect(Object.keys(adapters.producers).sort()).toEqual(["economy", "generation", "webhooks"]);
    expect(adapters.producers.webhooks.queue.opts.connection).toBe(adapters.redis.queue);
    // Behind the records they are for, on one connection: see AcceptDeps.enqueueBehindWrite.
    expect(adapters.producers.generation.queue.opts.connection).toBe(adapters.redis.store);
    expect(adapters.enqueueBehindWrite).toBe(true);
    expect(adapters.publicBaseUrl).toBe("http://localhost:4100");
    expect(await adapters.store.ping()).toBeUndefined();
    await started(adapters.producers);
    await adapters.close();
    await ended(adapters.redis.queue);
    await ended(adapters.redis.store);
  });

  it("gives the worker connections that wait Redis out, every producer and the provider", async () => {
    const adapters = openAdapters(configFor(), logger, "worker");
    expect(adapters.redis.queue.options.maxRetriesPerRequest).toBeNull();
    expect(adapters.redis.store.options.maxRetriesPerRequest).toBeNull();
    expect(Object.keys(adapters.producers).sort()).toEqual([
      "economy",
      "generation",
      "maintenance",
      "webhooks",
    ]);
    expect(adapters.provider.name).toBe("sketch");
    await started(adapters.producers);
    await adapters.close();
    await ended(adapters.redis.queue);
    await ended(adapters.redis.store);
  });

  it("opens a script only the Store, and no Redis when its Store does not need one", async () => {
    const adapters = openAdapters(configFor(), logger, "script");
    expect(adapters).not.toHaveProperty("producers");
    expect(adapters.redis.store?.options.maxRetriesPerRequest).toBe(3);
    await adapters.close();

    const firestore = openAdapters(
      loadConfig({
        STORE: "firestore",
        FIRESTORE_PROJECT_ID: "composition-test",
        FIRESTORE_EMULATOR_HOST: "127.0.0.1:8080",
        DATA_DIR: mkdtempSync(join(tmpdir(), "nb-composition-")),
      }),
      logger,
      "script",
    );
    expect(firestore.redis.store).toBeUndefined();
    await firestore.close();
  });

  it("refuses to open the API or the worker without REDIS_URL", () => {
    const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), "nb-composition-")) });
    expect(() => openAdapters(config, logger, "api")).toThrow(ConfigError);
    expect(() => openAdapters(config, logger, "worker")).toThrow(ConfigError);
  });
});
