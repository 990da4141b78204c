import type { Redis } from "ioredis";

/** What changed: a generation, and the batch it belongs to. */
export interface Change {
  generationId: string;
  batchId: string | null;
}

const channels = (prefix: string) => ({
  generation: (id: string) => `${prefix}:changes:gen:${id}`,
  batch: (id: string) => `${prefix}:changes:bat:${id}`,
});

/**
 * Says that a record changed, on Redis pub/sub: a nudge, not the record (listeners read the
 * store, the source of truth), so a lost message costs a late update, never a wrong one.
 */
export function createRedisChangeFeed(redis: Redis, prefix: string) {
  const channel = channels(prefix);
  return {
    async published(change: Change): Promise<void> {
      // Plain PUBLISHes, written together on the one connection (no MULTI: nudges need no
      // atomicity, and a MULTI is two more commands and, on a connection BullMQ has defined
      // its scripts on, an expensive pipeline object; a worker sends ~9 of these per image).
      // Live status is a convenience: a failed publish must never fail the work itself.
      await Promise.all([
        redis.publish(channel.generation(change.generationId), "1"),
        ...(change.batchId ? [redis.publish(channel.batch(change.batchId), "1")] : []),
      ]).catch(() => undefined);
    },
  };
}

export type ChangeListener = ReturnType<typeof createChangeListener>;

/**
 * One subscriber connection for a whole API process: each channel is subscribed once, however
 * many streams listen to it, and unsubscribed when the last one stops. ioredis subscribes
 * again by itself after a reconnect.
 */
export function createChangeListener(subscriber: Redis, prefix: string) {
  const channel = channels(prefix);
  const listeners = new Map<string, Set<() => void>>();
  subscriber.on("message", (name: string) => {
    for (const listener of listeners.get(name) ?? []) listener();
  });
  const listen = (name: string, listener: () => void) => {
    let set = listeners.get(name);
    if (!set) {
      set = new Set();
      listeners.set(name, set);
      void subscriber.subscribe(name).catch(() => undefined);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && listeners.get(name) === set) {
        listeners.delete(name);
        void subscriber.unsubscribe(name).catch(() => undefined);
      }
    };
  };
  return {
    /** Calls `listener` whenever the generation changes; returns how to stop. */
    onGeneration: (id: string, listener: () => void) => listen(channel.generation(id), listener),
    /** Calls `listener` whenever an item of the batch changes; returns how to stop. */
    onBatch: (id: string, listener: () => void) => listen(channel.batch(id), listener),
    async close() {
      listeners.clear();
      await subscriber.quit().catch(() => undefined);
    },
  };
}
