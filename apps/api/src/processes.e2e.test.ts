import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { afterEach, describe, expect, it } from "vitest";

/** `npm run start:api` with API_PROCESSES: several API processes on one port, supervised. */
const KEY = "processes-test-key";
let primary: ChildProcess | undefined;
afterEach(() => {
  if (primary && primary.exitCode === null && primary.signalCode === null) primary.kill("SIGKILL");
});

const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
};

describe("API_PROCESSES", () => {
  it("runs that many API processes on one port, replaces one that dies, and stops them all on SIGTERM", async () => {
    const port = await freePort();
    const { REDIS_URL: _r, API_KEYS: _k, ...inherited } = process.env;
    primary = spawn(
      process.execPath,
      ["--import", "tsx", resolve(import.meta.dirname, "main.ts")],
      {
        env: {
          ...inherited,
          REDIS_URL: testRedisUrl(),
          KEY_PREFIX: uniquePrefix("processes"),
          DATA_DIR: mkdtempSync(join(tmpdir(), "nb-processes-")),
          API_KEYS: `${KEY}:pat`,
          PORT: String(port),
          API_PROCESSES: "2",
          LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    // The primary says when each process listens (with all listening, none is still starting).
    const listening: number[] = [];
    let partial = "";
    primary.stdout?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line.includes('"api process listening"'))
          listening.push((JSON.parse(line) as { pid: number }).pid);
      }
    });
    const pid = primary.pid as number;
    const exited = new Promise<number | null>((r) => primary?.once("exit", (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    // A fresh connection each time: a kept-alive one may belong to the process killed below.
    const generate = (prompt: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${base}/generate`,
          {
            method: "POST",
            agent: false,
            headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ prompt }));
      });
    const twoListening = () => {
      const children = childrenOf(pid);
      return children.length === 2 && children.every((c) => listening.includes(c))
        ? children
        : undefined;
    };

    const first = await waitFor(twoListening, { timeoutMs: 60_000, what: "two API processes" });
    expect(await Promise.all(Array.from({ length: 20 }, (_, i) => generate(`lamp ${i}`)))).toEqual(
      Array(20).fill(202),
    );

    // One dies: once the primary has seen it go (it is reaped), the port answers from the
    // other process while the replacement starts a second later; then a new one is there.
    process.kill(first[0] as number, "SIGKILL");
    await waitFor(() => (childrenOf(pid).includes(first[0] as number) ? undefined : true), {
      intervalMs: 10,
      what: "the primary to see its process die",
    });
    expect(await generate("a lamp while one process is down")).toBe(202);
    const replaced = await waitFor(
      () => {
        const now = twoListening();
        return now && !now.includes(first[0] as number) ? now : undefined;
      },
      { timeoutMs: 60_000, what: "a replacement process" },
    );
    expect(replaced).toContain(first[1]);

    primary.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(childrenOf(pid)).toEqual([]);
    for (const child of replaced) expect(() => process.kill(child, 0)).toThrow();
  });
});
