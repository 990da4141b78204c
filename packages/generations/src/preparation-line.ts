/**
 * Generation jobs get ready for the model in the order the worker took them.
 *
 * A worker that takes many jobs at once (a batch arriving, or WORKER_PREFETCH holding jobs
 * beyond its drawing slots) starts them all together; left to the event loop, each one advances
 * a Redis round trip at a time, so all of them are ready together, and late: the first drawing
 * waits for the last job's classification. In the line at most `width` jobs prepare at once,
 * first come first served, so the first ones draw while the rest prepare (the slow-model bench,
 * in turns: 88.7–89.0% of ideal without it, 91.8–93.7% with it).
 *
 * A job leaves the line when it is ready to draw (`ready()`: it reached the generate stage and
 * now waits for a drawing slot, never holding its place meanwhile), when its work ends, or after
 * `maxHoldMs`, whichever comes first: a slow step (a reference download, a second opinion, a
 * wait on another job's cache lock) holds the jobs behind it up for that long at most. A
 * preparation takes a few Redis round trips, milliseconds, so the hold is only a backstop.
 */
export interface PreparationLine {
  /** Runs `work` when its turn comes; `work` calls `ready` once the rest may go ahead. */
  join<T>(work: (ready: () => void) => Promise<T>): Promise<T>;
  /** Jobs waiting for their turn. */
  readonly waiting: number;
}

export function preparationLine(
  /** Enough to keep Redis busy with round trips; few enough that jobs get ready in order. */
  width = 16,
  { maxHoldMs = 50 }: { maxHoldMs?: number } = {},
): PreparationLine {
  if (!Number.isInteger(width) || width < 1) throw new RangeError("width must be 1 or more");
  let free = width;
  const queue: Array<() => void> = [];
  const passTurn = () => {
    const next = queue.shift();
    if (next) next();
    else free++;
  };
  return {
    get waiting() {
      return queue.length;
    },
    async join(work) {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => queue.push(resolve));
      let inLine = true;
      const leave = () => {
        if (!inLine) return;
        inLine = false;
        clearTimeout(timer);
        passTurn();
      };
      const timer = setTimeout(leave, maxHoldMs);
      timer.unref();
      try {
        return await work(leave);
      } finally {
        leave();
      }
    },
  };
}
