import { createHash } from "node:crypto";
import { newGenerationRecord, newId } from "@nanobanana/domain";
import { connectRedis, createProducer, generationQueue } from "@nanobanana/queue";
import { createRedisStore } from "@nanobanana/store";
import { freePort, uniquePrefix, waitFor } from "@nanobanana/testing";
import sharp from "sharp";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import { rateLimitPerKey } from "./rate-limit.ts";
import { apiUnderTest, appLoggingLines } from "./test-stack.ts";

const ALICE = "alice-key-123";
const BOB = "bob-key-12345";
const ADMIN = "admin-key-123";
const apiKeys = [
  { key: ALICE, userId: "alice", admin: false },
  { key: BOB, userId: "bob", admin: false },
  { key: ADMIN, userId: "ops", admin: true },
];
const stack = apiUnderTest({ label: "api", apiKeys, withWorker: true });
const { app, deps, logger, prefix, store, storeRedis, blobs, producer } = stack;
const worker = stack.worker as NonNullable<typeof stack.worker>;
const as = (key: string) => ({ Authorization: `Bearer ${key}` });
/** A generation written straight to the store, queued and never picked up. */
const queuedRecordOf = async (userId: string) => {
  const record = newGenerationRecord({
    id: newId("gen"),
    userId,
    request: { prompt: "later", quality: "draft", aspectRatio: "1:1", format: "png" },
  });
  await store.accept({ records: [record] });
  return record;
};

beforeAll(() => stack.ready());
afterAll(() => stack.close());

async function generate(key = ALICE, body: object = { prompt: "wireless headphones on a desk" }) {
  const res = await request(app).post("/generate").set(as(key)).send(body).expect(202);
  return res.body as { id: string; status: string; statusUrl: string };
}

async function settled(id: string, key = ALICE) {
  return waitFor(async () => {
    const res = await request(app).get(`/generation/${id}/status`).set(as(key));
    return res.body.status === "completed" || res.body.status === "failed" ? res.body : undefined;
  });
}

function expectError(res: request.Response, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers["content-type"]).toMatch(/application\/json/);
  expect(res.body.error.code).toBe(code);
  expect(typeof res.body.error.message).toBe("string");
  if (message) expect(res.body.error.message).toMatch(message);
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
}

describe("GET /health", () => {
  it("answers without a key and reports its checks", async () => {
    const res = await request(app).get("/health").expect(200);
    expect(res.body).toEqual({ status: "ok", checks: { redis: "ok", store: "ok" } });
  });
});

describe("generate → status → image", () => {
  it("accepts with 202, completes, and serves a PNG of at least 1024 px", async () => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "wireless headphones on a desk", metadata: { sku: "HP-1" } })
      .expect(202);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^gen_/),
      status: "queued",
      statusUrl: expect.stringContaining(`/generation/${res.body.id}/status`),
    });
    expect(res.headers.location).toBe(res.body.statusUrl);

    const record = await settled(res.body.id);
    expect(record).toMatchObject({
      id: res.body.id,
      userId: "alice",
      status: "completed",
      prompt: "wireless headphones on a desk",
      quality: "standard",
      metadata: { sku: "HP-1" },
      cost: { usd: 0 },
      image: { mimeType: "image/png", width: 1024, height: 1024 },
    });
    expect(record.image.key).toBeUndefined();
    expect(Object.keys(record).slice(0, 4)).toEqual(["id", "userId", "batchId", "status"]);

    const imagePath = new URL(record.image.url).pathname;
    const image = await request(app)
      .get(imagePath)
      .set(as(ALICE))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.on("end", () => cb(null, Buffer.concat(chunks)));
      });
    expect(image.status).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
    const meta = await sharp(image.body as Buffer).metadata();
    expect(meta.format).toBe("png");
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeGreaterThanOrEqual(1024);
    expect(image.body.length).toBe(record.image.bytes);

    await request(app)
      .get(imagePath)
      .set(as(ALICE))
      .set("If-None-Match", String(image.headers.etag))
      .expect(304);
  });

  it("redirects to a signed URL when the BlobStore can sign one (GCS), instead of streaming", async () => {
    const { id } = await generate(ALICE, { prompt: "signed url probe kettle" });
    await settled(id);
    const signing = createApp({
      ...deps,
      blobs: {
        ...blobs,
        signedUrl: async (key) => `https://storage.example/${key}?X-Goog-Signature=abc`,
      },
    });
    const res = await request(signing).get(`/generation/${id}/image`).set(as(ALICE)).expect(302);
    expect(res.headers.location).toMatch(
      /^https:\/\/storage\.example\/cache\/[0-9a-f]{64}\.png\?X-Goog-Signature=abc$/,
    );
    expect(res.headers["cache-control"]).toBe("private, no-store");
  });

  it("honours format and aspect ratio", async () => {
    const { id } = await generate(ALICE, {
      prompt: "sunset over the fjord",
      format: "jpeg",
      aspectRatio: "16:9",
    });
    const record = await settled(id);
    expect(record.image).toMatchObject({ mimeType: "image/jpeg", width: 1024, height: 576 });
    expect(record.classification.subcategory).toBe("landscape");
  });
});

describe("bad input gets a JSON error with the right status", () => {
  const longPrompt = "x".repeat(2001);
  it.each([
    ["no key", "post", "/generate", undefined, {}, 401, "UNAUTHORIZED", /Bearer/],
    ["unknown key", "post", "/generate", "nope-nope-nope", {}, 401, "UNAUTHORIZED", /not known/],
    ["no body", "post", "/generate", ALICE, undefined, 400, "INVALID_REQUEST", /JSON body/],
    [
      "empty prompt",
      "post",
      "/generate",
      ALICE,
      { prompt: "   " },
      400,
      "INVALID_REQUEST",
      /^prompt must not be empty$/,
    ],
    [
      "prompt not a string",
      "post",
      "/generate",
      ALICE,
      { prompt: 42 },
      400,
      "INVALID_REQUEST",
      /prompt/,
    ],
    [
      "prompt too long",
      "post",
      "/generate",
      ALICE,
      { prompt: longPrompt },
      400,
      "INVALID_REQUEST",
      /at most 2000/,
    ],
    [
      "bad quality",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", quality: "ultra" },
      400,
      "INVALID_REQUEST",
      /quality must be one of draft, standard, premium/,
    ],
    [
      "bad aspect ratio",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", aspectRatio: "2:1" },
      400,
      "INVALID_REQUEST",
      /aspectRatio/,
    ],
    [
      "bad format",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", format: "gif" },
      400,
      "INVALID_REQUEST",
      /format must be one of png, webp, jpeg/,
    ],
    [
      "unknown model",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", model: "dall-e-3" },
      400,
      "INVALID_REQUEST",
      /not available; choose one of sketch-v1/,
    ],
    [
      "unknown field",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", colour: "red" },
      400,
      "INVALID_REQUEST",
      /unknown field "colour"/,
    ],
    [
      "array body",
      "post",
      "/generate",
      ALICE,
      [{ prompt: "a" }],
      400,
      "INVALID_REQUEST",
      undefined,
    ],
    [
      "metadata too big",
      "post",
      "/generate",
      ALICE,
      { prompt: "a", metadata: { a: "x".repeat(600) } },
      400,
      "INVALID_REQUEST",
      /metadata/,
    ],
    ["classify without prompt", "post", "/classify", ALICE, {}, 400, "INVALID_REQUEST", /prompt/],
    [
      "enhance with bad quality",
      "post",
      "/enhance",
      ALICE,
      { prompt: "a", quality: 3 },
      400,
      "INVALID_REQUEST",
      /quality/,
    ],
    [
      "malformed id",
      "get",
      "/generation/../../etc/status",
      ALICE,
      undefined,
      404,
      "NOT_FOUND",
      undefined,
    ],
    [
      "not an id",
      "get",
      "/generation/123/status",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /not a generation id/,
    ],
    [
      "unknown id",
      "get",
      `/generation/${newId("gen")}/status`,
      ALICE,
      undefined,
      404,
      "NOT_FOUND",
      /no generation/,
    ],
    [
      "image of unknown id",
      "get",
      `/generation/${newId("gen")}/image`,
      ALICE,
      undefined,
      404,
      "NOT_FOUND",
      undefined,
    ],
    [
      "history limit 0",
      "get",
      "/user/me/history?limit=0",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /limit/,
    ],
    [
      "history bad cursor",
      "get",
      "/user/me/history?cursor=abc",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /cursor/,
    ],
    [
      "history unknown param",
      "get",
      "/user/me/history?page=2",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /unknown field "page"/,
    ],
    [
      "someone else's history",
      "get",
      "/user/bob/history",
      ALICE,
      undefined,
      403,
      "FORBIDDEN",
      /your own/,
    ],
    [
      "a user id that is a path",
      "get",
      "/user/a%2Fb/history",
      ADMIN,
      undefined,
      400,
      "INVALID_REQUEST",
      /not a user id/,
    ],
    [
      "a template id that is a path",
      "delete",
      "/user/me/templates/x%2F..%2Fy",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /not a template id/,
    ],
    [
      "a batch id of the wrong shape",
      "get",
      "/batch/bat_x/status",
      ALICE,
      undefined,
      400,
      "INVALID_REQUEST",
      /not a batch id/,
    ],
    ["unknown route", "get", "/nope", ALICE, undefined, 404, "NOT_FOUND", /no route GET \/nope/],
    ["wrong method", "delete", "/generate", ALICE, undefined, 404, "NOT_FOUND", /no route DELETE/],
  ] as const)("%s", async (_name, method, path, key, body, status, code, message) => {
    let req = request(app)[method](path);
    if (key) req = req.set(as(key));
    if (body !== undefined) req = req.send(body as object);
    expectError(await req, status, code, message);
  });

  it("refuses a body that is not JSON", async () => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .set("Content-Type", "application/json")
      .send('{"prompt": "a",');
    expectError(res, 400, "INVALID_REQUEST", /not valid JSON/);
  });

  it("refuses a body sent as form data", async () => {
    const res = await request(app).post("/generate").set(as(ALICE)).type("form").send("prompt=a");
    expectError(res, 400, "INVALID_REQUEST", /Content-Type: application\/json/);
  });

  it("refuses a body over the size limit with 413", async () => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "a", pad: "x".repeat(300_000) });
    expectError(res, 413, "PAYLOAD_TOO_LARGE", /larger than/);
  });
});

describe("ownership", () => {
  it("hides one user's generation from another, shows it to an admin", async () => {
    const { id } = await generate(ALICE);
    expectError(await request(app).get(`/generation/${id}/status`).set(as(BOB)), 404, "NOT_FOUND");
    expectError(await request(app).get(`/generation/${id}/image`).set(as(BOB)), 404, "NOT_FOUND");
    await request(app).get(`/generation/${id}/status`).set(as(ADMIN)).expect(200);
  });

  it("answers 409 for the image of a generation that is not finished", async () => {
    const record = await queuedRecordOf("alice");
    expectError(
      await request(app).get(`/generation/${record.id}/image`).set(as(ALICE)),
      409,
      "CONFLICT",
      /is queued; poll its status/,
    );
  });
});

describe("history", () => {
  it("lists the caller's generations newest first with a cursor", async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await generate(BOB, { prompt: `bob's prompt ${i}` })).id);
    const first = await request(app).get("/user/me/history?limit=2").set(as(BOB)).expect(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items.every((r: { userId: string }) => r.userId === "bob")).toBe(true);
    const second = await request(app)
      .get(`/user/bob/history?limit=2&cursor=${first.body.nextCursor}`)
      .set(as(BOB))
      .expect(200);
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    const admin = await request(app).get("/user/bob/history").set(as(ADMIN)).expect(200);
    expect(admin.body.items).toHaveLength(3);
  });
});

describe("cost", () => {
  it("totals today, this ISO week and this month, by model, with cache savings", async () => {
    await settled((await generate(BOB, { prompt: "cost check lamp" })).id, BOB);
    await settled((await generate(BOB, { prompt: "cost check lamp" })).id, BOB);
    const res = await request(app).get("/user/me/cost").set(as(BOB)).expect(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(res.body).toMatchObject({
      userId: "bob",
      currency: "USD",
      day: { period: today, usd: 0 },
      cache: { hits: 1, savedUsd: 0 },
    });
    expect(res.body.week.period).toMatch(/^\d{4}-W\d{2}$/);
    expect(res.body.month.images).toBeGreaterThanOrEqual(2);
    expect(res.body.byModel).toEqual([
      { model: "sketch-v1", usd: 0, images: res.body.month.images },
    ]);
    const past = await request(app).get("/user/bob/cost?date=2020-01-15").set(as(BOB)).expect(200);
    expect(past.body.month).toMatchObject({ period: "2020-01", images: 0 });
    expectError(
      await request(app).get("/user/bob/cost?date=2020-13-45").set(as(BOB)),
      400,
      "INVALID_REQUEST",
      /date must be a real day/,
    );
    expectError(await request(app).get("/user/alice/cost").set(as(BOB)), 403, "FORBIDDEN");
  });
});

describe("preferences and custom templates", () => {
  const CARL = "carl-key-12345";

  it("fills what a request leaves out from the user's preferences", async () => {
    const carlApp = createApp({
      ...deps,
      apiKeys: [...apiKeys, { key: CARL, userId: "carl", admin: false }],
    });
    expect(
      (await request(carlApp).get("/user/me/preferences").set(as(CARL)).expect(200)).body,
    ).toEqual({});
    const prefs = { quality: "premium", format: "webp", aspectRatio: "16:9" };
    expect(
      (await request(carlApp).put("/user/me/preferences").set(as(CARL)).send(prefs).expect(200))
        .body,
    ).toEqual(prefs);
    const preferred = await request(carlApp)
      .post("/generate")
      .set(as(CARL))
      .send({ prompt: "a desk lamp" })
      .expect(202);
    const explicit = await request(carlApp)
      .post("/generate")
      .set(as(CARL))
      .send({ prompt: "a desk lamp", format: "png", quality: "draft" })
      .expect(202);
    const read = async (id: string) =>
      (await request(carlApp).get(`/generation/${id}/status`).set(as(CARL))).body;
    expect(await read(preferred.body.id)).toMatchObject({
      quality: "premium",
      format: "webp",
      aspectRatio: "16:9",
    });
    expect(await read(explicit.body.id)).toMatchObject({
      quality: "draft",
      format: "png",
      aspectRatio: "16:9",
    });

    expectError(
      await request(carlApp).put("/user/me/preferences").set(as(CARL)).send({ quality: "ultra" }),
      400,
      "INVALID_REQUEST",
      /quality/,
    );
    expectError(
      await request(carlApp).put("/user/me/preferences").set(as(CARL)).send({ colour: "red" }),
      400,
      "INVALID_REQUEST",
      /unknown field "colour"/,
    );
    expectError(
      await request(carlApp)
        .put("/user/me/preferences")
        .set(as(CARL))
        .send({ webhook: "http://10.0.0.1/x" }),
      400,
      "INVALID_REQUEST",
      /private/,
    );
    expectError(
      await request(carlApp).get("/user/alice/preferences").set(as(CARL)),
      403,
      "FORBIDDEN",
    );
  });

  it("uses a user's template for its subcategory and tier instead of the stock one", async () => {
    const template = {
      subcategory: "product",
      quality: "standard",
      lead: "Alice & Co. house-style still life of {subject}",
      clauses: ["on a warm oak table", "soft morning window light"],
    };
    const created = await request(app)
      .post("/user/me/templates")
      .set(as(ALICE))
      .send(template)
      .expect(201);
    expect(created.body).toMatchObject({ id: "product.standard", userId: "alice", version: 1 });
    const replaced = await request(app)
      .post("/user/me/templates")
      .set(as(ALICE))
      .send(template)
      .expect(200);
    expect(replaced.body.version).toBe(2);
    expect((await request(app).get("/user/me/templates").set(as(ALICE))).body.items).toHaveLength(
      1,
    );

    const { id } = await generate(ALICE, {
      prompt: "product photography of a perfume bottle, still life",
    });
    const record = await settled(id);
    expect(record.enhancedPrompt).toMatch(
      /^Alice & Co\. house-style still life of product photography of a perfume bottle, still life\. On a warm oak table\./,
    );
    expect(record.template).toEqual({ id: "custom:product.standard", version: 2, variant: "a" });
    // Others keep the stock wording.
    const bobs = await settled(
      (await generate(BOB, { prompt: "product photography of a perfume bottle, still life" })).id,
      BOB,
    );
    expect(bobs.template.id).toBe("photography.product.standard");

    await request(app).delete("/user/me/templates/product.standard").set(as(ALICE)).expect(204);
    expectError(
      await request(app).delete("/user/me/templates/product.standard").set(as(ALICE)),
      404,
      "NOT_FOUND",
    );
    expectError(
      await request(app)
        .post("/user/me/templates")
        .set(as(ALICE))
        .send({ ...template, lead: "no placeholder" }),
      400,
      "INVALID_REQUEST",
      /^lead must contain \{subject\}/,
    );
    expectError(
      await request(app)
        .post("/user/me/templates")
        .set(as(ALICE))
        .send({ ...template, subcategory: "selfie" }),
      400,
      "INVALID_REQUEST",
      /subcategory must be one of/,
    );
  });
});

describe("operations", () => {
  it("shows queue depths and Prometheus metrics to admins only", async () => {
    await settled((await generate(ALICE, { prompt: "metrics probe teacup" })).id);
    const status = await request(app).get("/queue/status").set(as(ADMIN)).expect(200);
    expect(Object.keys(status.body.queues).sort()).toEqual(["generation", "webhooks"]);
    expect(status.body.queues.generation).toMatchObject({
      waiting: expect.any(Number),
      active: expect.any(Number),
    });
    expectError(
      await request(app).get("/queue/status").set(as(ALICE)),
      403,
      "FORBIDDEN",
      /admin key/,
    );

    const metrics = await request(app).get("/metrics").set(as(ADMIN)).expect(200);
    expect(metrics.headers["content-type"]).toMatch(/text\/plain/);
    expect(metrics.text).toMatch(
      /nanobanana_http_requests_total\{method="POST",route="\/generate",status="202"\} \d+/,
    );
    expect(metrics.text).toMatch(/nanobanana_generations_total\{status="completed",code=""\} \d+/);
    expect(metrics.text).toMatch(/nanobanana_stage_duration_seconds_count\{stage="generate"\} \d+/);
    expect(metrics.text).toMatch(/nanobanana_queue_jobs\{queue="generation",state="waiting"\} \d+/);
    expect(metrics.text).toMatch(/nanobanana_classification_confidence_bucket/);
    expectError(await request(app).get("/metrics").set(as(ALICE)), 403, "FORBIDDEN");
  });
});

describe("Bull Board", () => {
  it("serves the dashboard to an admin key given as the Basic auth password, and asks everyone else", async () => {
    const denied = await request(app).get("/admin/queues");
    expectError(denied, 401, "UNAUTHORIZED", /admin key/);
    expect(denied.headers["www-authenticate"]).toMatch(/^Basic realm="NanoBanana admin"/);
    expectError(await request(app).get("/admin/queues").auth("me", ALICE), 401, "UNAUTHORIZED");
    const page = await request(app).get("/admin/queues").auth("ops", ADMIN).expect(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    const api = await request(app).get("/admin/queues/api/queues").set(as(ADMIN)).expect(200);
    expect(api.body.queues.map((q: { name: string }) => q.name).sort()).toEqual([
      "generation",
      "webhooks",
    ]);
  });
});

describe("API keys made at run time", () => {
  it("creates a key (kept only as a hash), lets it in, lists it without secrets, and revokes it", async () => {
    const created = await request(app)
      .post("/admin/keys")
      .set(as(ADMIN))
      .send({ userId: "quinn" })
      .expect(201);
    expect(created.body).toMatchObject({
      key: expect.stringMatching(/^nb_[\w-]{43}$/),
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
      userId: "quinn",
      admin: false,
    });
    const key = created.body.key as string;
    const stored = await store.findApiKey(createHash("sha256").update(key).digest("hex"));
    expect(stored).toMatchObject({ userId: "quinn", revokedAt: null });
    expect(JSON.stringify(stored)).not.toContain(key);

    await request(app)
      .post("/generate")
      .set(as(key))
      .send({ prompt: "a key-made lamp" })
      .expect(202);
    expectError(
      await request(app).post("/admin/keys").set(as(key)).send({ userId: "quinn" }),
      403,
      "FORBIDDEN",
    );
    const listed = await request(app).get("/admin/keys").set(as(ADMIN)).expect(200);
    const mine = listed.body.items.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(mine).toMatchObject({ userId: "quinn" });
    expect(mine.hash).toBeUndefined();

    await request(app).delete(`/admin/keys/${created.body.keyId}`).set(as(ADMIN)).expect(204);
    expectError(
      await request(app).post("/generate").set(as(key)).send({ prompt: "a" }),
      401,
      "UNAUTHORIZED",
      /revoked/,
    );
    expectError(await request(app).delete("/admin/keys/nope").set(as(ADMIN)), 404, "NOT_FOUND");
    expectError(
      await request(app).post("/admin/keys").set(as(ADMIN)).send({ userId: "bad id!" }),
      400,
      "INVALID_REQUEST",
      /userId/,
    );
  });
});

describe("rate limit", () => {
  it("allows RATE_LIMIT requests a minute per key, then 429 with Retry-After; other keys are unaffected", async () => {
    const limited = createApp({
      ...deps,
      rateLimit: rateLimitPerKey(storeRedis, { prefix: uniquePrefix("rl"), perMinute: 3, logger }),
    });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(limited)
        .post("/classify")
        .set(as(ALICE))
        .send({ prompt: "a cat" })
        .expect(200);
      expect(res.headers["ratelimit-limit"]).toBe("3");
      remaining.push(String(res.headers["ratelimit-remaining"]));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const refused = await request(limited)
      .post("/classify")
      .set(as(ALICE))
      .send({ prompt: "a cat" });
    expectError(refused, 429, "RATE_LIMITED", /more than 3 requests in a minute/);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // A whole batch counts once; another key has its own budget; health is never limited.
    await request(limited)
      .post("/generate-batch")
      .set(as(BOB))
      .send({ items: [{ prompt: "a" }, { prompt: "b" }] })
      .expect(202);
    expect(
      (await request(limited).post("/classify").set(as(BOB)).send({ prompt: "a" })).headers[
        "ratelimit-remaining"
      ],
    ).toBe("1");
    await request(limited).get("/health").expect(200);
    // Image downloads have their own, ten times larger budget: ALICE, out of requests, can
    // still browse her images (a 404 for this id, but past the limiter).
    const image = await request(limited)
      .get("/generation/gen_01m8zzzzzzzzzzzzzzzzzzzzzz/thumbnail")
      .set(as(ALICE));
    expect(image.status).toBe(404);
    expect(image.headers["ratelimit-limit"]).toBe("30");
  });
});

describe("GET /metrics in a browser", () => {
  it("takes an admin key as the Basic auth password, and asks for one", async () => {
    const basic = (key: string) => ({
      Authorization: `Basic ${Buffer.from(`admin:${key}`).toString("base64")}`,
    });
    const asked = await request(app).get("/metrics");
    expect(asked.status).toBe(401);
    expect(asked.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    const ok = await request(app).get("/metrics").set(basic(ADMIN));
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("nanobanana_http_requests_total");
    expect((await request(app).get("/metrics").set(basic(ALICE))).status).toBe(403);
  });
});

describe("feedback", () => {
  it("answers 409 for feedback on a generation that has no image yet", async () => {
    const record = await queuedRecordOf("alice");
    expectError(
      await request(app)
        .post(`/generation/${record.id}/feedback`)
        .set(as(ALICE))
        .send({ rating: "up" }),
      409,
      "CONFLICT",
      /is queued; feedback is for completed images/,
    );
    expectError(
      await request(app)
        .post(`/generation/${record.id}/feedback`)
        .set(as(BOB))
        .send({ rating: "up" }),
      404,
      "NOT_FOUND",
      /./,
    );
  });
});

describe("classify and enhance", () => {
  it("classifies a prompt", async () => {
    const res = await request(app)
      .post("/classify")
      .set(as(ALICE))
      .send({ prompt: "flowchart of a refund process" })
      .expect(200);
    expect(res.body).toMatchObject({ domain: "diagrams", subcategory: "flowchart" });
    expect(Object.keys(res.body.scores).sort()).toEqual([
      "art",
      "diagrams",
      "photography",
      "products",
    ]);
  });

  it("enhances a prompt for the requested tier", async () => {
    const res = await request(app)
      .post("/enhance")
      .set(as(ALICE))
      .send({ prompt: "a violinist on stage", quality: "premium" })
      .expect(200);
    expect(res.body.enhancedPrompt).toContain("a violinist on stage");
    expect(res.body.template).toMatchObject({ quality: "premium", version: 1 });
    expect(res.body.classification.domain).toBe("photography");
    expect(res.body.words.out).toBeGreaterThan(80);
  });
});

describe("security headers and request logs", () => {
  it("sets helmet's headers and logs each request with its request id and user id", async () => {
    const { app: logged, lines, raw } = appLoggingLines(deps);
    const res = await request(logged)
      .post("/classify")
      .set(as(ALICE))
      .set("X-Request-Id", "trace-99")
      .send({ prompt: "a cat" })
      .expect(200);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toMatch(/max-age/);
    expect(res.headers["x-powered-by"]).toBeUndefined();
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines.find((l) => l.requestId === "trace-99");
    if (!line) console.error(JSON.stringify(lines).slice(0, 1500));
    expect(line).toMatchObject({
      service: "api",
      userId: "alice",
      req: { method: "POST", url: "/classify" },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines)).not.toContain(ALICE);
    // Each field once: JSON.parse would hide a key written twice.
    const text = raw.find((l) => l.includes("trace-99") && l.includes("request completed")) ?? "";
    expect(text.match(/"requestId"/g)).toHaveLength(1);
    expect(text.match(/"userId"/g)).toHaveLength(1);

    // A request that made a generation names it, so its line and the worker's lines meet.
    const made = await request(logged)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "a lighthouse at dusk" })
      .expect(202);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.find((l) => l.requestId === made.headers["x-request-id"])).toMatchObject({
      userId: "alice",
      generationId: made.body.id,
      req: { method: "POST", url: "/generate" },
      res: { statusCode: 202 },
      msg: "request completed",
    });
  });
});

describe("request ids", () => {
  it("echoes a caller's X-Request-Id and makes one otherwise", async () => {
    const echoed = await request(app).get("/health").set("X-Request-Id", "trace-42");
    expect(echoed.headers["x-request-id"]).toBe("trace-42");
    const made = await request(app).get("/health");
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("when Redis is down", () => {
  it("answers 503 quickly when the store is unreachable: nothing accepted, and /health says why", async () => {
    const deadUrl = `redis://127.0.0.1:${await freePort()}`;
    const deadRedis = connectRedis(deadUrl, "producer", () => undefined);
    const down = createApp({
      ...deps,
      store: createRedisStore(deadRedis, prefix),
      producer: createProducer(generationQueue, deadRedis, prefix),
      checkHealth: async () => ({
        redis: await deadRedis.ping().then(
          () => "ok",
          (e: Error) => `unavailable: ${e.message}`,
        ),
      }),
    });
    const started = Date.now();
    const res = await request(down).post("/generate").set(as(ALICE)).send({ prompt: "a" });
    expectError(res, 503, "SERVICE_UNAVAILABLE", /nothing was accepted/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const health = await request(down).get("/health").expect(503);
    expect(health.body.checks.redis).toMatch(/unavailable/);
    deadRedis.disconnect();
  });

  it("keeps what it accepted when only the queue is unreachable: 202, marked for the sweep to enqueue", async () => {
    const deadRedis = connectRedis(`redis://127.0.0.1:${await freePort()}`, "producer", () => {});
    const queueDown = createApp({
      ...deps,
      producer: createProducer(generationQueue, deadRedis, prefix),
    });
    const started = Date.now();
    const res = await request(queueDown)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "kept while the queue is away" })
      .expect(202);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await store.getGeneration(res.body.id))?.status).toBe("queued");
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await store.unconfirmedAcceptances(later, 1000)).toContain(res.body.id);
    deadRedis.disconnect();
  });
});

describe("batches", () => {
  it("accepts a batch with 202, ids in item order, and reports counts, progress and items", async () => {
    const res = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({
        items: [
          { prompt: "sunset over the sea" },
          { prompt: "flowchart of a refund", quality: "draft" },
          { prompt: "oil painting of a cat" },
        ],
      })
      .expect(202);
    expect(res.body.batchId).toMatch(/^bat_/);
    expect(res.body.ids).toHaveLength(3);
    const done = await waitFor(async () => {
      const status = await request(app)
        .get(`/batch/${res.body.batchId}/status?limit=2`)
        .set(as(ALICE));
      return status.body.counts?.completed === 3 ? status.body : undefined;
    });
    expect(done).toMatchObject({
      total: 3,
      progress: 1,
      cost: { usd: 0 },
      counts: { completed: 3, queued: 0 },
    });
    expect(done.completedAt).not.toBeNull();
    expect(done.items.map((i: { id: string }) => i.id)).toEqual(res.body.ids.slice(0, 2));
    expect(done.items[1]).toMatchObject({
      prompt: "flowchart of a refund",
      quality: "draft",
      batchId: res.body.batchId,
    });
    const rest = await request(app)
      .get(`/batch/${res.body.batchId}/status?cursor=${done.nextCursor}`)
      .set(as(ALICE))
      .expect(200);
    expect(rest.body.items.map((i: { id: string }) => i.id)).toEqual(res.body.ids.slice(2));
    expect(rest.body.nextCursor).toBeNull();
    expectError(
      await request(app).get(`/batch/${res.body.batchId}/status`).set(as(BOB)),
      404,
      "NOT_FOUND",
    );
  });

  it("reports a bad item by its index and enqueues nothing", async () => {
    const before = await producer.queue.getJobCounts();
    const items = Array.from({ length: 13 }, (_, i) => ({ prompt: `item ${i}` }));
    items[12] = { prompt: "" };
    const res = await request(app).post("/generate-batch").set(as(ALICE)).send({ items });
    expectError(res, 400, "INVALID_REQUEST", /^items\[12\]\.prompt must not be empty$/);
    const model = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({ items: [{ prompt: "a" }, { prompt: "b", model: "nope-1" }] });
    expectError(model, 400, "INVALID_REQUEST", /^items\[1\]\.model: "nope-1" is not available/);
    const after = await producer.queue.getJobCounts();
    const jobs = (c: Record<string, number | undefined>) =>
      (c.waiting ?? 0) + (c.active ?? 0) + (c.completed ?? 0);
    expect(jobs(after)).toBe(jobs(before));
  });

  it.each([
    [{ items: [] }, /items must hold at least one request/],
    [
      { items: Array.from({ length: 51 }, () => ({ prompt: "x" })) },
      /items may hold at most 50 requests/,
    ],
    [{ items: "nope" }, /items must be an array/],
    [{ prompts: ["a"] }, /unknown field "prompts"/],
  ])("refuses a malformed batch: %#", async (body, message) => {
    expectError(
      await request(app).post("/generate-batch").set(as(ALICE)).send(body),
      400,
      "INVALID_REQUEST",
      message,
    );
  });
});

describe("Idempotency-Key", () => {
  it("returns the first response for the same key and body, and 409 for another body", async () => {
    const key = `order-${newId("req")}`;
    const first = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ prompt: "a teapot" })
      .expect(202);
    const again = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ prompt: "a teapot" })
      .expect(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    const history = await request(app).get("/user/me/history?limit=100").set(as(ALICE));
    expect(
      history.body.items.filter((r: { prompt: string }) => r.prompt === "a teapot"),
    ).toHaveLength(1);
    const other = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ prompt: "a kettle" });
    expectError(other, 409, "CONFLICT", /different request body/);
    // Keys belong to their user: Bob may use the same one.
    await request(app)
      .post("/generate")
      .set(as(BOB))
      .set("Idempotency-Key", key)
      .send({ prompt: "a teapot" })
      .expect(202);
  });

  it("works for batches and frees a key whose request was refused", async () => {
    const key = `batch-${newId("req")}`;
    await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ items: [{ prompt: "" }] })
      .expect(400);
    const first = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ items: [{ prompt: "a" }] })
      .expect(202);
    const again = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .set("Idempotency-Key", key)
      .send({ items: [{ prompt: "a" }] })
      .expect(202);
    expect(again.body.batchId).toBe(first.body.batchId);
  });

  it("refuses a malformed key", async () => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .set("Idempotency-Key", "has spaces")
      .send({ prompt: "a" });
    expectError(res, 400, "INVALID_REQUEST", /Idempotency-Key must be/);
  });
});

describe("cancel", () => {
  const queuedRecord = async (userId = "alice") => {
    const record = newGenerationRecord({
      id: newId("gen"),
      userId,
      request: { prompt: "later", quality: "draft", aspectRatio: "1:1", format: "png" },
    });
    await store.accept({ records: [record] });
    return record;
  };

  it("cancels a queued generation, which then ends canceled and unbilled", async () => {
    const record = await queuedRecord();
    const res = await request(app)
      .post(`/generation/${record.id}/cancel`)
      .set(as(ALICE))
      .expect(200);
    expect(res.body).toMatchObject({
      status: "canceled",
      cost: { usd: 0 },
      error: { code: "CANCELED" },
    });
    // Cancelling twice is fine.
    await request(app).post(`/generation/${record.id}/cancel`).set(as(ALICE)).expect(200);
  });

  it("refuses to cancel what has started or finished, and someone else's", async () => {
    const record = await queuedRecord();
    await store.updateGeneration(record.id, { status: "processing" });
    expectError(
      await request(app).post(`/generation/${record.id}/cancel`).set(as(ALICE)),
      409,
      "CONFLICT",
      /already processing/,
    );
    const { id } = await generate(ALICE);
    await settled(id);
    expectError(
      await request(app).post(`/generation/${id}/cancel`).set(as(ALICE)),
      409,
      "CONFLICT",
      /already ended completed/,
    );
    expectError(
      await request(app)
        .post(`/generation/${(await queuedRecord()).id}/cancel`)
        .set(as(BOB)),
      404,
      "NOT_FOUND",
    );
  });

  it("cancels a batch's queued items and completes the batch", async () => {
    await worker.pause();
    try {
      const res = await request(app)
        .post("/generate-batch")
        .set(as(ALICE))
        .send({ items: [{ prompt: "a" }, { prompt: "b" }] })
        .expect(202);
      const canceled = await request(app)
        .post(`/batch/${res.body.batchId}/cancel`)
        .set(as(ALICE))
        .expect(200);
      expect(canceled.body).toMatchObject({ canceled: 2, counts: { canceled: 2 }, progress: 1 });
      expect(canceled.body.completedAt).not.toBeNull();
      expect(await producer.queue.getJob(res.body.ids[0])).toBeUndefined();
    } finally {
      worker.resume();
    }
  });
});

describe("webhook settings", () => {
  it("gives each user a stable whsec_ secret and rotates it", async () => {
    const first = await request(app).get("/webhooks/secret").set(as(ALICE)).expect(200);
    expect(first.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect((await request(app).get("/webhooks/secret").set(as(ALICE))).body.secret).toBe(
      first.body.secret,
    );
    expect((await request(app).get("/webhooks/secret").set(as(BOB))).body.secret).not.toBe(
      first.body.secret,
    );
    const rotated = await request(app).post("/webhooks/secret/rotate").set(as(ALICE)).expect(200);
    expect(rotated.body.secret).not.toBe(first.body.secret);
    expect((await request(app).get("/webhooks/secret").set(as(ALICE))).body.secret).toBe(
      rotated.body.secret,
    );
  });

  it.each([
    ["ftp://example.com/hook", /only http and https/],
    ["http://127.0.0.1:9/hook", /loopback/],
    ["http://localhost/hook", /loopback/],
    ["http://2130706433/hook", /127\.0\.0\.1 is a loopback/],
    ["http://0x7f.0.0.1/hook", /loopback/],
    ["http://10.1.2.3/hook", /private/],
    ["http://169.254.169.254/latest/meta-data", /linkLocal/],
    ["http://100.64.0.1/hook", /carrierGradeNat/],
    ["http://224.0.0.1/hook", /multicast/],
    ["http://0.0.0.0/hook", /unspecified/],
    ["http://[::1]/hook", /loopback/],
    ["http://[fd00::1]/hook", /uniqueLocal/],
    ["http://[::ffff:127.0.0.1]/hook", /loopback/],
    ["http://user:pw@example.com/hook", /credentials/],
    ["not a url", /not a URL/],
  ])("refuses webhook %s at submission", async (url, message) => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "a", webhook: url });
    expectError(res, 400, "INVALID_REQUEST", message);
    expect(res.body.error.message).toMatch(/^webhook: webhook url refused: /);
  });

  it("refuses a bad event name", async () => {
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .send({
        prompt: "a",
        webhook: { url: "https://example.com", events: ["generation.started"] },
      });
    expectError(
      res,
      400,
      "INVALID_REQUEST",
      /events must be among generation.completed, generation.failed, batch.completed/,
    );
  });
});
