import {
  type GenerationRecord,
  type GenerationStatus,
  newGenerationRecord,
  newId,
} from "@nanobanana/domain";
import { createRedisStore } from "@nanobanana/store";
import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll, describe, expect, it } from "vitest";
import { findHistory, HISTORY_SCAN_LIMIT } from "./history.ts";

const redis = testRedis();
afterAll(() => redis.quit());

const request = { prompt: "p", quality: "standard", aspectRatio: "1:1", format: "png" } as const;
const HOUR = 3_600_000;
// Within the retention, which trims older history as records are accepted.
const start = Date.now() - 60 * 24 * HOUR;

/** `n` records of one user, one an hour; every third failed, domains alternating. */
async function history(n: number) {
  const store = createRedisStore(redis, uniquePrefix("history"));
  const records: GenerationRecord[] = Array.from({ length: n }, (_, i) => {
    const at = start + i * HOUR;
    const status: GenerationStatus = i % 3 === 0 ? "failed" : "completed";
    return {
      ...newGenerationRecord({ id: newId("gen", at), userId: "u", request, now: new Date(at) }),
      status,
      classification: {
        domain: i % 2 === 0 ? "photography" : "diagrams",
        subcategory: i % 2 === 0 ? "product" : "flowchart",
        confidence: 0.9,
      },
    } as GenerationRecord;
  });
  await store.accept({ records });
  return { store, records };
}

/** Every page of a query, followed by cursor. */
async function all(
  store: Parameters<typeof findHistory>[0],
  query: Omit<Parameters<typeof findHistory>[2], "cursor">,
) {
  const out: GenerationRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await findHistory(store, "u", { ...query, cursor });
    out.push(...page.items);
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
  throw new Error("history did not end");
}

describe("findHistory", () => {
  it("filters by status and domain across pages, newest first, missing nothing", async () => {
    const { store, records } = await history(30);
    const want = records
      .filter((r) => r.status === "failed" && r.classification?.domain === "photography")
      .reverse()
      .map((r) => r.id);
    expect(want.length).toBe(5);
    const got = await all(store, { limit: 2, status: "failed", domain: "photography" });
    expect(got.map((r) => r.id)).toEqual(want);
  });

  it("keeps to a date range (from inclusive, to exclusive)", async () => {
    const { store, records } = await history(30);
    const got = await all(store, {
      limit: 4,
      from: new Date(start + 10 * HOUR - 1000),
      to: new Date(start + 15 * HOUR - 1000),
    });
    expect(got.map((r) => r.id)).toEqual(
      records
        .slice(10, 15)
        .reverse()
        .map((r) => r.id),
    );
  });

  it("answers a rare filter in bounded pages, each with a cursor to read on", async () => {
    const { store, records } = await history(HISTORY_SCAN_LIMIT + 300);
    const first = await findHistory(store, "u", { limit: 10, status: "canceled" });
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    const second = await findHistory(store, "u", {
      limit: 10,
      status: "canceled",
      cursor: first.nextCursor ?? undefined,
    });
    expect(second).toEqual({ items: [], nextCursor: null });
    expect(records.length).toBe(1300);
  });

  it("without filters is the plain history", async () => {
    const { store, records } = await history(5);
    const page = await findHistory(store, "u", { limit: 3 });
    expect(page.items.map((r) => r.id)).toEqual(
      records
        .slice(2)
        .reverse()
        .map((r) => r.id),
    );
    expect(page.nextCursor).toBe(records[2]?.id);
  });
});
