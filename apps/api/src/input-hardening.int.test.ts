import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { type AppDeps, createApp } from "./app.ts";
import { MAX_JSON_DEPTH } from "./http-errors.ts";
import { apiUnderTest } from "./test-stack.ts";

// Findings of a red-team pass over the API's input handling: each answered 500, stalled the
// process, or read the input as something else. Every refusal must be a 4xx `{error:{code,message}}`.

const ALICE = "alice-key-123";
const stack = apiUnderTest({
  label: "harden",
  apiKeys: [{ key: ALICE, userId: "alice", admin: false }],
});
const { app, deps } = stack;
const auth = { Authorization: `Bearer ${ALICE}` };

afterAll(() => stack.close());

function expectError(res: request.Response, status: number, code: string, message?: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers["content-type"]).toMatch(/application\/json/);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  if (message) expect(res.body.error.message).toMatch(message);
}

describe("a body whose Content-Encoding is a lie", () => {
  const routes: Array<[string, "post" | "put", string, object]> = [
    ["generate", "post", "/generate", { prompt: "a lamp" }],
    ["generate-batch", "post", "/generate-batch", { items: [{ prompt: "a lamp" }] }],
    ["classify", "post", "/classify", { prompt: "a lamp" }],
    ["enhance", "post", "/enhance", { prompt: "a lamp" }],
    ["preferences", "put", "/user/me/preferences", { quality: "draft" }],
  ];
  const cases = routes.flatMap(([name, method, path, body]) =>
    (["gzip", "deflate", "br"] as const).map(
      (encoding) => [`${name} ${encoding}`, method, path, body, encoding] as const,
    ),
  );

  it.each(cases)(
    "%s: 400 INVALID_REQUEST naming the encoding",
    async (_n, method, path, body, encoding) => {
      const res = await request(app)
        [method](path)
        .set(auth)
        .set("Content-Type", "application/json")
        .set("Content-Encoding", encoding)
        .send(JSON.stringify(body));
      expectError(res, 400, "INVALID_REQUEST", new RegExp(`Content-Encoding: ${encoding}`));
    },
  );

  it("an encoding we do not decode at all is 415", async () => {
    const res = await request(app)
      .post("/generate")
      .set(auth)
      .set("Content-Type", "application/json")
      .set("Content-Encoding", "compress")
      .send('{"prompt":"a lamp"}');
    expectError(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("a malformed %-escape in the path", () => {
  it.each([
    "/generation/%/status",
    "/generation/%zz/image",
    "/batch/%E0%A4%A/status",
    "/user/%/history",
  ])("GET %s is 400 INVALID_REQUEST", async (path) => {
    expectError(await request(app).get(path).set(auth), 400, "INVALID_REQUEST", /%-escape/);
  });
});

describe("deeply nested JSON", () => {
  const nested = (depth: number, leaf = "1") =>
    `${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`;
  const limit = new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`);

  it("refuses 10 000 levels with an Idempotency-Key quickly, with 400 (was a stack overflow)", async () => {
    const started = Date.now();
    const res = await request(app)
      .post("/generate")
      .set(auth)
      .set("Idempotency-Key", "deep-1")
      .set("Content-Type", "application/json")
      .send(`{"prompt":"a lamp","metadata":${nested(10_000)}}`);
    expectError(res, 400, "INVALID_REQUEST", limit);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses deep arrays too, on every JSON route", async () => {
    const body = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    for (const path of ["/generate", "/classify", "/enhance", "/generate-batch"]) {
      const res = await request(app)
        .post(path)
        .set(auth)
        .set("Idempotency-Key", "deep-2")
        .set("Content-Type", "application/json")
        .send(`{"items":${body}}`);
      expectError(res, 400, "INVALID_REQUEST", limit);
    }
  });

  it("refuses a 7 MiB deep batch body before parsing it", async () => {
    const depth = Math.floor((7 * 1024 * 1024) / 6);
    const body = `{"items":[{"prompt":"x","metadata":${nested(depth)}}]}`;
    expect(body.length).toBeGreaterThan(7 * 1024 * 1024);
    const res = await request(app)
      .post("/generate-batch")
      .set(auth)
      .set("Idempotency-Key", "deep-3")
      .set("Content-Type", "application/json")
      .send(body);
    expectError(res, 400, "INVALID_REQUEST", limit);
  });

  it(`accepts exactly ${MAX_JSON_DEPTH} levels (then the schema decides)`, async () => {
    // 2 levels of envelope + (MAX - 2) of metadata: metadata values must be flat, so the
    // schema refuses it, but the depth check lets it through.
    const res = await request(app)
      .post("/generate")
      .set(auth)
      .set("Content-Type", "application/json")
      .send(`{"prompt":"a lamp","metadata":${nested(MAX_JSON_DEPTH - 1)}}`);
    expectError(res, 400, "INVALID_REQUEST", /metadata/);
    expect(res.body.error.message).not.toMatch(limit);
  });

  it("still accepts a normal batch, brackets and escaped quotes inside strings included", async () => {
    const tricky = `a lamp ${"[{".repeat(200)} \\" ${"}]".repeat(10)} \\\\" end`;
    const res = await request(app)
      .post("/generate-batch")
      .set(auth)
      .set("Idempotency-Key", "normal-batch-1")
      .send({
        items: [
          { prompt: "wireless headphones on a desk", metadata: { sku: "HP-1", "[{": "}]" } },
          { prompt: tricky.replaceAll("\\", ""), quality: "draft" },
          { prompt: `quote " and backslash \\ then [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[` },
        ],
      });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.statusUrl).toMatch(/\/batch\/bat_/);
  });
});

describe("GET /user/:id/cost?date=", () => {
  it.each(["2026-02-31", "2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-1", "x"])(
    "refuses %s",
    async (date) => {
      expectError(
        await request(app).get(`/user/me/cost?date=${date}`).set(auth),
        400,
        "INVALID_REQUEST",
        /date must be a real day as YYYY-MM-DD/,
      );
    },
  );

  it("refuses a repeated date", async () => {
    expectError(
      await request(app).get("/user/me/cost?date=2026-01-01&date=2026-01-02").set(auth),
      400,
      "INVALID_REQUEST",
      /date must be a real day as YYYY-MM-DD/,
    );
  });

  it.each([
    ["2028-02-29", "2028-02", "2028-W09"],
    ["2026-12-31", "2026-12", "2026-W53"],
  ])("reads %s as that day", async (date, month, week) => {
    const res = await request(app).get(`/user/me/cost?date=${date}`).set(auth).expect(200);
    expect(res.body.day.period).toBe(date);
    expect(res.body.month.period).toBe(month);
    expect(res.body.week.period).toBe(week);
  });
});

describe("X-Forwarded-* headers", () => {
  const forged = { "X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil.example" };

  it("are ignored by default: statusUrl keeps the connection's scheme and Host", async () => {
    const res = await request(app)
      .post("/generate")
      .set(auth)
      .set(forged)
      .send({ prompt: "a lamp" })
      .expect(202);
    expect(res.body.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/generation\/gen_/);
    expect(res.headers.location).toBe(res.body.statusUrl);
  });

  it.each<[string, NonNullable<AppDeps["trustProxy"]>]>([
    ["true", true],
    ["a hop count", 1],
    ["a list of addresses", ["loopback"]],
  ])("are believed when trustProxy is %s", async (_name, trustProxy) => {
    const proxied = createApp({ ...deps, trustProxy });
    const res = await request(proxied)
      .post("/generate")
      .set(auth)
      .set("X-Forwarded-Proto", "https")
      .send({ prompt: "a lamp" })
      .expect(202);
    expect(res.body.statusUrl).toMatch(/^https:\/\//);
  });

  it("even a trusted proxy picks only between http and https", async () => {
    const proxied = createApp({ ...deps, trustProxy: true });
    const res = await request(proxied)
      .post("/generate")
      .set(auth)
      .set("X-Forwarded-Proto", "javascript")
      .send({ prompt: "a lamp" })
      .expect(202);
    expect(res.body.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it("a proxy list that does not include the peer is not believed", async () => {
    const elsewhere = createApp({ ...deps, trustProxy: ["10.0.0.0/8"] });
    const res = await request(elsewhere)
      .post("/generate")
      .set(auth)
      .set(forged)
      .send({ prompt: "a lamp" })
      .expect(202);
    expect(res.body.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});

describe("numeric query parameters", () => {
  it.each([
    ["/user/me/history", 100],
    ["/webhooks/deliveries", 200],
  ])("%s?limit= says what is wrong and the bounds", async (path, max) => {
    const message = new RegExp(`limit must be a whole number from 1 to ${max}`);
    for (const bad of [
      String(max + 1),
      "0",
      "-1",
      "1.5",
      "abc",
      "",
      "1e2",
      "99999999999999999999",
    ]) {
      expectError(
        await request(app).get(`${path}?limit=${bad}`).set(auth),
        400,
        "INVALID_REQUEST",
        message,
      );
    }
    expectError(
      await request(app).get(`${path}?limit=1&limit=2`).set(auth),
      400,
      "INVALID_REQUEST",
      message,
    );
    await request(app).get(`${path}?limit=${max}`).set(auth).expect(200);
    await request(app).get(`${path}?limit=1`).set(auth).expect(200);
    await request(app).get(path).set(auth).expect(200);
  });

  it("/batch/:id/status?limit= says what is wrong and the bounds", async () => {
    const created = await request(app)
      .post("/generate-batch")
      .set(auth)
      .send({ items: [{ prompt: "a lamp" }, { prompt: "a chair" }] })
      .expect(202);
    const path = new URL(created.body.statusUrl).pathname;
    expectError(
      await request(app).get(`${path}?limit=1001`).set(auth),
      400,
      "INVALID_REQUEST",
      /limit must be a whole number from 1 to 1000/,
    );
    const page = await request(app).get(`${path}?limit=1`).set(auth).expect(200);
    expect(page.body.items).toHaveLength(1);
  });
});

describe("webhook checks at submission", () => {
  it("answer 503 rather than hold an Idempotency-Key past its pending window when DNS hangs", async () => {
    const hanging = createApp({
      ...deps,
      webhooks: { allowPrivate: false, resolve: () => new Promise(() => {}), checkDeadlineMs: 300 },
    });
    const started = Date.now();
    const res = await request(hanging)
      .post("/generate-batch")
      .set(auth)
      .set("Idempotency-Key", "hanging-dns")
      .send({ items: [{ prompt: "a lamp" }], webhook: "https://hooks.example.com/in" });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /did not all resolve within 0.3 s; nothing was accepted/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
