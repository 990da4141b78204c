import {
  type GenerationRecord,
  STAGES,
  summarizeBatch,
  TERMINAL_STATUSES,
} from "@nanobanana/domain";
import { type ChangeListener, openEventStream } from "@nanobanana/live";
import { type Request, Router } from "express";
import { coalesced } from "../waiting.ts";
import { loadOwnedBatch, readSettledBatch } from "./batches.ts";
import {
  baseUrlOf,
  type GenerationRouteDeps,
  loadOwnedGeneration,
  presentWithQueue,
} from "./generations.ts";

export interface EventRouteDeps extends GenerationRouteDeps {
  /** The streams open now, so a shutdown can end them (an open stream holds its connection). */
  openStreams?: Set<{ end(): void }>;
  /** Milliseconds between heartbeat comments (15 s). */
  heartbeatMs?: number;
}

/** The event a record's state is named by: its status when queued or ended, else its stage. */
const eventNameOf = (record: Pick<GenerationRecord, "status" | "stage">) =>
  record.status === "processing" ? record.stage : record.status;

/**
 * An event id that grows with every change: the update time, then how far the record has
 * got (two changes can share a millisecond; a later stage still counts as newer).
 */
const versionOf = (record: Pick<GenerationRecord, "status" | "stage" | "updatedAt">) =>
  Date.parse(record.updatedAt) * 100 +
  (TERMINAL_STATUSES.includes(record.status) ? 90 : STAGES.indexOf(record.stage));

/** The Last-Event-ID a reconnecting client sends: events at or below it are not sent again. */
const lastEventIdOf = (req: Request) => {
  const raw = req.get("last-event-id");
  return raw && /^\d{1,20}$/.test(raw) ? Number(raw) : 0;
};

/**
 * GET /generation/:id/events and GET /batch/:id/events: live status as Server-Sent Events.
 * A change anywhere (the worker's stages, a cancel in another API process) arrives as a
 * nudge on Redis pub/sub; the stream then reads the store, the source of truth, and sends
 * what is new. The current state goes out at once; the stream ends after the final one.
 */
export function eventRoutes(
  deps: EventRouteDeps & { listener: Pick<ChangeListener, "onGeneration" | "onBatch"> },
): Router {
  const router = Router();
  const track = <S extends { end(): void; closed: Promise<void> }>(stream: S): S => {
    deps.openStreams?.add(stream);
    void stream.closed.then(() => deps.openStreams?.delete(stream));
    return stream;
  };

  router.get("/generation/:id/events", async (req, res) => {
    const { id } = await loadOwnedGeneration(deps, req);
    const baseUrl = baseUrlOf(req, deps.publicUrl);
    const stream = track(openEventStream(req, res, { heartbeatMs: deps.heartbeatMs }));
    let sent = lastEventIdOf(req);
    const sendCurrent = coalesced(async () => {
      const record = await deps.store.getGeneration(id);
      if (!record || !stream.open) return;
      const version = versionOf(record);
      if (version > sent) {
        sent = version;
        stream.send({
          id: version,
          event: eventNameOf(record),
          data: await presentWithQueue(deps, record, baseUrl),
        });
      }
      if (TERMINAL_STATUSES.includes(record.status)) stream.end();
    });
    // Listen first, then read: a change between the two is not missed.
    const stop = deps.listener.onGeneration(id, () => void sendCurrent());
    void stream.closed.then(stop);
    await sendCurrent();
  });

  router.get("/batch/:id/events", async (req, res) => {
    const { id } = await loadOwnedBatch(deps, req);
    const stream = track(openEventStream(req, res, { heartbeatMs: deps.heartbeatMs }));
    let sent = lastEventIdOf(req);
    let lastCounts = "";
    const sendCurrent = coalesced(async () => {
      const current = await deps.store.getBatch(id);
      if (!current || !stream.open) return;
      const { batch, states } = await readSettledBatch(deps, current);
      const summary = summarizeBatch(batch, states);
      const counts = JSON.stringify(summary.counts);
      const done = batch.completedAt !== null;
      // One event per change of counts; the id grows with each, and the last is `completed`.
      if (counts !== lastCounts || done) {
        lastCounts = counts;
        sent = Math.max(sent + 1, Date.now());
        stream.send({ id: sent, event: done ? "completed" : "progress", data: summary });
      }
      if (done) stream.end();
    });
    const stop = deps.listener.onBatch(id, () => void sendCurrent());
    void stream.closed.then(stop);
    await sendCurrent();
  });

  return router;
}
