import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, modelOffer, priceOf, requireRedisUrl } from "./index.ts";

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
    [{ PROVIDER: "gemini" }, /GEMINI_API_KEY: required with PROVIDER=gemini/],
    [{ PROVIDER: "gemini", GOOGLE_GENAI_USE_VERTEXAI: "1" }, /GOOGLE_CLOUD_PROJECT: required/],
    [
      { GEMINI_API_KEY: "k", GEMINI_MODEL: "gemini-9-image" },
      /MODEL_PRICES: no price for gemini-9-image/,
    ],
    [{ MODEL_PRICES: "cheap" }, /MODEL_PRICES: must be JSON/],
    [{ GEMINI_BASE_URL: "not a url" }, /GEMINI_BASE_URL: must be a URL/],
    [{ SKETCH_DELAY_MS: "-5" }, /SKETCH_DELAY_MS: must be a whole number from 0 to 600000/],
    [
      { RATE_LIMIT: "100000000" },
      /RATE_LIMIT: must be a whole number from 1 to 1000000 \(got "100000000"\)/,
    ],
    [{ WORKER_CONCURRENCY: "2.5" }, /WORKER_CONCURRENCY: must be a whole number from 1 to 1000/],
    [{ CACHE_TTL_DAYS: "0" }, /CACHE_TTL_DAYS: must be a number from 0.001 to 365/],
    [{ TRUST_PROXY: "everyone" }, /TRUST_PROXY: must be false, true, a hop count/],
    [{ WEBHOOK_PORTS: "443,99999" }, /WEBHOOK_PORTS: must be ports from 1 to 65535/],
    [{ CACHE_SCOPE: "team" }, /CACHE_SCOPE: must be user or global/],
    [{ CLASSIFIER_SECOND_OPINION: "on" }, /CLASSIFIER_SECOND_OPINION: must be off or gemini/],
    [
      { CLASSIFIER_SECOND_OPINION: "gemini" },
      /GEMINI_API_KEY: required with CLASSIFIER_SECOND_OPINION=gemini \(or use Vertex AI/,
    ],
    [
      { CLASSIFIER_SECOND_OPINION: "gemini", GOOGLE_GENAI_USE_VERTEXAI: "true" },
      /GOOGLE_CLOUD_PROJECT: required with GOOGLE_GENAI_USE_VERTEXAI=true/,
    ],
    [
      { CLASSIFIER_SECOND_OPINION_BELOW: "60" },
      /CLASSIFIER_SECOND_OPINION_BELOW: must be a number from 0 to 1/,
    ],
    [
      {
        GEMINI_API_KEY: "k",
        CLASSIFIER_SECOND_OPINION: "gemini",
        CLASSIFIER_SECOND_OPINION_MODEL: "gemini-9-lite",
      },
      /CLASSIFIER_SECOND_OPINION_PRICE: no price for gemini-9-lite/,
    ],
    [
      {
        GEMINI_API_KEY: "k",
        CLASSIFIER_SECOND_OPINION: "gemini",
        CLASSIFIER_SECOND_OPINION_MODEL: "gemini-3.1-flash-image",
      },
      /CLASSIFIER_SECOND_OPINION_MODEL: gemini-3.1-flash-image is an image model/,
    ],
    [
      { CLASSIFIER_SECOND_OPINION_PRICE: "cheap" },
      /CLASSIFIER_SECOND_OPINION_PRICE: must be the USD per 1M input and output tokens/,
    ],
  ])("names the bad variable: %o", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("keeps the second opinion off by default, even with Gemini credentials", () => {
    expect(loadConfig({}).secondOpinion).toBeNull();
    expect(loadConfig({ GEMINI_API_KEY: "k" }).secondOpinion).toBeNull();
  });

  it("asks the cheapest current text model for a second opinion when told, with its price", () => {
    const config = loadConfig({
      GEMINI_API_KEY: "k",
      GEMINI_BASE_URL: "http://127.0.0.1:8090",
      CLASSIFIER_SECOND_OPINION: "gemini",
    });
    expect(config.secondOpinion).toEqual({
      model: "gemini-3.1-flash-lite",
      below: 0.6,
      timeoutMs: 5_000,
      price: { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 },
      apiKey: "k",
      vertex: undefined,
      baseUrl: "http://127.0.0.1:8090",
    });
  });

  it("takes another text model at the price it is given, and Vertex AI's credentials", () => {
    const config = loadConfig({
      PROVIDER: "sketch",
      GOOGLE_GENAI_USE_VERTEXAI: "1",
      GOOGLE_CLOUD_PROJECT: "proj",
      CLASSIFIER_SECOND_OPINION: "gemini",
      CLASSIFIER_SECOND_OPINION_MODEL: "gemini-9-lite",
      CLASSIFIER_SECOND_OPINION_PRICE: "0.2, 1",
      CLASSIFIER_SECOND_OPINION_BELOW: "0.45",
    });
    // Images stay on the sketch renderer; only the labels go to Gemini.
    expect(config.provider).toBe("sketch");
    expect(config.secondOpinion).toMatchObject({
      model: "gemini-9-lite",
      below: 0.45,
      price: { inputUsdPerMillion: 0.2, outputUsdPerMillion: 1 },
      apiKey: undefined,
      vertex: { project: "proj", location: "global" },
    });
  });

  it("trusts no proxy unless told, and reads the forms Express takes", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toEqual([
      "loopback",
      "10.0.0.0/8",
    ]);
  });

  it("has safe defaults for retention, cache scope and the retry budget", () => {
    expect(loadConfig({})).toMatchObject({
      cacheScope: "user",
      retentionSeconds: 90 * 86_400,
      maxProviderCalls: 6,
      idempotencyPendingSeconds: 60,
      webhooks: { extraPorts: [], secretOverlapSeconds: 86_400 },
      heapGrowthPercent: 50,
    });
    expect(loadConfig({ HEAP_GROWTH_PERCENT: "0" }).heapGrowthPercent).toBe(0);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: "-5" })).toThrow(/HEAP_GROWTH_PERCENT/);
  });

  it("holds no jobs beyond its drawing slots unless told to", () => {
    expect(loadConfig({})).toMatchObject({ workerConcurrency: 8, workerPrefetch: 0 });
    expect(loadConfig({ WORKER_PREFETCH: "200" }).workerPrefetch).toBe(200);
    expect(() => loadConfig({ WORKER_PREFETCH: "-1" })).toThrow(/WORKER_PREFETCH/);
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

  it("picks Gemini when a key is set: today's models, priced by size, overridable", () => {
    const config = loadConfig({
      GEMINI_API_KEY: "k",
      MODEL_PRICES: '{"gemini-3.1-flash-image":{"4K":0.2},"gemini-3.1-flash-lite-image":0.03}',
    });
    expect(config.provider).toBe("gemini");
    expect(config.gemini).toMatchObject({
      apiKey: "k",
      model: "gemini-3.1-flash-image",
      premiumModel: "gemini-3-pro-image",
      modelCheck: "fail",
      fallback: true,
      vertex: undefined,
    });
    expect(priceOf(config.prices, "gemini-3.1-flash-image", "2K")).toBe(0.101);
    expect(priceOf(config.prices, "gemini-3.1-flash-image", "4K")).toBe(0.2);
    expect(priceOf(config.prices, "gemini-3.1-flash-image", "4K", "batch")).toBe(0.1);
    expect(priceOf(config.prices, "gemini-3-pro-image", "4K")).toBe(0.24);
    expect(priceOf(config.prices, "gemini-3.1-flash-lite-image", "1K")).toBe(0.03);
    // Lite draws 1K only: no price, so no route sends it a 2K image.
    expect(priceOf(config.prices, "gemini-3.1-flash-lite-image", "2K")).toBe(0);
    expect(config.models).toEqual([
      "gemini-3.1-flash-image",
      "gemini-3-pro-image",
      "gemini-3.1-flash-lite-image",
    ]);
    expect(config.modelRoutes).toEqual([
      { domain: "diagrams", model: "gemini-3-pro-image" },
      { quality: "premium", model: "gemini-3-pro-image" },
      { quality: "draft", model: "gemini-3.1-flash-lite-image" },
    ]);
  });

  it("refuses a model Google has shut down, naming its replacement and the setting", () => {
    try {
      loadConfig({
        GEMINI_API_KEY: "k",
        GEMINI_MODEL: "gemini-2.5-flash-image",
        MODEL_ROUTES: '[{"domain":"art","model":"gemini-3-pro-image-preview"}]',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "GEMINI_MODEL: gemini-2.5-flash-image was shut down on 2026-10-02; use gemini-3.1-flash-image",
        "MODEL_ROUTES: gemini-3-pro-image-preview was shut down on 2026-06-25; use gemini-3-pro-image",
      ]);
    }
  });

  it("explains a routing table it cannot read", () => {
    expect(() => loadConfig({ GEMINI_API_KEY: "k", MODEL_ROUTES: '[{"domain":"food"}]' })).toThrow(
      /MODEL_ROUTES: must be a JSON array of rules/,
    );
  });

  it("supports Vertex AI by the SDK's own variables", () => {
    const config = loadConfig({
      GOOGLE_GENAI_USE_VERTEXAI: "true",
      GOOGLE_CLOUD_PROJECT: "acme",
      GOOGLE_CLOUD_LOCATION: "us-central1",
    });
    expect(config.provider).toBe("gemini");
    expect(config.gemini?.vertex).toEqual({ project: "acme", location: "us-central1" });
  });

  it("opens Firestore by project id, with the emulator when FIRESTORE_EMULATOR_HOST is set", () => {
    expect(() => loadConfig({ STORE: "firestore" })).toThrow(
      /FIRESTORE_PROJECT_ID: required with STORE=firestore/,
    );
    expect(
      loadConfig({
        STORE: "firestore",
        FIRESTORE_PROJECT_ID: "acme",
        FIRESTORE_EMULATOR_HOST: "127.0.0.1:8081",
      }).firestore,
    ).toEqual({
      projectId: "acme",
      emulatorHost: "127.0.0.1:8081",
    });
    expect(
      loadConfig({ STORE: "firestore", GOOGLE_CLOUD_PROJECT: "acme" }).firestore?.projectId,
    ).toBe("acme");
    expect(() => loadConfig({ FIRESTORE_EMULATOR_HOST: "http://x" })).toThrow(
      /FIRESTORE_EMULATOR_HOST: must be host:port/,
    );
  });

  it("stores images in a GCS bucket, through an emulator when STORAGE_EMULATOR_HOST is set", () => {
    expect(() => loadConfig({ BLOB_STORE: "gcs" })).toThrow(
      /GCS_BUCKET: required with BLOB_STORE=gcs/,
    );
    expect(() => loadConfig({ BLOB_STORE: "gcs", GCS_BUCKET: "Bad_Bucket!" })).toThrow(
      /GCS_BUCKET: must be a bucket name/,
    );
    expect(
      loadConfig({
        BLOB_STORE: "gcs",
        GCS_BUCKET: "my-images",
        STORAGE_EMULATOR_HOST: "http://127.0.0.1:4443",
      }).gcs,
    ).toEqual({
      bucket: "my-images",
      emulatorHost: "127.0.0.1:4443",
      projectId: undefined,
      signedUrlTtlSeconds: 900,
    });
  });

  it("stays on sketch without credentials", () => {
    expect(loadConfig({}).provider).toBe("sketch");
    expect(loadConfig({}).models).toEqual(["sketch-v1"]);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ PORT: "", REDIS_URL: "" }).port).toBe(8080);
  });

  it("checks how variables combine only once each variable is valid", () => {
    try {
      loadConfig({ PORT: "x", STORE: "firestore", BLOB_STORE: "gcs" });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems.map((p) => p.split(":")[0])).toEqual(["PORT"]);
    }
  });

  it("lists every problem of combination at once, without quoting the variable it names", () => {
    try {
      loadConfig({
        STORE: "firestore",
        BLOB_STORE: "gcs",
        GEMINI_API_KEY: "k",
        MODEL_ROUTES: '[{"quality":"premium","model":"gemini-9-image"}]',
        MODEL_PRICES: '{"sketch-v1":0}',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "GCS_BUCKET: required with BLOB_STORE=gcs",
        "FIRESTORE_PROJECT_ID: required with STORE=firestore (or set GOOGLE_CLOUD_PROJECT)",
        "MODEL_PRICES: no price for gemini-9-image; add it so every image's cost is known",
      ]);
    }
  });

  it("derives seconds from days and hours, and drops PUBLIC_URL's trailing slash", () => {
    expect(
      loadConfig({
        PUBLIC_URL: "https://images.example.com/",
        CACHE_TTL_DAYS: "0.5",
        IDEMPOTENCY_TTL_HOURS: "2",
        RECORD_RETENTION_DAYS: "30",
        WEBHOOK_SECRET_OVERLAP_HOURS: "1.5",
        WEBHOOK_RETRY_SCHEDULE: "500ms,2s,1m",
      }),
    ).toMatchObject({
      publicUrl: "https://images.example.com",
      cacheTtlSeconds: 43_200,
      idempotencyTtlSeconds: 7_200,
      retentionSeconds: 30 * 86_400,
      webhooks: { secretOverlapSeconds: 5_400, retrySchedule: [500, 2_000, 60_000] },
    });
  });

  it("uses Vertex AI instead of an API key when both are given, and sketches when told to", () => {
    const vertex = loadConfig({
      GEMINI_API_KEY: "k",
      GOOGLE_GENAI_USE_VERTEXAI: "1",
      GOOGLE_CLOUD_PROJECT: "acme",
    }).gemini;
    expect(vertex).toMatchObject({
      apiKey: undefined,
      vertex: { project: "acme", location: "global" },
    });
    const sketch = loadConfig({ PROVIDER: "sketch", GEMINI_API_KEY: "k" });
    expect(sketch).toMatchObject({ provider: "sketch", gemini: null, models: ["sketch-v1"] });
  });

  it("explains that a lone API or worker needs REDIS_URL", () => {
    expect(() => requireRedisUrl(loadConfig({}), "worker")).toThrow(
      /REDIS_URL: required to start the worker/,
    );
    expect(requireRedisUrl(loadConfig({ REDIS_URL: "redis://h:1" }), "api")).toBe("redis://h:1");
  });
});

describe("PROVIDER naming several makers", () => {
  const keys = { GEMINI_API_KEY: "g", OPENAI_API_KEY: "o", STABILITY_API_KEY: "s" };

  it("keeps their order, and offers every maker's models with their makers", () => {
    const config = loadConfig({ ...keys, PROVIDER: "openai, gemini,stability" });
    expect(config.makers).toEqual(["openai", "gemini", "stability"]);
    expect(config.provider).toBe("openai");
    const offer = modelOffer(config);
    expect(offer.defaultModel).toBe("gpt-image-2");
    const makerOf = Object.fromEntries(offer.models.map((m) => [m.id, m.provider]));
    expect(makerOf).toMatchObject({
      "gpt-image-2": "openai",
      "gemini-3.1-flash-image": "gemini",
      "stable-image-core": "stability",
    });
    expect(offer.models.some((m) => m.id === "sketch-v1")).toBe(false);
  });

  it("says what is wrong with a list, a missing key or another maker's model", () => {
    expect(() => loadConfig({ ...keys, PROVIDER: "gemini,dalle" })).toThrow(
      'PROVIDER: must be auto, sketch, or makers in order of preference from gemini, openai, stability, each once, such as "gemini,openai": "dalle" is not a maker',
    );
    expect(() => loadConfig({ ...keys, PROVIDER: "gemini,gemini" })).toThrow(
      "gemini is named twice",
    );
    expect(() => loadConfig({ GEMINI_API_KEY: "g", PROVIDER: "gemini,openai" })).toThrow(
      "OPENAI_API_KEY: required with PROVIDER naming openai",
    );
    expect(() =>
      loadConfig({ ...keys, PROVIDER: "stability", STABILITY_MODEL: "gpt-image-2" }),
    ).toThrow('STABILITY_MODEL: "gpt-image-2" is not a stability model; use one of');
  });

  it("routes only by MODEL_ROUTES without Gemini, whose models the built-in routes name", () => {
    expect(loadConfig({ ...keys, PROVIDER: "openai,stability" }).modelRoutes).toEqual([]);
    expect(loadConfig({ ...keys, PROVIDER: "gemini,openai" }).modelRoutes.length).toBeGreaterThan(
      0,
    );
  });
});
