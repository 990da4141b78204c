import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { preparationLine } from "./preparation-line.ts";

/** A job whose steps are logged; it calls `ready` after `readyAfter` steps, then takes `rest` more. */
const job =
  (name: string, log: string[], readyAfter: number, rest = 2) =>
  async (ready: () => void) => {
    for (let step = 1; step <= readyAfter + rest; step++) {
      log.push(`${name}${step}`);
      if (step === readyAfter) ready();
      await sleep(1);
    }
    return name;
  };

describe("the preparation line", () => {
  it("prepares jobs one after another in arrival order, and a ready job lets the next start while it goes on", async () => {
    const line = preparationLine(1, { maxHoldMs: 60_000 });
    const log: string[] = [];
    const results = await Promise.all([
      line.join(job("a", log, 3)),
      line.join(job("b", log, 3)),
      line.join(job("c", log, 3)),
    ]);
    expect(results).toEqual(["a", "b", "c"]);
    // Each job's preparation (steps 1–3) runs alone and in order; its remaining steps overlap
    // the next job's preparation.
    const prepared = log.filter((s) => /[123]$/.test(s));
    expect(prepared).toEqual(["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"]);
    expect(log.indexOf("a4")).toBeGreaterThan(log.indexOf("a3"));
    expect(log.indexOf("b1")).toBeLessThan(log.indexOf("a5"));
  });

  it("lets `width` jobs prepare at once, and the rest wait in order", async () => {
    const line = preparationLine(2, { maxHoldMs: 60_000 });
    const log: string[] = [];
    const all = Promise.all(["a", "b", "c", "d"].map((n) => line.join(job(n, log, 2))));
    expect(line.waiting).toBe(2);
    await all;
    expect(log.slice(0, 2).sort()).toEqual(["a1", "b1"]);
    expect(log.indexOf("c1")).toBeLessThan(log.indexOf("d1"));
    expect(line.waiting).toBe(0);
  });

  it("passes the turn on when a job ends without saying it is ready, and when it fails", async () => {
    const line = preparationLine(1);
    const failed = line.join(async () => {
      throw new Error("the record is gone");
    });
    const ended = line.join(async () => "cache hit");
    const next = line.join(async () => "drawn");
    await expect(failed).rejects.toThrow("the record is gone");
    expect(await ended).toBe("cache hit");
    expect(await next).toBe("drawn");
  });

  it("does not let a slow step hold the line up past maxHoldMs", async () => {
    const line = preparationLine(1, { maxHoldMs: 20 });
    const log: string[] = [];
    const slow = line.join(async () => {
      log.push("slow started");
      await sleep(1_000);
      log.push("slow ended");
    });
    const quick = line.join(async () => {
      log.push("quick started");
    });
    await quick;
    await slow;
    // The quick job started once the slow one's hold ran out, before the slow one ended.
    expect(log).toEqual(["slow started", "quick started", "slow ended"]);
  });

  it("turns down a width below 1", () => {
    expect(() => preparationLine(0)).toThrow(RangeError);
  });
});
