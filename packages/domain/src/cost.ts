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

/**
 * Noon UTC of a calendar day written YYYY-MM-DD, or undefined when there is no such day:
 * "2026-02-31" is refused, where Date would quietly read it as March 3.
 */
export function parseIsoDay(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
  // No costs exist before the service did; years 0-99 would also read as 1900-1999 below.
  if (year < 2000) return undefined;
  const date = new Date(Date.UTC(2000, 0, 1, 12));
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear: years 0-99 stay themselves
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return real ? date : undefined;
}

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

/** The day, ISO week and month a generation created at `iso` counts towards. */
export function costPeriodsOf(iso: string): [day: string, week: string, month: string] {
  const { day, week, month } = costWindows(new Date(iso));
  return [day.period, week.period, month.period];
}
