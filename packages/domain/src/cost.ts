/** Totals over completed generations created in [from, to). */
export interface CostSummary {
  usd: number;
  savedUsd: number;
  images: number;
  cacheHits: number;
  byModel: Array<{ model: string; usd: number; images: number }>;
  /** The same spend by quality tier (draft, standard, premium). */
  byQuality: Array<{ quality: string; usd: number; images: number }>;
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

export const COST_SERIES_UNITS = ["day", "week", "month"] as const;
export type CostSeriesUnit = (typeof COST_SERIES_UNITS)[number];

/** The `count` days, ISO weeks or months up to and including the one of `date`, oldest first. */
export function costSeriesWindows(date: Date, unit: CostSeriesUnit, count: number): CostWindow[] {
  const noon = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), 12);
  return Array.from({ length: count }, (_, i) => {
    const back = count - 1 - i;
    if (unit === "day") return costWindows(new Date(noon - back * DAY_MS)).day;
    if (unit === "week") return costWindows(new Date(noon - back * 7 * DAY_MS)).week;
    // The 15th of each month back: never skipped or repeated, whatever the month's length.
    const mid = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - back, 15, 12));
    return costWindows(mid).month;
  });
}

export const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The day, ISO week and month a generation created at `iso` counts towards. */
export function costPeriodsOf(iso: string): [day: string, week: string, month: string] {
  const { day, week, month } = costWindows(new Date(iso));
  return [day.period, week.period, month.period];
}

/**
 * The service's own totals of one UTC hour ("2026-11-26T02"), by when generations ended:
 * what the operations page charts (outcomes, error codes, classifier confidence).
 */
export interface OperationsTotals {
  completed: number;
  failed: number;
  canceled: number;
  cacheHits: number;
  usd: number;
  /** Failed generations by error code. */
  errors: Record<string, number>;
  /** Classifier confidence of the generations that ended, in ten buckets of 0.1 (0.9-1 last). */
  confidence: number[];
}

export const CONFIDENCE_BUCKETS = 10;

/** The confidence bucket (0-9) of a classifier confidence in [0, 1]. */
export const confidenceBucketOf = (confidence: number): number =>
  Math.min(CONFIDENCE_BUCKETS - 1, Math.max(0, Math.floor(confidence * CONFIDENCE_BUCKETS)));

/** The UTC hour an ISO time falls in, as operations totals name it: "2026-11-26T02". */
export const operationsHourOf = (iso: string): string => new Date(iso).toISOString().slice(0, 13);

/** The `count` UTC hours up to and including the one of `now`, oldest first. */
export function operationsHours(now: Date, count: number): string[] {
  const hour = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: count }, (_, i) =>
    new Date(hour - (count - 1 - i) * 3_600_000).toISOString().slice(0, 13),
  );
}

export const emptyOperationsTotals = (): OperationsTotals => ({
  completed: 0,
  failed: 0,
  canceled: 0,
  cacheHits: 0,
  usd: 0,
  errors: {},
  confidence: Array.from({ length: CONFIDENCE_BUCKETS }, () => 0),
});
