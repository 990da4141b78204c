import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startApi } from "@nanobanana/api";
import { NanoBanana } from "@nanobanana/client";
import { loadConfig } from "@nanobanana/config";
import { createLogger } from "@nanobanana/logger";
import { freePort, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { startWorker } from "@nanobanana/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST_NAME, type Manifest } from "./batch-run.ts";
import { runCli } from "./cli.ts";

/**
 * The CLI as a user runs it: a child process against the real API and worker (sketch at
 * 150 ms a picture, so a run can be interrupted half-way), killed outright, then run again.
 */
// The `nanobanana` bin itself (it runs the TypeScript source through tsx).
const BIN = resolve(import.meta.dirname, "../bin/nanobanana.js");
const USERS = { alice: "cli-alice-key-1", bob: "cli-bob-key-12", carol: "cli-carol-key-1" };
const logger = createLogger({ service: "test", level: "silent" });
const children: ChildProcess[] = [];
let stopApi: () => Promise<void>;
let stopWorker: () => Promise<void>;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("cli"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-cli-e2e-")),
    API_KEYS: Object.entries(USERS)
      .map(([user, key]) => `${key}:${user}`)
      .join(","),
    PORT: String(port),
    RATE_LIMIT: "100000",
    SKETCH_DELAY_MS: "150",
    WORKER_CONCURRENCY: "4",
  });
  const worker = await startWorker(config, logger);
  const api = await startApi(config, logger);
  stopApi = () => api.close();
  stopWorker = () => worker.close();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await stopApi?.();
  await stopWorker?.();
});

function cli(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const { NANOBANANA_API_KEY: _k, NANOBANANA_URL: _u, DATA_DIR: _d, ...inherited } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...inherited, NANOBANANA_URL: base, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

const PRODUCTS = ["sneaker", "mug", "watch", "lamp", "backpack", "chair", "bottle", "phone"];
const COLOURS = ["red", "blue", "green", "black", "white", "navy"];
const prompts = (n: number, tag: string) =>
  Array.from(
    { length: n },
    (_, i) =>
      `${COLOURS[i % COLOURS.length]} ${PRODUCTS[i % PRODUCTS.length]} number ${i + 1} ${tag}`,
  );

async function historyCount(key: string): Promise<Map<string, number>> {
  const nb = new NanoBanana({ apiKey: key, baseUrl: base });
  const byPrompt = new Map<string, number>();
  for await (const record of nb.history({ limit: 100 })) {
    byPrompt.set(record.prompt, (byPrompt.get(record.prompt) ?? 0) + 1);
  }
  return byPrompt;
}

const images = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".png"))
    .sort();

describe("nanobanana batch", () => {
  it("resumes an interrupted run of 50 prompts without generating any twice", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-cli-batch-"));
    const list = prompts(50, "resume");
    writeFileSync(join(dir, "prompts.txt"), `${list.join("\n")}\n`);
    const env = { NANOBANANA_API_KEY: USERS.alice };
    const out = join(dir, "out");

    const first = cli(["batch", "prompts.txt", "--out", "out"], { cwd: dir, env });
    await waitFor(
      () => {
        if (first.child.exitCode !== null) throw new Error(`ended early: ${first.stderr()}`);
        return existsSync(out) && images(out).length >= 8 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: "the first images" },
    );
    first.child.kill("SIGKILL");
    await first.exit;
    const before = images(out).length;
    expect(before).toBeLessThan(50);

    const second = cli(["--json", "batch", "prompts.txt", "--out", "out"], { cwd: dir, env });
    expect(await second.exit).toBe(0);
    const summary = JSON.parse(second.stdout()) as {
      total: number;
      completed: number;
      failed: number;
      resumed: number;
    };
    expect(summary).toMatchObject({ total: 50, completed: 50, failed: 0 });
    expect(summary.resumed).toBeGreaterThan(0);
    expect(summary.resumed).toBeLessThan(50);

    // Every row has its file, named by row.
    const files = images(out);
    expect(files).toHaveLength(50);
    expect(files[0]).toBe("0001-red-sneaker-number-1-resume.png");
    expect(files[49]).toMatch(/^0050-/);

    // The manifest says so: one batch, 50 distinct generations, all completed with their file.
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_NAME), "utf8")) as Manifest;
    expect(manifest.batches).toHaveLength(1);
    expect(
      manifest.rows.every((r) => r.status === "completed" && r.file && files.includes(r.file)),
    ).toBe(true);
    expect(new Set(manifest.rows.map((r) => r.generationId)).size).toBe(50);

    // And the service drew each prompt once.
    const counts = await historyCount(USERS.alice);
    expect(counts.size).toBe(50);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);

    // A third run has nothing left to do.
    const third = cli(["batch", "prompts.txt", "--out", "out"], { cwd: dir, env });
    expect(await third.exit).toBe(0);
    expect(third.stdout()).toMatch(/50\/50 images .* \(50 from an earlier run\), 0 failed/);
  });

  it("a create whose answer was lost is sent again with the same key: the same batch, paid once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-cli-lost-"));
    writeFileSync(
      join(dir, "prompts.jsonl"),
      prompts(5, "lost")
        .map((p) => JSON.stringify({ prompt: p }))
        .join("\n"),
    );
    const io = (fetchImpl?: typeof fetch, signal?: AbortSignal) => {
      let stdout = "";
      let stderr = "";
      return {
        io: {
          stdout: { write: (s: string) => (stdout += s) },
          stderr: { write: (s: string) => (stderr += s) },
          env: { NANOBANANA_API_KEY: USERS.bob, NANOBANANA_URL: base },
          cwd: dir,
          ...(signal ? { signal } : {}),
          ...(fetchImpl ? { fetch: fetchImpl } : {}),
        },
        out: () => stdout,
        err: () => stderr,
      };
    };
    // First run: the service accepts the batch, but the answer never reaches the CLI (it is
    // stopped while waiting, as a killed process would be).
    const controller = new AbortController();
    const dropAnswer: typeof fetch = async (url, init) => {
      const response = await fetch(url, init);
      if (String(url).endsWith("/generate-batch")) {
        controller.abort();
        throw new DOMException("the connection dropped", "AbortError");
      }
      return response;
    };
    const lost = io(dropAnswer, controller.signal);
    expect(await runCli(["batch", "prompts.jsonl", "--out", "out"], lost.io)).toBe(1);
    const manifest = JSON.parse(readFileSync(join(dir, "out", MANIFEST_NAME), "utf8")) as Manifest;
    expect(manifest.batches).toHaveLength(1);
    expect(manifest.batches[0]?.batchId).toBeNull();
    expect(manifest.rows.every((r) => r.status === "pending" && r.idempotencyKey)).toBe(true);

    const again = io();
    expect(await runCli(["batch", "prompts.jsonl", "--out", "out"], again.io)).toBe(0);
    expect(again.err()).toMatch(/already accepted as bat_\w+; not paid twice/);
    expect(images(join(dir, "out"))).toHaveLength(5);
    const counts = await historyCount(USERS.bob);
    expect(counts.size).toBe(5);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});

describe("nanobanana with npm start's key file", () => {
  it("generates, shows status and watches with no key given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-cli-local-"));
    mkdirSync(join(dir, ".data"));
    writeFileSync(
      join(dir, ".data", "local-api-key.json"),
      JSON.stringify({ key: USERS.carol, userId: "carol" }),
    );
    // Into a folder that does not exist yet: it is made before anything is drawn.
    const generate = cli(
      ["generate", "a navy and gold watch", "-o", "shots/watches/watch.webp", "--json"],
      { cwd: dir },
    );
    expect(await generate.exit).toBe(0);
    const result = JSON.parse(generate.stdout()) as { id: string; file: string; status: string };
    expect(result.status).toBe("completed");
    expect(result.file).toBe(join(dir, "shots", "watches", "watch.webp"));
    expect(readFileSync(result.file).subarray(8, 12).toString()).toBe("WEBP");

    const watch = cli(["watch", result.id, "--json"], { cwd: dir });
    expect(await watch.exit).toBe(0);
    const events = watch
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { event: string; via: string });
    expect(events).toEqual([expect.objectContaining({ event: "completed", via: "sse" })]);

    const status = cli(["status", result.id], { cwd: dir });
    expect(await status.exit).toBe(0);
    expect(status.stdout()).toMatch(/completed \(done\)/);
  });
});
