import type {
  BatchSummary,
  GenerateInput,
  GenerationRecord,
  GenerationStatus,
  NanoBanana as Sdk,
  Tier,
} from "@nanobanana/client";
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { SelectField } from "../components/Fields.tsx";
import { Thumb } from "../components/Thumb.tsx";
import { VirtualGrid } from "../components/VirtualGrid.tsx";
import { isAbort } from "../errors.ts";
import { fileName, usd } from "../format.ts";
import { saveFile } from "../images.tsx";
import { formatOf, type ParsedBatch, parseBatch } from "../parse-batch.ts";
import { useSession } from "../session.tsx";
import { zipImages } from "../zip.ts";

const MAX_ITEMS = 1000;
const LAST_BATCH = "nanobanana.console.lastBatch";

const rememberedBatch = (): string | null => {
  try {
    return window.sessionStorage.getItem(LAST_BATCH);
  } catch {
    return null;
  }
};
const rememberBatch = (batchId: string | null): void => {
  try {
    if (batchId) window.sessionStorage.setItem(LAST_BATCH, batchId);
    else window.sessionStorage.removeItem(LAST_BATCH);
  } catch {
    // No storage: the batch is shown while the page is.
  }
};

interface Tile {
  index: number;
  id: string;
  prompt: string;
  status: GenerationStatus;
  error: { code: string; message: string } | null;
}

interface Running {
  batchId: string;
  ids: string[];
  prompts: string[];
  summary: BatchSummary | null;
  records: Map<string, GenerationRecord>;
  done: boolean;
  error: unknown;
}

export function BatchesPage() {
  const { nb } = useSession();
  const id = useId();
  const [text, setText] = useState("");
  const [tier, setTier] = useState<Tier>("standard");
  const [file, setFile] = useState<{ name: string; parsed: ParsedBatch } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<unknown>(null);
  const [batch, setBatch] = useState<Running | null>(null);
  const [over, setOver] = useState(false);
  const follow = useRef<AbortController | null>(null);

  // The tab's last batch comes back when the page does (the batch went on meanwhile).
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the page opens
  useEffect(() => {
    const batchId = rememberedBatch();
    const controller = new AbortController();
    follow.current = controller;
    if (batchId) {
      (async () => {
        const records: GenerationRecord[] = [];
        for await (const r of nb.batches.items(batchId, { signal: controller.signal })) {
          records.push(r);
        }
        await followBatch(
          batchId,
          records.map((r) => r.id),
          records.map((r) => r.prompt),
          controller,
        );
      })().catch((error: unknown) => {
        // Gone (expired, or another key's): forget it quietly; anything else is shown.
        if ((error as { code?: string }).code === "NOT_FOUND") rememberBatch(null);
        else if (!isAbort(error)) setStartError(error);
      });
    }
    return () => controller.abort();
  }, []);

  const parsed = useMemo(() => file?.parsed ?? parseBatch(text, "text"), [file, text]);
  const tooMany = parsed.items.length > MAX_ITEMS;

  const readFile = async (f: File) => {
    setFileError(null);
    try {
      const content = await f.text();
      const result = parseBatch(content, formatOf(f.name, content));
      setFile({ name: f.name, parsed: result });
    } catch (error) {
      setFileError(`Could not read ${f.name}: ${(error as Error).message}`);
    }
  };

  /** Every item's record, re-read at most every 700 ms while progress events come. */
  const refresh = useCallback(
    async (batchId: string, signal: AbortSignal) => {
      const records = new Map<string, GenerationRecord>();
      for await (const record of nb.batches.items(batchId, { signal })) {
        records.set(record.id, record);
      }
      if (!signal.aborted) {
        setBatch((b) => (b && b.batchId === batchId ? { ...b, records } : b));
      }
    },
    [nb],
  );

  const start = async () => {
    const items: GenerateInput[] = parsed.items;
    if (items.length === 0 || tooMany) return;
    follow.current?.abort();
    const controller = new AbortController();
    follow.current = controller;
    setStarting(true);
    setStartError(null);
    let accepted: { batchId: string; ids: string[] };
    try {
      accepted = await nb.batches.create(items, { signal: controller.signal, tier });
    } catch (error) {
      if (!isAbort(error)) setStartError(error);
      setStarting(false);
      return;
    }
    setStarting(false);
    rememberBatch(accepted.batchId);
    await followBatch(
      accepted.batchId,
      accepted.ids,
      items.map((i) => i.prompt),
      controller,
    );
  };

  /** Shows a batch and follows it until it ends: counts live, the tiles re-read as they change. */
  const followBatch = async (
    batchId: string,
    ids: string[],
    prompts: string[],
    controller: AbortController,
  ) => {
    setBatch({
      batchId,
      ids,
      prompts,
      summary: null,
      records: new Map(),
      done: false,
      error: null,
    });
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reading: Promise<void> = Promise.resolve();
    const scheduleRefresh = () => {
      if (timer) return;
      const wait = Math.max(0, last + 700 - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        reading = reading
          .then(() => refresh(batchId, controller.signal))
          .catch((error: unknown) => {
            if (!isAbort(error)) setBatch((b) => (b ? { ...b, error } : b));
          });
      }, wait);
    };
    try {
      const summary = await nb.batches.wait(batchId, {
        signal: controller.signal,
        onProgress: (s) => {
          setBatch((b) => (b && b.batchId === batchId ? { ...b, summary: s } : b));
          scheduleRefresh();
        },
      });
      clearTimeout(timer);
      await reading;
      await refresh(batchId, controller.signal);
      setBatch((b) => (b && b.batchId === batchId ? { ...b, summary, done: true } : b));
    } catch (error) {
      clearTimeout(timer);
      if (!isAbort(error)) setBatch((b) => (b ? { ...b, error } : b));
    }
  };

  return (
    <section className="page page-batches">
      <header className="page-header">
        <h1>Batches</h1>
        <p className="muted">
          Many images at once: a prompt a line, or a CSV file with a <code>prompt</code> column, or
          JSONL with one request a line. Up to {MAX_ITEMS} items.
        </p>
      </header>
      <form
        className="panel batch-form"
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <div className="field">
          <label htmlFor={`${id}-prompts`}>Prompts</label>
          <textarea
            id={`${id}-prompts`}
            rows={6}
            value={text}
            disabled={file !== null}
            placeholder={"a red sneaker on white\na flowchart of a refund process\n…"}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-file`}>Prompts file</label>
          <fieldset
            className={over ? "dropzone over" : "dropzone"}
            onDragOver={(e) => {
              e.preventDefault();
              setOver(true);
            }}
            onDragLeave={() => setOver(false)}
            onDrop={(e) => {
              e.preventDefault();
              setOver(false);
              const f = e.dataTransfer.files[0];
              if (f) void readFile(f);
            }}
          >
            <input
              id={`${id}-file`}
              type="file"
              accept=".csv,.jsonl,.ndjson,.txt,text/csv,text/plain,application/x-ndjson"
              aria-describedby={`${id}-file-hint`}
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (f) void readFile(f);
                e.target.value = "";
              }}
            />
            <span id={`${id}-file-hint`} className="hint">
              Drop a .csv, .jsonl or .txt file here, or choose one.
            </span>
          </fieldset>
          {fileError ? (
            <p className="error-text" role="alert">
              {fileError}
            </p>
          ) : null}
          {file ? (
            <p className="file-chosen">
              <strong>{file.name}</strong>: {file.parsed.items.length} prompts{" "}
              <button
                type="button"
                className="button button-quiet button-small"
                onClick={() => setFile(null)}
              >
                Use the typed prompts instead
              </button>
            </p>
          ) : null}
        </div>
        {parsed.errors.length > 0 ? (
          <div className="note note-error" role="alert">
            <strong>Fix these lines first</strong>
            <ul>
              {parsed.errors.slice(0, 10).map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        ) : null}
        {tooMany ? (
          <p className="error-text" role="alert">
            {parsed.items.length} items: a batch takes at most {MAX_ITEMS}.
          </p>
        ) : null}
        <SelectField
          label="Tier"
          value={tier}
          onChange={(v) => setTier(v as Tier)}
          options={[
            { value: "standard", label: "Standard: drawn now" },
            { value: "economy", label: "Economy: half price, within a day" },
          ]}
          hint="Economy goes to the model maker's batch mode; items wait as Submitted."
        />
        <div className="actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={
              starting ||
              parsed.items.length === 0 ||
              parsed.errors.length > 0 ||
              tooMany ||
              (batch !== null && !batch.done && !batch.error)
            }
          >
            Start batch
          </button>
          <span className="muted">
            {parsed.items.length} {parsed.items.length === 1 ? "item" : "items"}
          </span>
        </div>
        <ErrorNote error={startError} action="The batch was not started" />
      </form>
      {batch ? <BatchView nb={nb} batch={batch} onRefresh={refresh} /> : null}
    </section>
  );
}

function BatchView({
  nb,
  batch,
  onRefresh,
}: {
  nb: Sdk;
  batch: Running;
  onRefresh: (batchId: string, signal: AbortSignal) => Promise<void>;
}) {
  const [canceling, setCanceling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);
  const [zipping, setZipping] = useState<string | null>(null);
  const [zipError, setZipError] = useState<unknown>(null);
  const summary = batch.summary;
  const total = summary?.total ?? batch.ids.length;
  const counts = summary?.counts;
  const finished = counts ? counts.completed + counts.failed + counts.canceled : 0;

  const tiles: Tile[] = batch.ids.map((gid, index) => {
    const record = batch.records.get(gid);
    return {
      index,
      id: gid,
      prompt: record?.prompt ?? batch.prompts[index] ?? "",
      status: record?.status ?? "queued",
      error: record?.error ?? null,
    };
  });
  const completed = tiles.filter((t) => t.status === "completed");

  const cancel = async () => {
    setCanceling(true);
    setCancelError(null);
    try {
      await nb.batches.cancel(batch.batchId);
      await onRefresh(batch.batchId, new AbortController().signal);
    } catch (error) {
      setCancelError(error);
    } finally {
      setCanceling(false);
    }
  };

  const downloadAll = async () => {
    setZipError(null);
    try {
      const files: Array<{ name: string; bytes: Uint8Array }> = [];
      let next = 0;
      const worker = async () => {
        while (next < completed.length) {
          const tile = completed[next++] as Tile;
          const { bytes, mimeType } = await nb.generations.image(tile.id);
          files.push({ name: fileName(tile.index, tile.prompt, mimeType), bytes });
          setZipping(`Fetching images: ${files.length}/${completed.length}`);
        }
      };
      setZipping(`Fetching images: 0/${completed.length}`);
      await Promise.all(Array.from({ length: Math.min(4, completed.length) }, worker));
      setZipping("Making the zip…");
      files.sort((a, b) => a.name.localeCompare(b.name));
      saveFile(zipImages(files), "application/zip", `nanobanana-${batch.batchId}.zip`);
    } catch (error) {
      setZipError(error);
    } finally {
      setZipping(null);
    }
  };

  return (
    <section className="panel batch" aria-labelledby="batch-heading">
      <div className="batch-head">
        <div>
          <h2 id="batch-heading">
            Batch <code>{batch.batchId}</code>
          </h2>
          <p className="muted small">
            {batch.done ? "Finished" : "Running"} · cost so far {usd(summary?.cost.usd ?? 0)}
          </p>
        </div>
        <div className="actions">
          <button
            type="button"
            className="button"
            disabled={batch.done || canceling}
            onClick={() => void cancel()}
          >
            Cancel batch
          </button>
          <button
            type="button"
            className="button button-primary"
            disabled={completed.length === 0 || zipping !== null}
            onClick={() => void downloadAll()}
          >
            Download all
          </button>
        </div>
      </div>
      <div className="progress-row">
        <div
          className="progress"
          role="progressbar"
          aria-label="Batch progress"
          aria-valuemin={0}
          aria-valuemax={total}
          aria-valuenow={finished}
          aria-valuetext={`${finished} of ${total} finished`}
        >
          <span style={{ width: `${total ? (finished / total) * 100 : 0}%` }} />
        </div>
        <span className="progress-text" data-testid="batch-progress">
          {finished}/{total}
        </span>
      </div>
      {counts ? (
        <ul className="counts" aria-label="Items by status">
          {(["queued", "submitted", "processing", "completed", "failed", "canceled"] as const).map(
            (s) => (
              <li key={s} className={`status status-${s}`}>
                {counts[s]} {s}
              </li>
            ),
          )}
        </ul>
      ) : null}
      {zipping ? (
        <p role="status" className="muted">
          {zipping}
        </p>
      ) : null}
      <ErrorNote error={cancelError} action="Cancel failed" />
      <ErrorNote error={zipError} action="Download failed" />
      <ErrorNote error={batch.error} action="Lost track of the batch" />
      <VirtualGrid
        items={tiles}
        label="Batch items"
        getKey={(t) => t.id}
        captionHeight={72}
        renderItem={(t) => (
          <a
            className={`tile tile-${t.status}`}
            href={`#/gallery/${encodeURIComponent(t.id)}`}
            data-status={t.status}
          >
            <Thumb nb={nb} id={t.id} status={t.status} alt={t.prompt} />
            <span className="tile-caption">
              <span className="tile-prompt">{`${t.index + 1}. ${t.prompt}`}</span>
              {t.error ? (
                <span className="tile-error">
                  <code>{t.error.code}</code> {t.error.message}
                </span>
              ) : (
                <span className={`status status-${t.status}`}>{t.status}</span>
              )}
            </span>
          </a>
        )}
      />
    </section>
  );
}
