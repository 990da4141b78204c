/** Totals over completed generations created in [from, to). */
export interface CostSummary {
  usd: number;
  savedUsd: number;
  images: number;
  cacheHits: number;
  byModel: Array<{ model: string; usd: number; images: number }>;
}

export interface CostWindow {
  /** "2026-11-24", "2026-W48" or "2026-11". */
  period: string;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The UTC day, ISO week (Monday first) and month that contain `date`. */
export function costWindows(date: Date): { day: CostWindow; week: CostWindow; month: CostWindow } {
  const day = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  const monday = day - weekday * DAY_MS;
  // ISO week-numbering: the week belongs to the year of its Thursday.
  const thursday = new Date(monday + 3 * DAY_MS);
  const isoYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / (7 * DAY_MS)) + 1;
  const monthStart = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const nextMonth = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  const at = (ms: number) => new Date(ms).toISOString();
  return {
    day: { period: isoDay(day), from: at(day), to: at(day + DAY_MS) },
    week: {
      period: `${isoYear}-W${String(week).padStart(2, "0")}`,
      from: at(monday),
      to: at(monday + 7 * DAY_MS),
    },
    month: { period: isoDay(monthStart).slice(0, 7), from: at(monthStart), to: at(nextMonth) },
  };
}

export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;
