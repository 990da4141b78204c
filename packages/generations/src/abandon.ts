import { announceChanges, type NotifyDeps, notifyFinished } from "./notify.ts";

/**
 * Ends a generation whose job BullMQ gave up on without running our handler: a job that
 * stalled more than BullMQ allows (its worker died twice while drawing it) is failed by BullMQ
 * directly. Without this its record would stay "processing" and its batch never complete.
 * Idempotent: a record that already ended is left alone.
 */
export async function failAbandoned(
  notify: NotifyDeps,
  generationId: string,
  reason: string,
): Promise<boolean> {
  const [failed] = await notify.store.finishGenerations(
    [
      {
        id: generationId,
        patch: {
          status: "failed",
          error: {
            code: "INTERNAL",
            message: `the workers running it stopped while drawing it, more than once (${reason}); not retried again`,
            retryable: false,
          },
          completedAt: new Date().toISOString(),
        },
      },
    ],
    { onlyIfStatusIn: ["queued", "processing"] },
  );
  if (failed) {
    announceChanges(notify, [failed]);
    await notifyFinished(notify, failed);
  }
  return failed !== undefined;
}
