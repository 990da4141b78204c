import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import {
  ConflictError,
  type GenerationRecord,
  type GenerationStatus,
  type NanoBanana,
  TERMINAL_STATUSES,
  type WebhookTarget,
} from "@nanobanana/client";
import { fileNameFor, inputHash, type Row } from "./rows.ts";

export const MANIFEST_NAME = "nanobanana-manifest.json";

/** What the out dir remembers of one row: enough to resume without paying twice. */
export interface ManifestRow {
  row: number;
  prompt: string;
  inputHash: string;
  /** How many times the row was submitted anew after failing (part of its Idempotency-Key). */
  attempt: number;
  /** "pending": not accepted yet (a key may already be reserved for it). */
  status: "pending" | GenerationStatus;
  idempotencyKey: string | null;
  batchId: string | null;
  generationId: string | null;
  /** The image's file name in the out dir, once written. */
  file: string | null;
  costUsd: number;
  error: { code: string; message: string } | null;
  updatedAt: string;
}

export interface Manifest {
  version: 1;
  source: string;
  createdAt: string;
  updatedAt: string;
  /** Every create sent, with its key: a re-run sends a key that was not answered again. */
  batches: Array<{ idempotencyKey: string; batchId: string | null; rows: number[]; at: string }>;
  rows: ManifestRow[];
}

export interface BatchProgress {
  total: number;
  /** Rows finished: completed with their file written, failed or canceled. */
  done: number;
  completed: number;
  failed: number;
  costUsd: number;
}

export interface BatchRunOptions {
  nb: NanoBanana;
  source: string;
  outDir: string;
  rows: Row[];
  webhook?: WebhookTarget | undefined;
  /** Items per POST /generate-batch. */
  chunkSize: number;
  /** Images downloaded at once. */
  downloads: number;
  signal: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
  /** A note for the person at the terminal (stderr). */
  note?: (line: string) => void;
  /** Between status checks when no live event comes (ms). */
  pollIntervalMs?: number;
}

export interface BatchRunResult extends BatchProgress {
  /** Rows already finished in the out dir before this run. */
  resumed: number;
  interrupted: boolean;
  manifestPath: string;
  rows: ManifestRow[];
}

const isTerminal = (status: string) => (TERMINAL_STATUSES as readonly string[]).includes(status);
const now = () => new Date().toISOString();

export function loadManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  if (manifest.version !== 1 || !Array.isArray(manifest.rows)) {
    throw new Error(`${path} is not a manifest this CLI wrote`);
  }
  return manifest;
}

/** Writes through a temporary file and a rename, so a kill never leaves half a file. */
function writeAtomically(path: string, data: string | Uint8Array) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * The Idempotency-Key of one create: derived from the file and the rows it carries (their
 * numbers, requests and attempts), so sending the same rows again is answered with the same
 * batch instead of a new one.
 */
export function batchKey(source: string, rows: ManifestRow[]): string {
  const hash = createHash("sha256")
    .update(basename(source))
    .update(JSON.stringify(rows.map((r) => [r.row, r.inputHash, r.attempt])))
    .digest("hex");
  return `nbcli-${hash.slice(0, 48)}`;
}

/** Wakes the follower early when a live event arrives; otherwise after the poll interval. */
class Wake {
  private resolve: (() => void) | undefined;
  fire() {
    this.resolve?.();
  }
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.resolve = done;
    });
  }
}

/** Runs `work` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}

/**
 * Sends a file's rows as batches and saves every image in the out dir, keeping a manifest
 * there (row → key, batch, generation, status, file). Run again with the same file and out
 * dir, it resumes: finished rows are kept, running ones followed, a create whose answer was
 * lost is sent again with the same Idempotency-Key (the service answers the same batch), and
 * only failed rows are generated anew.
 */
export async function runBatch(options: BatchRunOptions): Promise<BatchRunResult> {
  const { nb, outDir, signal } = options;
  const note = options.note ?? (() => undefined);
  mkdirSync(outDir, { recursive: true });
  // What a killed run was writing when it died (writeAtomically's temporary files).
  for (const name of readdirSync(outDir)) {
    if (/\.\d+\.tmp$/.test(name)) rmSync(join(outDir, name), { force: true });
  }
  const manifestPath = join(outDir, MANIFEST_NAME);
  const previous = loadManifest(manifestPath);
  const manifest: Manifest = previous ?? {
    version: 1,
    source: options.source,
    createdAt: now(),
    updatedAt: now(),
    batches: [],
    rows: [],
  };
  const save = () => {
    manifest.updatedAt = now();
    writeAtomically(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  };
  const total = options.rows.length;
  const fileExists = (entry: ManifestRow) =>
    entry.file !== null && existsSync(join(outDir, entry.file));

  // Reconcile the file with what the out dir remembers.
  const known = new Map(manifest.rows.map((r) => [r.row, r]));
  const inputs = new Map(options.rows.map((r) => [r.row, r.input]));
  let resumed = 0;
  manifest.rows = options.rows.map(({ row, input }) => {
    const hash = inputHash(input);
    const old = known.get(row);
    const fresh = (attempt: number): ManifestRow => ({
      row,
      prompt: input.prompt,
      inputHash: hash,
      attempt,
      status: "pending",
      idempotencyKey: null,
      batchId: null,
      generationId: null,
      file: null,
      costUsd: 0,
      error: null,
      updatedAt: now(),
    });
    if (!old || old.inputHash !== hash) return fresh(0);
    if (old.status === "failed" || old.status === "canceled") return fresh(old.attempt + 1);
    if (old.status === "completed" && fileExists(old)) resumed++;
    return old;
  });
  const byGeneration = new Map<string, ManifestRow>();
  const index = () => {
    byGeneration.clear();
    for (const entry of manifest.rows) {
      if (entry.generationId) byGeneration.set(entry.generationId, entry);
    }
  };
  index();
  save();

  const progress = (): BatchProgress => {
    let completed = 0;
    let failed = 0;
    let costUsd = 0;
    for (const entry of manifest.rows) {
      costUsd += entry.costUsd;
      if (entry.status === "completed" && fileExists(entry)) completed++;
      else if (entry.status === "failed" || entry.status === "canceled") failed++;
    }
    return {
      total,
      done: completed + failed,
      completed,
      failed,
      costUsd: Math.round(costUsd * 1e6) / 1e6,
    };
  };
  const report = () => options.onProgress?.(progress());
  report();

  const submit = async (entries: ManifestRow[], key: string) => {
    let record = manifest.batches.find((b) => b.idempotencyKey === key);
    if (!record) {
      record = { idempotencyKey: key, batchId: null, rows: entries.map((e) => e.row), at: now() };
      manifest.batches.push(record);
    }
    for (const entry of entries) entry.idempotencyKey = key;
    save(); // Before sending: a run killed mid-request sends this key again.
    const accepted = await nb.batches.create(
      entries.map((e) => inputs.get(e.row) ?? { prompt: e.prompt }),
      {
        idempotencyKey: key,
        signal,
        ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
      },
    );
    if (accepted.replayed) {
      note(
        `rows ${describeRows(entries)}: already accepted as ${accepted.batchId}; not paid twice`,
      );
    }
    record.batchId = accepted.batchId;
    entries.forEach((entry, i) => {
      entry.batchId = accepted.batchId;
      entry.generationId = accepted.ids[i] ?? null;
      entry.status = "queued";
      entry.updatedAt = now();
    });
    index();
    save();
  };

  let interrupted = false;
  let stopLive = () => {};
  try {
    // 1. Creates whose answer never came back: the same rows, the same key.
    const unanswered = new Map<string, ManifestRow[]>();
    for (const entry of manifest.rows) {
      if (entry.status === "pending" && entry.idempotencyKey) {
        unanswered.set(entry.idempotencyKey, [
          ...(unanswered.get(entry.idempotencyKey) ?? []),
          entry,
        ]);
      }
    }
    for (const [key, entries] of unanswered) {
      try {
        await submit(entries, key);
      } catch (error) {
        // The rows changed since (the key was used with another body): a new key for them.
        if (!(error instanceof ConflictError)) throw error;
        for (const entry of entries) entry.idempotencyKey = null;
      }
    }
    // 2. Rows never sent, in chunks.
    const unsent = manifest.rows.filter((e) => e.status === "pending" && !e.idempotencyKey);
    for (let i = 0; i < unsent.length; i += options.chunkSize) {
      const chunk = unsent.slice(i, i + options.chunkSize);
      await submit(chunk, batchKey(options.source, chunk));
    }

    // 3. Follow every row until it has ended and its image is saved.
    const wake = new Wake();
    const following = new Set<string>();
    // The live streams end with their batch, or with this run.
    const live = new AbortController();
    signal.addEventListener("abort", () => live.abort(), { once: true });
    stopLive = () => live.abort();
    const followLive = (batchId: string) => {
      if (following.has(batchId)) return;
      following.add(batchId);
      void (async () => {
        try {
          for await (const _event of nb.batches.events(batchId, { signal: live.signal })) {
            wake.fire();
          }
        } catch {
          // Polling below covers whatever the live stream misses.
        }
      })();
    };
    const download = async (entry: ManifestRow, record: GenerationRecord) => {
      const image = await nb.generations.image(record.id, { signal });
      const file = fileNameFor(entry.row, total, entry.prompt, image.mimeType);
      writeAtomically(join(outDir, file), image.bytes);
      entry.file = file;
      entry.updatedAt = now();
      save();
      report();
    };
    const apply = (entry: ManifestRow, record: GenerationRecord) => {
      entry.status = record.status;
      entry.costUsd = record.cost?.usd ?? 0;
      entry.error = record.error
        ? { code: record.error.code, message: record.error.message }
        : null;
      entry.updatedAt = now();
    };
    let lastCheck = 0;
    for (;;) {
      // Live events can come fast: check at most every 200 ms.
      const since = Date.now() - lastCheck;
      if (since < 200) await new Promise((resolve) => setTimeout(resolve, 200 - since));
      if (signal.aborted) throw signal.reason;
      lastCheck = Date.now();
      const open = manifest.rows.filter(
        (e) =>
          e.generationId && (!isTerminal(e.status) || (e.status === "completed" && !fileExists(e))),
      );
      if (open.length === 0) break;
      const records: GenerationRecord[] = [];
      const batchIds = new Set(open.flatMap((e) => (e.batchId ? [e.batchId] : [])));
      for (const batchId of batchIds) {
        followLive(batchId);
        for await (const record of nb.batches.items(batchId, { signal })) records.push(record);
      }
      for (const entry of open.filter((e) => !e.batchId && e.generationId)) {
        records.push(await nb.generations.get(entry.generationId as string, { signal }));
      }
      const toDownload: Array<[ManifestRow, GenerationRecord]> = [];
      let changed = false;
      for (const record of records) {
        const entry = byGeneration.get(record.id);
        if (!entry) continue;
        if (entry.status !== record.status || entry.costUsd !== (record.cost?.usd ?? 0)) {
          apply(entry, record);
          changed = true;
        }
        if (record.status === "completed" && !fileExists(entry)) toDownload.push([entry, record]);
      }
      if (changed) {
        save();
        report();
      }
      await pool(toDownload, options.downloads, ([entry, record]) => download(entry, record));
      if (toDownload.length === 0) await wake.wait(options.pollIntervalMs ?? 1000, signal);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
    interrupted = true;
  } finally {
    stopLive();
    save();
  }
  return { ...progress(), resumed, interrupted, manifestPath, rows: manifest.rows };
}

function describeRows(entries: ManifestRow[]): string {
  const first = entries[0]?.row;
  const last = entries.at(-1)?.row;
  return first === last ? String(first) : `${first}–${last}`;
}
