/**
 * Delay before retry number `retry` (0-based), ±10% jitter so a receiver that came back
 * is not hit by every delivery at once; a longer Retry-After wins. Null when the schedule is spent.
 */
export function nextRetryDelay(
  schedule: readonly number[],
  retry: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number | null {
  const base = schedule[retry];
  if (base === undefined) return null;
  const jittered = Math.round(base * (0.9 + random() * 0.2));
  return Math.max(jittered, retryAfterMs ?? 0);
}
