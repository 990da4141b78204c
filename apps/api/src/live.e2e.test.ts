import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { STAGES } from "@nanobanana/domain";
import { freePort, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Live status across processes: the API and the worker each run as their own process, as
 * `npm run start:api` and `npm run start:worker` run them; the test is only a client. The
 * worker's sketch takes 1.5 s a picture, so a stream sees the stages go by.
 */
const KEY = "live-test-key-12";
const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
const children: ChildProcess[] = [];
let base = "";
let api: ChildProcess;

function spawnApp(entry: string, env: Record<string, string>): ChildProcess {
  const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    env: { ...inherited, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const settings = {
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("live"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-live-")),
    API_KEYS: `${KEY}:lena`,
    PORT: String(port),
    RATE_LIMIT: "100000",
    LOG_LEVEL: "warn",
    SKETCH_DELAY_MS: "1500",
    WORKER_CONCURRENCY: "4",
  };
  const apps = resolve(import.meta.dirname, "../..");
  api = spawnApp(join(apps, "api/src/main.ts"), settings);
  spawnApp(join(apps, "worker/src/main.ts"), settings);
  await waitFor(
    async () =>
      (await fetch(`${base}/health`).catch(() => null))?.status === 200 ? true : undefined,
    { timeoutMs: 30_000, what: "api listening" },
  );
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))),
  );
});

interface Event {
  id: string | undefined;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads a Server-Sent Events response as a client would, until the server ends it or
 * `stopAfter` events have come; returns them with how the stream ended.
 */
async function readEvents(
  path: string,
  options: { lastEventId?: string; stopAfter?: number } = {},
): Promise<{ events: Event[]; ended: boolean; contentType: string | null }> {
  const controller = new AbortController();
  const res = await fetch(`${base}${path}`, {
    headers: {
      Authorization: headers.Authorization,
      Accept: "text/event-stream",
      ...(options.lastEventId ? { "Last-Event-ID": options.lastEventId } : {}),
    },
    signal: controller.signal,
  });
  const events: Event[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = res.body?.getReader();
  if (!reader) throw new Error("no body");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, ended: true, contentType: res.headers.get("content-type") };
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf("\n\n");
      const fields = Object.fromEntries(
        block
          .split("\n")
          .filter((line) => line && !line.startsWith(":"))
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
      );
      if (!fields.event) continue;
      events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? "{}") });
      if (options.stopAfter && events.length >= options.stopAfter) {
        controller.abort();
        return { events, ended: false, contentType: res.headers.get("content-type") };
      }
    }
  }
}

const submit = async (body: object, more: Record<string, string> = {}) => {
  const res = await fetch(`${base}/generate`, {
    method: "POST",
    headers: { ...headers, ...more },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
};

describe("live status across processes", () => {
  it("streams every stage the worker reaches, in order, and ends on the final state", async () => {
    const { body } = await submit({ prompt: "a lighthouse at dusk, live" });
    const { events, ended, contentType } = await readEvents(`/generation/${body.id}/events`);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(ended).toBe(true);
    const names = events.map((e) => e.event);
    expect(names.at(-1)).toBe("completed");
    // The 1.5 s drawing is seen; what came before it may be too quick to catch.
    expect(names).toContain("generate");
    // The stages in the order the pipeline goes through them, then the end.
    const order: string[] = [...STAGES.filter((s) => s !== "done"), "completed"];
    expect(names.map((n) => order.indexOf(n))).toEqual(
      [...names.map((n) => order.indexOf(n))].sort((a, b) => a - b),
    );
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    expect(events.at(-1)?.data).toMatchObject({ id: body.id, status: "completed", stage: "done" });
  });

  it("resumes after a dropped connection from Last-Event-ID, sending only what is newer", async () => {
    const { body } = await submit({ prompt: "a lighthouse at dusk, resumed" });
    const first = await readEvents(`/generation/${body.id}/events`, { stopAfter: 1 });
    const lastId = first.events[0]?.id;
    expect(lastId).toBeDefined();
    const rest = await readEvents(`/generation/${body.id}/events`, { lastEventId: lastId });
    expect(rest.ended).toBe(true);
    expect(rest.events.length).toBeGreaterThan(0);
    expect(rest.events.every((e) => Number(e.id) > Number(lastId))).toBe(true);
    expect(rest.events.at(-1)?.event).toBe("completed");
    // A client that already saw the end gets nothing more, and the stream closes.
    const after = await readEvents(`/generation/${body.id}/events`, {
      lastEventId: rest.events.at(-1)?.id,
    });
    expect(after).toMatchObject({ events: [], ended: true });
  });

  it("streams a batch's counts as its items end, then completed", async () => {
    const res = await fetch(`${base}/generate-batch`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        items: [
          { prompt: "red kite, live" },
          { prompt: "blue kite, live" },
          { prompt: "green kite, live" },
        ],
      }),
    });
    const { batchId } = (await res.json()) as { batchId: string };
    const { events, ended } = await readEvents(`/batch/${batchId}/events`);
    expect(ended).toBe(true);
    expect(events.at(-1)).toMatchObject({
      event: "completed",
      data: { id: batchId, total: 3, progress: 1, counts: { completed: 3 } },
    });
    expect(events.slice(0, -1).every((e) => e.event === "progress")).toBe(true);
  });

  it("answers Prefer: wait=N with the finished record when it ends in time, else with the 202", async () => {
    const waited = await submit({ prompt: "a kite over the dunes, waited" }, { Prefer: "wait=20" });
    expect(waited.res.status).toBe(200);
    expect(waited.res.headers.get("preference-applied")).toBe("wait=20");
    expect(waited.body).toMatchObject({ status: "completed", image: { mimeType: "image/png" } });

    const early = await submit({ prompt: "a kite over the sea, not waited" }, { Prefer: "wait=1" });
    expect(early.res.status).toBe(202);
    expect(early.res.headers.get("preference-applied")).toBeNull();
    expect(early.body).toMatchObject({ status: "queued", statusUrl: expect.any(String) });
  });

  it("shows a queued generation's place in the queue", async () => {
    // Four workers busy for 1.5 s each: the tenth item waits behind others.
    const res = await fetch(`${base}/generate-batch`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        items: Array.from({ length: 10 }, (_, i) => ({ prompt: `queued kite ${i}`, cache: false })),
      }),
    });
    const { ids } = (await res.json()) as { ids: string[] };
    const status = (await (
      await fetch(`${base}/generation/${ids.at(-1)}/status`, { headers })
    ).json()) as { status: string; queue?: { position: number | null; etaMs: number | null } };
    expect(status.status).toBe("queued");
    expect(status.queue?.position).toBeGreaterThanOrEqual(1);
    expect(status.queue?.position).toBeLessThanOrEqual(9);
  });

  it("compresses JSON answers for clients that ask, and never an event stream", async () => {
    const res = await fetch(`${base}/generate-batch`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        items: Array.from({ length: 8 }, (_, i) => ({ prompt: `kite ${i}` })),
      }),
    });
    const { batchId } = (await res.json()) as { batchId: string };
    const json = await fetch(`${base}/batch/${batchId}/status`, {
      headers: { ...headers, "Accept-Encoding": "gzip" },
    });
    expect(json.headers.get("content-encoding")).toBe("gzip");
    expect(((await json.json()) as { total: number }).total).toBe(8);
    const stream = await fetch(`${base}/batch/${batchId}/events`, {
      headers: { ...headers, "Accept-Encoding": "gzip" },
    });
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(stream.headers.get("content-encoding")).toBeNull();
    await stream.body?.cancel();
  });
  // Last: it stops the API.
  it("ends open event streams at shutdown, so the API stops at once and clients reconnect elsewhere", async () => {
    const res = await fetch(`${base}/generate-batch`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        items: Array.from({ length: 200 }, (_, i) => ({ prompt: `slow kite ${i}`, cache: false })),
      }),
    });
    const { ids } = (await res.json()) as { ids: string[] };
    const reading = readEvents(`/generation/${ids.at(-1)}/events`);
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<number | null>((r) => api.once("exit", (code) => r(code)));
    api.kill("SIGTERM");
    const { ended } = await reading;
    expect(ended).toBe(true);
    // A stream left open would hold the server past its shutdown deadline: exit 1.
    expect(await exited).toBe(0);
  });
});
