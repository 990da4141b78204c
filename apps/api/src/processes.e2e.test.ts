import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
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
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    const pid = primary.pid as number;
    const exited = new Promise<number | null>((r) => primary?.once("exit", (code) => r(code)));
    const base = `http://127.0.0.1:${port}`;
    const generate = async (prompt: string) =>
      (
        await fetch(`${base}/generate`, {
          method: "POST",
          headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
          body: JSON.stringify({ prompt }),
        })
      ).status;
    const twoAnswering = async () =>
      childrenOf(pid).length === 2 &&
      (await fetch(`${base}/health`).catch(() => null))?.status === 200
        ? childrenOf(pid)
        : undefined;

    const first = await waitFor(twoAnswering, { timeoutMs: 60_000, what: "two API processes" });
    expect(await Promise.all(Array.from({ length: 20 }, (_, i) => generate(`lamp ${i}`)))).toEqual(
      Array(20).fill(202),
    );

    // One dies: the port still answers (the other process), and a new one takes its place.
    process.kill(first[0] as number, "SIGKILL");
    expect(await generate("a lamp while one process is down")).toBe(202);
    const replaced = await waitFor(
      async () => {
        const now = await twoAnswering();
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
