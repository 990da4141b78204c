import type { NanoBanana as Sdk } from "@nanobanana/client";
import { useEffect, useState } from "react";

/**
 * Images come through the SDK (they need the API key, so no plain <img src>) and are shown from
 * blob: URLs. Thumbnails are cached (least recently used first out, never one on screen) and
 * fetched a few at a time; a tile scrolled away before its turn never fetches.
 */
const MAX_CACHED = 400;
const MAX_PARALLEL = 6;

interface Entry {
  url: string | null;
  promise: Promise<string> | null;
  users: number;
  lastUsed: number;
}

const cache = new Map<string, Entry>();
let running = 0;
const waiting: Array<() => void> = [];

async function slot<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) {
    await new Promise<void>((resolve, reject) => {
      const go = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = waiting.indexOf(go);
        if (at >= 0) waiting.splice(at, 1);
        reject(signal.reason);
      };
      waiting.push(go);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function evict() {
  if (cache.size <= MAX_CACHED) return;
  const idle = [...cache.entries()]
    .filter(([, e]) => e.users === 0 && e.url)
    .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
  for (const [key, entry] of idle.slice(0, cache.size - MAX_CACHED)) {
    if (entry.url) URL.revokeObjectURL(entry.url);
    cache.delete(key);
  }
}

/** Drops every cached thumbnail (signing out). */
export function forgetImages(): void {
  for (const entry of cache.values()) if (entry.url) URL.revokeObjectURL(entry.url);
  cache.clear();
}

export const blobUrl = (bytes: Uint8Array, mimeType: string): string =>
  URL.createObjectURL(new Blob([bytes.slice().buffer as ArrayBuffer], { type: mimeType }));

export type ImageState =
  | { state: "loading" }
  | { state: "ready"; url: string }
  | { state: "error"; error: unknown };

/** A generation's thumbnail as a blob: URL; `enabled` false (not completed yet) fetches nothing. */
export function useThumbnail(
  nb: Sdk,
  id: string,
  enabled: boolean,
  size: 128 | 256 | 512 = 256,
): ImageState {
  const key = `${id}@${size}`;
  const [state, setState] = useState<ImageState>(() => {
    const url = cache.get(key)?.url;
    return url ? { state: "ready", url } : { state: "loading" };
  });
  useEffect(() => {
    if (!enabled) return;
    let entry = cache.get(key);
    if (!entry) {
      entry = { url: null, promise: null, users: 0, lastUsed: Date.now() };
      cache.set(key, entry);
    }
    const mine = entry;
    mine.users++;
    mine.lastUsed = Date.now();
    const controller = new AbortController();
    if (mine.url) setState({ state: "ready", url: mine.url });
    else {
      if (!mine.promise) {
        mine.promise = slot(controller.signal, () =>
          nb.generations.thumbnail(id, { size, signal: controller.signal }),
        ).then(({ bytes, mimeType }) => {
          mine.url = blobUrl(bytes, mimeType);
          return mine.url;
        });
        mine.promise.catch(() => {
          // Forget a failed or abandoned fetch, so the next viewer tries again.
          if (cache.get(key) === mine && !mine.url) cache.delete(key);
        });
      }
      mine.promise.then(
        (url) => {
          if (!controller.signal.aborted) setState({ state: "ready", url });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setState({ state: "error", error });
        },
      );
    }
    return () => {
      mine.users--;
      mine.lastUsed = Date.now();
      // Only the fetch this viewer started is abandoned, and only when nobody else waits on it.
      if (!mine.url && mine.users === 0) controller.abort();
      evict();
    };
  }, [nb, id, key, size, enabled]);
  return enabled ? state : { state: "loading" };
}

/** The full image of a completed generation, as a blob: URL revoked when the viewer goes. */
export function useFullImage(
  nb: Sdk,
  id: string | null,
): ImageState & { bytes?: Uint8Array; mimeType?: string } {
  const [state, setState] = useState<ImageState & { bytes?: Uint8Array; mimeType?: string }>({
    state: "loading",
  });
  useEffect(() => {
    if (!id) return;
    const controller = new AbortController();
    let url: string | null = null;
    setState({ state: "loading" });
    nb.generations.image(id, { signal: controller.signal }).then(
      ({ bytes, mimeType }) => {
        if (controller.signal.aborted) return;
        url = blobUrl(bytes, mimeType);
        setState({ state: "ready", url, bytes, mimeType });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ state: "error", error });
      },
    );
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [nb, id]);
  return state;
}

/** Saves bytes as a file, through a temporary link (a download, not a navigation). */
export function saveFile(bytes: Uint8Array, mimeType: string, name: string): void {
  const url = blobUrl(bytes, mimeType);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
