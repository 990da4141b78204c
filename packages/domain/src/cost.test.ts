import { describe, expect, it } from "vitest";
import { costWindows, parseIsoDay } from "./cost.ts";

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
