import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalRedis } from "./index.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a local redis-server per DATA_DIR", () => {
  it("refuses to take over a directory whose owner is still running, and names it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-owned-"));
    // Another live process owns it (as a second `npm start` would find the first).
    const other = spawn("sleep", ["30"]);
    cleanups.push(() => other.kill());
    writeFileSync(join(dir, "owner.pid"), String(other.pid));
    await expect(startLocalRedis({ dir })).rejects.toThrow(
      new RegExp(`another process \\(pid ${other.pid}\\) is already running a redis-server`),
    );
  });

  it("takes over a directory whose owner died, and can restart its own server there", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nb-orphan-"));
    writeFileSync(join(dir, "owner.pid"), "999999"); // no such process
    const first = await startLocalRedis({ dir });
    await first.stop();
    const again = await startLocalRedis({ dir });
    cleanups.push(() => again.stop());
    expect(again.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
  });
});
