import { describe, expect, it } from "vitest";
import {
  confidenceBucketOf,
  costSeriesWindows,
  costWindows,
  operationsHours,
  parseIsoDay,
} from "./cost.ts";

describe("costWindows", () => {
  it("gives the UTC day, ISO week and month around a date", () => {
    const w = costWindows(new Date("2026-11-24T15:30:00Z"));
    expect(w.day).toEqual({
      period: "2026-11-24",
      from: "2026-11-24T00:00:00.000Z",
      to: "2026-11-25T00:00:00.000Z",
    });
    expect(w.week).toEqual({
      period: "2026-W48",
      from: "2026-11-23T00:00:00.000Z",
      to: "2026-11-30T00:00:00.000Z",
    });
    expect(w.month).toEqual({
      period: "2026-11",
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-12-01T00:00:00.000Z",
    });
  });

  it.each([
    ["2026-01-01", "2026-W01"],
    ["2027-01-01", "2026-W53"],
    ["2024-12-30", "2025-W01"],
    ["2021-01-03", "2020-W53"],
  ])("numbers ISO weeks across year ends: %s is %s", (date, week) => {
    expect(costWindows(new Date(`${date}T12:00:00Z`)).week.period).toBe(week);
  });
});

describe("parseIsoDay", () => {
  it.each(["2026-11-24", "2028-02-29", "2026-12-31", "2000-01-01"])(
    "reads %s as noon UTC that day",
    (text) => {
      expect(parseIsoDay(text)?.toISOString()).toBe(`${text}T12:00:00.000Z`);
    },
  );

  it.each([
    "2026-02-31",
    "2026-02-29",
    "2026-04-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-1-1",
    "0050-06-15",
    "0100-01-01",
    "1999-12-31",
    "2026-01-01T00:00:00Z",
    " 2026-01-01",
    "",
  ])("refuses %j", (text) => {
    expect(parseIsoDay(text)).toBeUndefined();
  });
});

describe("costSeriesWindows", () => {
  const at = new Date("2026-03-31T23:30:00Z");
  it("lists days, weeks and months up to the date's own, oldest first", () => {
    expect(costSeriesWindows(at, "day", 3).map((w) => w.period)).toEqual([
      "2026-03-29",
      "2026-03-30",
      "2026-03-31",
    ]);
    expect(costSeriesWindows(at, "week", 2).map((w) => w.period)).toEqual(["2026-W13", "2026-W14"]);
    // From a 31st, across February and a year end: no month skipped or repeated.
    expect(costSeriesWindows(at, "month", 5).map((w) => w.period)).toEqual([
      "2025-11",
      "2025-12",
      "2026-01",
      "2026-02",
      "2026-03",
    ]);
  });
});

describe("operations hours", () => {
  it("names the hours up to now, oldest first, across midnight", () => {
    expect(operationsHours(new Date("2026-11-26T01:59:59Z"), 3)).toEqual([
      "2026-11-25T23",
      "2026-11-26T00",
      "2026-11-26T01",
    ]);
  });
  it("buckets confidence by tenths, 1.0 in the top bucket", () => {
    expect([0, 0.05, 0.1, 0.55, 0.95, 1].map(confidenceBucketOf)).toEqual([0, 0, 1, 5, 9, 9]);
  });
});
