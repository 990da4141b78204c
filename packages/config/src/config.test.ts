import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, requireRedisUrl } from "./index.ts";

describe("loadConfig", () => {
  it("runs on embedded defaults with nothing set", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      store: "redis",
      blobStore: "fs",
      provider: "sketch",
      apiKeys: [],
      redisUrl: undefined,
      sketchDelayMs: 0,
    });
    expect(config.dataDir).toMatch(/\.data$/);
  });

  it("parses API_KEYS as key:userId[:admin]", () => {
    const config = loadConfig({ API_KEYS: "secret-key-1:alice, secret-key-2:bob:admin" });
    expect(config.apiKeys).toEqual([
      { key: "secret-key-1", userId: "alice", admin: false },
      { key: "secret-key-2", userId: "bob", admin: true },
    ]);
  });

  it.each([
    [{ PORT: "eighty" }, /PORT: .*got "eighty"/],
    [{ API_KEYS: "short:alice" }, /API_KEYS: .*at least 8/],
    [{ API_KEYS: "long-enough-key:alice:root" }, /API_KEYS: .*only be 'admin'/],
    [{ REDIS_URL: "localhost:6379" }, /REDIS_URL: must look like redis:\/\//],
    [{ STORE: "mongo" }, /STORE: /],
    [{ PROVIDER: "gemini" }, /PROVIDER: .*not built yet/],
    [{ GEMINI_API_KEY: "k" }, /PROVIDER: resolves to gemini \(GEMINI_API_KEY is set\)/],
    [{ SKETCH_DELAY_MS: "-5" }, /SKETCH_DELAY_MS/],
  ])("names the bad variable: %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("lists every problem at once", () => {
    try {
      loadConfig({ PORT: "x", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(":")[0])).toEqual([
        "PORT",
        "LOG_LEVEL",
      ]);
    }
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", REDIS_URL: "" }).port).toBe(8080);
  });

  it("explains that a lone API or worker needs REDIS_URL", () => {
    expect(() => requireRedisUrl(loadConfig({}), "worker")).toThrow(
      /REDIS_URL: required to start the worker/,
    );
    expect(requireRedisUrl(loadConfig({ REDIS_URL: "redis://h:1" }), "api")).toBe("redis://h:1");
  });
});
