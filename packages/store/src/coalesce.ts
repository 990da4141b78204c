/**
 * Group commit: calls made while a round trip is in flight wait for it to end, then go
 * together in the next one. Under load, dozens of requests share one write to Redis (or one
 * Firestore commit) instead of each paying its own; alone, a call goes out at once (on the
 * next turn of the event loop, with whatever else arrived in the same one), so nothing waits
 * longer than one round trip it would not otherwise have made.
 *
 * `run` answers its items in order. If it throws, every call of that group gets the error:
 * group only what succeeds or fails together (one MULTI, one commit, one script).
 */
export function coalesce<I, O>(
  run: (items: I[]) => Promise<readonly O[]>,
  options: { maxItems?: number } = {},
): (item: I) => Promise<O> {
  const maxItems = options.maxItems ?? 1000;
  type Waiting = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let running = false;
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    if (running || waiting.length === 0) return;
    running = true;
    const group = waiting.slice(0, maxItems);
    waiting = waiting.slice(group.length);
    try {
      const results = await run(group.map((w) => w.item));
      for (const [i, w] of group.entries()) w.resolve(results[i] as O);
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      running = false;
      // What arrived meanwhile has waited a round trip already: it goes now.
      if (waiting.length > 0) void flush();
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running && !scheduled) {
        scheduled = true;
        // After this turn's I/O callbacks, so requests read in the same turn go together.
        setImmediate(flush);
      }
    });
}
