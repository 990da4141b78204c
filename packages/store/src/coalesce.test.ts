import { describe, expect, it } from "vitest";
import { coalesce } from "./coalesce.ts";

const later = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe("coalesce", () => {
  it("sends calls made while a round trip runs together in the next one, each answered its own", async () => {
    const groups: number[][] = [];
    const double = coalesce(async (items: number[]) => {
      groups.push(items);
      await later();
      return items.map((n) => n * 2);
    });
    const first = double(1);
    await new Promise((resolve) => setImmediate(resolve)); // the first group is on its way
    const rest = [2, 3, 4].map(double);
    expect(await Promise.all([first, ...rest])).toEqual([2, 4, 6, 8]);
    expect(groups).toEqual([[1], [2, 3, 4]]);
  });

  it("fails every call of a group that failed, and only that group", async () => {
    let calls = 0;
    const flaky = coalesce(async (items: string[]) => {
      calls++;
      await later();
      if (calls === 1) throw new Error("redis went away");
      return items.map((s) => s.toUpperCase());
    });
    const failed = [flaky("a"), flaky("b")].map((p) => p.catch((e: Error) => e.message));
    await new Promise((resolve) => setImmediate(resolve));
    const next = flaky("c");
    expect(await Promise.all(failed)).toEqual(["redis went away", "redis went away"]);
    expect(await next).toBe("C");
  });

  it("splits what waits into groups of at most maxItems", async () => {
    const sizes: number[] = [];
    const echo = coalesce(
      async (items: number[]) => {
        sizes.push(items.length);
        return items;
      },
      { maxItems: 2 },
    );
    expect(await Promise.all([1, 2, 3, 4, 5].map(echo))).toEqual([1, 2, 3, 4, 5]);
    expect(sizes).toEqual([2, 2, 1]);
  });
});
