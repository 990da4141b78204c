import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { waitFor } from "@nanobanana/testing";
import sharp from "sharp";
import { afterEach, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const MAIN = join(ROOT, "apps/local/src/main.ts");
const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

interface Started {
  child: ChildProcess;
  base: string;
  key: string;
  stdout: () => string;
  exit: Promise<number | null>;
}

/** Starts `npm start`'s entry point as a user would: no REDIS_URL, no API_KEYS. */
function startLocal(dataDir: string, env: Record<string, string> = {}): ChildProcess {
  const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: ROOT,
    env: { ...inherited, PORT: "0", DATA_DIR: dataDir, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  return child;
}

function collect(child: ChildProcess) {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { out: () => out, err: () => err, exit };
}

async function startAndWait(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const child = startLocal(dataDir, env);
  const output = collect(child);
  const banner = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.err()}`);
      return /Press Ctrl\+C to stop/.test(output.out()) ? output.out() : undefined;
    },
    { timeoutMs: 30_000, what: "the start banner" },
  );
  const base = banner.match(/running on (http:\/\/localhost:\d+)/)?.[1];
  const key = banner.match(/^\s+(nb_[\w-]+)$/m)?.[1];
  if (!base || !key) throw new Error(`banner without URL or key:\n${banner}`);
  return { child, base, key, stdout: output.out, exit: output.exit };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm start on a fresh machine", () => {
  it("starts redis, makes a key, and the printed curl command gets an image generated", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nb-e2e-"));
    const app = await startAndWait(dataDir);
    expect(app.stdout()).toMatch(/Your API key \(new\)/);

    const curlLine = app.stdout().match(/^\s+(curl -s -X POST .*)$/m)?.[1];
    expect(curlLine).toBeDefined();
    const { stdout } = await promisify(execFile)("sh", ["-c", curlLine ?? "false"]);
    const accepted = JSON.parse(stdout) as { id: string; status: string; statusUrl: string };
    expect(accepted.status).toBe("queued");

    const auth = { Authorization: `Bearer ${app.key}` };
    const record = await waitFor(
      async () => {
        const body = (await (await fetch(accepted.statusUrl, { headers: auth })).json()) as Record<
          string,
          unknown
        >;
        return body.status === "completed" || body.status === "failed" ? body : undefined;
      },
      { what: "completed" },
    );
    expect(record.status).toBe("completed");

    const image = await fetch((record.image as { url: string }).url, { headers: auth });
    expect(image.status).toBe(200);
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect(meta.format).toBe("png");
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeGreaterThanOrEqual(1024);

    const redisPid = Number(readFileSync(join(dataDir, "redis", "redis.pid"), "utf8"));
    expect(isAlive(redisPid)).toBe(true);
    app.child.kill("SIGTERM");
    expect(await app.exit).toBe(0);
    expect(isAlive(redisPid)).toBe(false);
  });

  it("finishes accepted work on SIGTERM and keeps it across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "nb-e2e-"));
    const first = await startAndWait(dataDir, { SKETCH_DELAY_MS: "1500", WORKER_CONCURRENCY: "2" });
    const auth = { Authorization: `Bearer ${first.key}`, "Content-Type": "application/json" };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${first.base}/generate`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ prompt: `lighthouse number ${i}` }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    // Stop while two are being drawn and two are still waiting in the queue.
    await waitFor(async () => {
      const res = await fetch(`${first.base}/generation/${ids[0]}/status`, { headers: auth });
      return ((await res.json()) as { status: string }).status === "processing" ? true : undefined;
    });
    first.child.kill("SIGTERM");
    expect(await first.exit).toBe(0);

    const second = await startAndWait(dataDir);
    expect(second.key).toBe(first.key);
    expect(second.stdout()).not.toMatch(/\(new\)/);
    for (const id of ids) {
      const record = await waitFor(
        async () => {
          const res = await fetch(`${second.base}/generation/${id}/status`, { headers: auth });
          const body = (await res.json()) as { status: string; attempts: number };
          return body.status === "completed" ? body : undefined;
        },
        { what: `${id} completed after restart` },
      );
      // Finished by the first process or picked up by the second; never run twice over.
      expect(record.attempts).toBe(1);
    }
    second.child.kill("SIGTERM");
    expect(await second.exit).toBe(0);
  });

  it("says how to install redis-server when it is missing", async () => {
    const child = startLocal(mkdtempSync(join(tmpdir(), "nb-e2e-")), {
      REDIS_SERVER_BIN: "/nonexistent/redis-server",
    });
    const output = collect(child);
    expect(await output.exit).toBe(1);
    expect(output.err() + output.out()).toMatch(
      /redis-server is not installed.*apt-get install -y redis-server.*REDIS_URL/s,
    );
  });

  it("refuses a bad configuration with a message naming the variable", async () => {
    const child = startLocal(mkdtempSync(join(tmpdir(), "nb-e2e-")), { PORT: "http" });
    const output = collect(child);
    expect(await output.exit).toBe(1);
    expect(output.err()).toMatch(/Invalid configuration:\n {2}- PORT: .*got "http"/);
  });
});
