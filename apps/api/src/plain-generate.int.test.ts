import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { uniquePrefix } from "@nanobanana/testing";
import helmet from "helmet";
import request from "supertest";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createApp } from "./app.ts";
import { keyResolver } from "./auth.ts";
import { plainGenerate } from "./plain-generate.ts";
import { rateLimitPerKey } from "./rate-limit.ts";
import { GENERATE_OPTION_HEADERS } from "./routes/generations.ts";
import { apiUnderTest, appLoggingLines } from "./test-stack.ts";

// How many requests the plain path took, to show which path served what.
const plainServed = vi.hoisted(() => ({ count: 0 }));
vi.mock("./plain-generate.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("./plain-generate.ts")>();
  return {
    ...actual,
    plainGenerate: (deps: Parameters<typeof actual.plainGenerate>[0]) => {
      const serve = actual.plainGenerate(deps);
      return (...args: Parameters<typeof serve>) => {
        const took = serve(...args);
        if (took) plainServed.count++;
        return took;
      };
    },
  };
});
/** The answer, and whether the plain path served it. */
async function served(send: () => Promise<request.Response>) {
  const before = plainServed.count;
  const res = await send();
  return { res, plain: plainServed.count > before };
}

const ALICE = "alice-key-123";
const stack = apiUnderTest({
  label: "plain",
  apiKeys: [{ key: ALICE, userId: "alice", admin: false }],
});
const { app, deps } = stack;
afterAll(() => stack.close());

const as = (key: string) => ({ Authorization: `Bearer ${key}` });
// Cancel-After changes nothing for a standard-tier request, and sends it through Express.
const viaExpress = { "Cancel-After": "1h" };
/** Headers every answer has by nature (or that differ by request), not by the path taken. */
const incidental = new Set(["date", "connection", "keep-alive", "content-length", "x-request-id"]);
const headerNames = (res: request.Response) =>
  Object.keys(res.headers)
    .filter((h) => !incidental.has(h))
    .sort();

describe("POST /generate, served plain", () => {
  it("takes the plain form itself and leaves every other form to Express", async () => {
    const plain = plainGenerate({
      ...deps,
      trustProxy: undefined,
      economy: false,
      accept: async () => undefined,
      resolveKey: keyResolver(deps.apiKeys),
      securityHeaders: helmet(),
    });
    // What the plain path does not take answers 599 here.
    const server: Server = createServer((req, res) => {
      if (!plain(req, res)) {
        res.statusCode = 599;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const body = JSON.stringify({ prompt: "a ceramic mug" });
    const post = (headers: Record<string, string>, payload: string | Uint8Array = body) =>
      fetch(`${url}/generate`, {
        method: "POST",
        headers: { ...as(ALICE), "Content-Type": "application/json", ...headers },
        body: payload,
      }).then((r) => r.status);
    try {
      expect(await post({})).toBe(202);
      expect(await post({ "Content-Type": "application/json; charset=utf-8" })).toBe(202);
      const unusual: Array<Record<string, string>> = [
        // Every header the route reads besides the body, whatever its value.
        ...GENERATE_OPTION_HEADERS.map((name) => ({ [name]: "1" })),
        { "Content-Type": "text/plain" },
      ];
      for (const header of unusual) {
        expect(await post(header), JSON.stringify(header)).toBe(599);
      }
      expect(await post({ "Content-Encoding": "gzip" }, gzipSync(body))).toBe(599);
      // A body of unknown length (chunked) goes to Express, which streams it to its limit.
      const chunked = await fetch(`${url}/generate`, {
        method: "POST",
        headers: { ...as(ALICE), "Content-Type": "application/json" },
        body: new Blob([body]).stream(),
        duplex: "half",
      } as RequestInit);
      expect(chunked.status).toBe(599);
      expect((await fetch(`${url}/generate`)).status).toBe(599);
      expect((await fetch(`${url}/generate?x=1`, { method: "POST", body })).status).toBe(599);
    } finally {
      server.close();
    }
  });

  it("answers what Express answers: the 202, its Location and the same headers", async () => {
    const send = (headers: Record<string, string>) =>
      request(app)
        .post("/generate")
        .set(as(ALICE))
        .set(headers)
        .send({ prompt: "a ceramic mug on oak" })
        .expect(202);
    const { res: plain, plain: tookPlain } = await served(() => send({}));
    const { res: express, plain: tookExpress } = await served(() => send(viaExpress));
    expect([tookPlain, tookExpress]).toEqual([true, false]);
    expect(Object.keys(plain.body).sort()).toEqual(["id", "status", "statusUrl"]);
    expect(plain.body.status).toBe("queued");
    expect(plain.headers.location).toBe(plain.body.statusUrl);
    expect(plain.body.statusUrl).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/generation\/gen_\w+\/status$/,
    );
    expect(headerNames(plain)).toEqual(headerNames(express));
    for (const name of headerNames(express).filter((h) => h !== "location"))
      expect(plain.headers[name], name).toBe(express.headers[name]);
    // Both were accepted: each can be read back.
    for (const res of [plain, express])
      await request(app).get(`/generation/${res.body.id}/status`).set(as(ALICE)).expect(200);
  });

  it("refuses what Express refuses, with the same status and error", async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ["no key", { Authorization: "" }, JSON.stringify({ prompt: "a mug" })],
      ["an unknown key", as("nobody-key-000"), JSON.stringify({ prompt: "a mug" })],
      ["not JSON", {}, "{prompt: a mug"],
      ["a JSON string", {}, JSON.stringify("a mug")],
      [
        "nested too deep",
        {},
        `{"prompt":"a",${'"x":'.repeat(1)}${"[".repeat(40)}${"]".repeat(40)}}`,
      ],
      ["no prompt", {}, JSON.stringify({ quality: "draft" })],
      ["an unknown field", {}, JSON.stringify({ prompt: "a mug", colour: "red" })],
      ["a bad quality", {}, JSON.stringify({ prompt: "a mug", quality: "ultra" })],
    ];
    for (const [what, headers, body] of cases) {
      const send = (more: Record<string, string>) =>
        request(app)
          .post("/generate")
          .set({ ...as(ALICE), "Content-Type": "application/json", ...headers, ...more })
          .send(body);
      const { res: plain, plain: tookPlain } = await served(() => send({}));
      const express = await send(viaExpress);
      expect(tookPlain, what).toBe(true);
      expect(plain.status, what).toBeGreaterThanOrEqual(400);
      expect([plain.status, plain.body], what).toEqual([express.status, express.body]);
      expect(plain.headers["content-type"], what).toBe("application/json; charset=utf-8");
      expect(plain.headers["x-content-type-options"], what).toBe("nosniff");
    }
  });

  it("reads a body as Express does: a byte order mark is not an error", async () => {
    for (const headers of [{}, viaExpress]) {
      const res = await request(app)
        .post("/generate")
        .set({ ...as(ALICE), "Content-Type": "application/json", ...headers })
        .send(`\uFEFF${JSON.stringify({ prompt: "a ceramic mug" })}`);
      expect(res.status, JSON.stringify(headers)).toBe(202);
    }
  });

  it("names the status URL as Express does: PUBLIC_URL encoded, or a believed proxy's scheme", async () => {
    const withPublicUrl = createApp({ ...deps, publicUrl: "https://images.example/nano banana" });
    const behindProxy = createApp({ ...deps, trustProxy: true });
    for (const [api, headers] of [
      [withPublicUrl, {}],
      [behindProxy, { "X-Forwarded-Proto": "https" }],
    ] as const) {
      const send = (more: Record<string, string>) =>
        request(api)
          .post("/generate")
          .set({ ...as(ALICE), ...headers, ...more })
          .send({ prompt: "a ceramic mug" })
          .expect(202);
      const { res: plain, plain: tookPlain } = await served(() => send({}));
      const express = await send(viaExpress);
      expect(tookPlain).toBe(true);
      expect(plain.headers.location).toMatch(/^https:\/\//);
      // supertest listens on a new port each request: the Host header differs by its port.
      const same = (url: string | undefined) =>
        url?.replace(/:\d+\//, ":PORT/").replace(/gen_\w+/, "ID");
      expect(same(plain.headers.location)).toBe(same(express.headers.location));
      expect(same(plain.body.statusUrl)).toBe(same(express.body.statusUrl));
    }
  });

  it("counts against the key's rate limit, and a refusal says when to retry", async () => {
    const limited = createApp({
      ...deps,
      rateLimit: rateLimitPerKey(stack.storeRedis, {
        prefix: uniquePrefix("plain-rl"),
        perMinute: 2,
        logger: stack.logger,
      }),
    });
    const send = () =>
      request(limited).post("/generate").set(as(ALICE)).send({ prompt: "a ceramic mug" });
    const first = await send();
    expect([first.status, first.headers["ratelimit-remaining"]]).toEqual([202, "1"]);
    // Express counts in the same budget.
    expect((await send().set(viaExpress)).headers["ratelimit-remaining"]).toBe("0");
    const refused = await send();
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(refused.headers["ratelimit-limit"]).toBe("2");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("logs one line a request, naming the caller and the generation it made", async () => {
    const { app: logged, lines } = appLoggingLines(deps);
    const res = await request(logged)
      .post("/generate")
      .set(as(ALICE))
      .set("X-Request-Id", "plain-trace-1")
      .send({ prompt: "a ceramic mug" })
      .expect(202);
    expect(res.headers["x-request-id"]).toBe("plain-trace-1");
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.requestId === "plain-trace-1")).toEqual([
      expect.objectContaining({
        msg: "request completed",
        userId: "alice",
        generationId: res.body.id,
        req: { method: "POST", url: "/generate" },
        res: { statusCode: 202 },
      }),
    ]);
  });
});
