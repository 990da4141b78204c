import type { GenerationRecord } from "@nanobanana/domain";
import { TERMINAL_STATUSES } from "@nanobanana/domain";
import type { ChangeListener } from "@nanobanana/live";
import type { GenerationStore } from "@nanobanana/store";
import type { Request } from "express";

/** Runs `task` at most once at a time; a call while it runs makes it run once more after. */
export function coalesced(task: () => Promise<void>) {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running !== null) {
      again = true;
      return running;
    }
    running = task()
      .catch(() => undefined)
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          void run();
        }
      });
    return running;
  };
  return run;
}

/**
 * `Prefer: wait=N` on POST /generate: resolves with the record once it has ended, or null
 * after N seconds (or when the client hangs up).
 */
export async function waitForEnd(
  deps: {
    store: Pick<GenerationStore, "getGeneration">;
    listener: Pick<ChangeListener, "onGeneration">;
  },
  id: string,
  seconds: number,
  abandoned: Promise<void>,
): Promise<GenerationRecord | null> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (record: GenerationRecord | null) => {
      if (settled) return;
      settled = true;
      stop();
      clearTimeout(timer);
      resolve(record);
    };
    const check = coalesced(async () => {
      const record = await deps.store.getGeneration(id);
      if (record && TERMINAL_STATUSES.includes(record.status)) finish(record);
    });
    const stop = deps.listener.onGeneration(id, () => void check());
    const timer = setTimeout(() => finish(null), seconds * 1000);
    void abandoned.then(() => finish(null));
    void check();
  });
}

/** N from `Prefer: wait=N`, capped at 60; undefined when the header asks nothing of us. */
export function preferredWait(req: Request): number | undefined {
  const match = req.get("prefer")?.match(/(?:^|[,;\s])wait=(\d{1,4})\b/i);
  if (!match) return undefined;
  return Math.min(60, Math.max(1, Number(match[1])));
}
