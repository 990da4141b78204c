import { describe, expect, it } from "vitest";
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  InvalidRequestError,
  NanoBanana,
  NanoBananaError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
} from "./index.ts";

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
  at: number;
}

type Answer = Response | Error | ((call: Call) => Response | Error);

/** A fetch that answers from a script, one answer per call, and records what it was sent. */
function stubFetch(...answers: Answer[]) {
  const calls: Call[] = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body: string | undefined;
    if (typeof init?.body === "string") body = init.body;
    else if (init?.body instanceof ArrayBuffer) body = `<${init.body.byteLength} bytes>`;
    const call = { method: init?.method ?? "GET", url, headers, body, at: Date.now() };
    calls.push(call);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call ${call.method} ${url}`);
    const answer = typeof next === "function" ? next(call) : next;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
const apiError = (status: number, code: string, message: string, headers = {}) =>
  json(status, { error: { code, message } }, { "x-request-id": `req-${status}`, ...headers });
const networkError = () => new TypeError("fetch failed");

const accepted = { id: "gen_1", status: "queued", statusUrl: "http://api/generation/gen_1/status" };

const client = (fetch: ReturnType<typeof stubFetch>["fetch"], options = {}) =>
  new NanoBanana({
    apiKey: "nb_test",
    baseUrl: "http://api/",
    fetch,
    retryBaseMs: 5,
    ...options,
  });

describe("requests", () => {
  it("sends the key, JSON and an Idempotency-Key (a UUID) on every create", async () => {
    const stub = stubFetch(
      json(202, accepted),
      json(202, { batchId: "bat_1", ids: [], statusUrl: "" }),
    );
    const nb = client(stub.fetch);
    const result = await nb.generate({ prompt: "red sneaker", quality: "premium" });
    await nb.batches.create([{ prompt: "a" }]);
    const [generate, batch] = stub.calls;
    expect(generate?.url).toBe("http://api/generate");
    expect(generate?.headers.authorization).toBe("Bearer nb_test");
    expect(generate?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(generate?.body ?? "")).toEqual({ prompt: "red sneaker", quality: "premium" });
    expect(generate?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(batch?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(batch?.headers["idempotency-key"]).not.toBe(generate?.headers["idempotency-key"]);
    expect(result).toMatchObject({ id: "gen_1", status: "queued", record: null, replayed: false });
    expect(result.idempotencyKey).toBe(generate?.headers["idempotency-key"]);
  });

  it("asks the service to wait with Prefer: wait=N and returns the finished record on 200", async () => {
    const record = { ...accepted, status: "completed", stage: "done" };
    const stub = stubFetch(
      json(200, record, { "preference-applied": "wait=10" }),
      json(202, accepted),
      json(202, accepted),
    );
    const nb = client(stub.fetch);
    const done = await nb.generate({ prompt: "x" }, { wait: 10 });
    expect(stub.calls[0]?.headers.prefer).toBe("wait=10");
    expect(done.record).toEqual(record);
    const late = await nb.generate({ prompt: "x" }, { wait: 600 });
    expect(stub.calls[1]?.headers.prefer).toBe("wait=60");
    expect(late.record).toBeNull();
    await nb.generate({ prompt: "x" });
    expect(stub.calls[2]?.headers.prefer).toBeUndefined();
  });
});

describe("retries", () => {
  it("retries 429 after the Retry-After the service names", async () => {
    const stub = stubFetch(
      apiError(429, "RATE_LIMITED", "slow down", { "retry-after": "1" }),
      json(202, accepted),
    );
    const result = await client(stub.fetch).generate({ prompt: "x" });
    expect(result.id).toBe("gen_1");
    const [first, second] = stub.calls;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("retries a create after a network error with the same Idempotency-Key, so it is made once", async () => {
    const stub = stubFetch(networkError(), networkError(), json(202, accepted));
    const result = await client(stub.fetch).generate({ prompt: "x" }, { idempotencyKey: "k-1" });
    expect(result.id).toBe("gen_1");
    expect(stub.calls.map((c) => c.headers["idempotency-key"])).toEqual(["k-1", "k-1", "k-1"]);
    expect(new Set(stub.calls.map((c) => c.body)).size).toBe(1);
  });

  it("keeps the generated key across retries too, and reports a replay", async () => {
    const stub = stubFetch(
      apiError(503, "SERVICE_UNAVAILABLE", "store down"),
      json(202, accepted, { "idempotent-replayed": "true" }),
    );
    const result = await client(stub.fetch).generate({ prompt: "x" });
    const keys = stub.calls.map((c) => c.headers["idempotency-key"]);
    expect(keys[0]).toBe(keys[1]);
    expect(result.replayed).toBe(true);
  });

  it("retries a 409 whose key is still being processed (Retry-After), only with a key", async () => {
    const busy = () =>
      apiError(409, "CONFLICT", "still being processed; retry shortly", { "retry-after": "0" });
    const stub = stubFetch(busy(), json(202, accepted), busy());
    const nb = client(stub.fetch);
    expect((await nb.generate({ prompt: "x" })).id).toBe("gen_1");
    await expect(nb.generations.cancel("gen_1")).rejects.toBeInstanceOf(ConflictError);
    expect(stub.calls).toHaveLength(3);
  });

  it("does not retry a network error on a POST without a key", async () => {
    const stub = stubFetch(networkError());
    const error = await client(stub.fetch)
      .generations.cancel("gen_1")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_ERROR");
    expect(stub.calls).toHaveLength(1);
  });

  it("retries GETs after network errors and 502s", async () => {
    const stub = stubFetch(
      networkError(),
      new Response("bad gateway", { status: 502 }),
      json(200, { ...accepted, stage: "queued" }),
    );
    const record = await client(stub.fetch).generations.get("gen_1");
    expect(record.id).toBe("gen_1");
    expect(stub.calls).toHaveLength(3);
  });

  it("gives up after maxRetries with the last error, its code and X-Request-Id", async () => {
    const down = () => apiError(503, "SERVICE_UNAVAILABLE", "the store is unreachable");
    const stub = stubFetch(down(), down(), down());
    const error = await client(stub.fetch, { maxRetries: 2 })
      .generate({ prompt: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({
      status: 503,
      code: "SERVICE_UNAVAILABLE",
      message: "the store is unreachable",
      requestId: "req-503",
    });
    expect((error as NanoBananaError).idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(stub.calls).toHaveLength(3);
  });

  it("does not wait out a Retry-After beyond the cap: the error says how long", async () => {
    const stub = stubFetch(apiError(429, "RATE_LIMITED", "slow down", { "retry-after": "120" }));
    const error = await client(stub.fetch, { maxRetryDelayMs: 30_000 })
      .models()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfterMs).toBe(120_000);
    expect(stub.calls).toHaveLength(1);
  });

  it("reads Retry-After as an HTTP date too", async () => {
    const soon = new Date(Date.now() + 1500).toUTCString();
    const stub = stubFetch(
      apiError(429, "RATE_LIMITED", "x", { "retry-after": soon }),
      json(200, {}),
    );
    await client(stub.fetch).models();
    expect(stub.calls).toHaveLength(2);
  });

  it("times out a request that never answers, and retries it when idempotent", async () => {
    let calls = 0;
    const fetch = async (_url: string, init?: RequestInit) => {
      calls++;
      if (calls === 1) {
        return new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
        );
      }
      return json(200, { provider: "sketch" });
    };
    const nb = new NanoBanana({ apiKey: "k", fetch, timeoutMs: 50, retryBaseMs: 1 });
    expect((await nb.models()).provider).toBe("sketch");
    expect(calls).toBe(2);
  });
});

describe("errors", () => {
  it("maps statuses to classes with status, code, message and requestId", async () => {
    const cases: Array<[Response, new (...args: never[]) => NanoBananaError, string]> = [
      [
        apiError(400, "INVALID_REQUEST", "prompt must not be empty"),
        InvalidRequestError,
        "INVALID_REQUEST",
      ],
      [apiError(401, "UNAUTHORIZED", "no key"), AuthenticationError, "UNAUTHORIZED"],
      [apiError(404, "NOT_FOUND", "no generation gen_x"), NotFoundError, "NOT_FOUND"],
      [apiError(409, "CONFLICT", "not completed"), ConflictError, "CONFLICT"],
      [apiError(413, "PAYLOAD_TOO_LARGE", "too big"), InvalidRequestError, "PAYLOAD_TOO_LARGE"],
    ];
    for (const [response, type, code] of cases) {
      const stub = stubFetch(response);
      const error = await client(stub.fetch)
        .generations.get("gen_x")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(type);
      expect(error).toBeInstanceOf(NanoBananaError);
      expect(error).toMatchObject({
        status: response.status,
        code,
        requestId: `req-${response.status}`,
      });
      expect((error as Error).name).toBe(type.name);
    }
  });

  it("keeps the status of an answer that is not the API's JSON", async () => {
    const stub = stubFetch(new Response("<html>bad gateway</html>", { status: 502 }));
    const error = await client(stub.fetch, { maxRetries: 0 })
      .models()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ status: 502, code: "HTTP_502" });
    expect((error as Error).message).toContain("bad gateway");
  });

  it("refuses to start without a key", () => {
    expect(() => new NanoBanana({ apiKey: "" })).toThrow(InvalidRequestError);
  });
});

describe("resources", () => {
  it("iterates the history across cursor pages", async () => {
    const rec = (id: string) => ({ id });
    const stub = stubFetch(
      json(200, { items: [rec("g3"), rec("g2")], nextCursor: "c1" }),
      json(200, { items: [rec("g1")], nextCursor: null }),
    );
    const ids: string[] = [];
    for await (const r of client(stub.fetch).history({ limit: 2 })) ids.push(r.id);
    expect(ids).toEqual(["g3", "g2", "g1"]);
    expect(stub.calls.map((c) => c.url)).toEqual([
      "http://api/user/me/history?limit=2",
      "http://api/user/me/history?limit=2&cursor=c1",
    ]);
  });

  it("stops the history where the caller breaks, without fetching further pages", async () => {
    const stub = stubFetch(json(200, { items: [{ id: "a" }, { id: "b" }], nextCursor: "c" }));
    for await (const r of client(stub.fetch).history()) {
      expect(r.id).toBe("a");
      break;
    }
    expect(stub.calls).toHaveLength(1);
  });

  it("downloads an image as bytes with its type", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    const stub = stubFetch(new Response(png, { headers: { "content-type": "image/png" } }));
    const image = await client(stub.fetch).generations.image("gen_1");
    expect(image.mimeType).toBe("image/png");
    expect([...image.bytes]).toEqual([...png]);
    expect(stub.calls[0]?.url).toBe("http://api/generation/gen_1/image");
  });

  it("uploads raw bytes with their type", async () => {
    const stub = stubFetch(json(201, { id: "upl_1" }));
    const upload = await client(stub.fetch).uploads.create(new Uint8Array(10), "image/png");
    expect(upload.id).toBe("upl_1");
    expect(stub.calls[0]).toMatchObject({
      method: "POST",
      url: "http://api/uploads",
      body: "<10 bytes>",
    });
    expect(stub.calls[0]?.headers["content-type"]).toBe("image/png");
  });

  it("reads cost for a day and the models", async () => {
    const stub = stubFetch(json(200, { userId: "u" }), json(200, { items: [] }));
    const nb = client(stub.fetch);
    await nb.cost({ date: new Date("2026-03-04T12:00:00Z") });
    await nb.models();
    expect(stub.calls.map((c) => c.url)).toEqual([
      "http://api/user/me/cost?date=2026-03-04",
      "http://api/models",
    ]);
  });
});
