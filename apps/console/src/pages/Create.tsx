import {
  ASPECT_RATIOS,
  type AspectRatio,
  type ClassifyResult,
  type EnhanceResult,
  type GenerateInput,
  type GenerationRecord,
  type GenerationUpdate,
  IMAGE_FORMATS,
  IMAGE_SIZES,
  type ImageFormat,
  type ImageSize,
  type ModelsResponse,
  QUALITIES,
  type Quality,
  STAGES as SDK_STAGES,
  type NanoBanana as Sdk,
  type Tier,
} from "@nanobanana/client";
import { useEffect, useId, useRef, useState } from "react";
import { ErrorNote } from "../components/ErrorNote.tsx";
import { SelectField } from "../components/Fields.tsx";
import { RecordFacts } from "../components/RecordFacts.tsx";
import { isAbort } from "../errors.ts";
import { fileName, percent, stageLabel, usd } from "../format.ts";
import { saveFile, useFullImage } from "../images.tsx";
import { useSession } from "../session.tsx";

/** The stages a run shows: the pipeline's (the SDK's list), ending in "completed". */
const STAGES: readonly string[] = [...SDK_STAGES.filter((s) => s !== "done"), "completed"];

const MAX_REFERENCES = 14;
const REFERENCE_TYPES = "image/png,image/jpeg,image/webp,image/heic,image/heif";

interface Reference {
  key: string;
  name: string;
  previewUrl: string;
  uploadId: string | null;
  error: unknown;
}

type Run =
  | { state: "idle" }
  | {
      state: "running" | "completed" | "failed";
      input: GenerateInput;
      seen: string[];
      current: string;
      generationId: string | null;
      queue: string | null;
      record: GenerationRecord | null;
      error: unknown;
    };

/** Debounced previews of the classification and the brief, stale requests aborted. */
function useDebounced<T>(
  enabled: boolean,
  deps: unknown[],
  load: (signal: AbortSignal) => Promise<T>,
): { value: T | null; loading: boolean; error: unknown } {
  const [state, setState] = useState<{ value: T | null; loading: boolean; error: unknown }>({
    value: null,
    loading: false,
    error: null,
  });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (!enabled) {
      setState({ value: null, loading: false, error: null });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const timer = setTimeout(() => {
      loadRef.current(controller.signal).then(
        (value) => {
          if (!controller.signal.aborted) setState({ value, loading: false, error: null });
        },
        (error: unknown) => {
          if (!controller.signal.aborted && !isAbort(error)) {
            setState({ value: null, loading: false, error });
          }
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [enabled, ...deps]);
  return state;
}

export function CreatePage() {
  const { nb } = useSession();
  const id = useId();
  const [prompt, setPrompt] = useState("");
  const [quality, setQuality] = useState<Quality>("standard");
  const [tier, setTier] = useState<Tier>("standard");
  const [aspectRatio, setAspectRatio] = useState<AspectRatio>("1:1");
  const [imageSize, setImageSize] = useState<ImageSize>("1K");
  const [format, setFormat] = useState<ImageFormat>("png");
  const [model, setModel] = useState("");
  const [models, setModels] = useState<ModelsResponse | null>(null);
  const [modelsError, setModelsError] = useState<unknown>(null);
  const [references, setReferences] = useState<Reference[]>([]);
  const [run, setRun] = useState<Run>({ state: "idle" });
  const runController = useRef<AbortController | null>(null);

  const trimmed = prompt.trim();
  const tooLong = prompt.length > 2000;
  const classification = useDebounced<ClassifyResult>(trimmed.length > 0, [trimmed], (signal) =>
    nb.classify(trimmed, { signal }),
  );
  const brief = useDebounced<EnhanceResult>(
    trimmed.length > 0,
    [trimmed, quality, aspectRatio],
    (signal) => nb.enhance({ prompt: trimmed, quality, aspectRatio }, { signal }),
  );

  useEffect(() => {
    const controller = new AbortController();
    nb.models({ signal: controller.signal }).then(setModels, (error: unknown) => {
      if (!isAbort(error)) setModelsError(error);
    });
    return () => controller.abort();
  }, [nb]);

  // Stop following a generation when the page goes (the generation itself goes on).
  useEffect(() => () => runController.current?.abort(), []);

  const chosenModel = models?.items.find((m) => m.id === model) ?? null;
  const priceOf = (size: ImageSize) => chosenModel?.sizes.find((s) => s.imageSize === size)?.usd;
  const uploading = references.some((r) => r.uploadId === null && !r.error);

  const generate = (input: GenerateInput) => {
    runController.current?.abort();
    const controller = new AbortController();
    runController.current = controller;
    const base = {
      input,
      seen: [] as string[],
      current: "queued",
      generationId: null,
      queue: null,
      record: null,
      error: null,
    };
    setRun({ state: "running", ...base });
    const onUpdate = (update: GenerationUpdate) => {
      if (controller.signal.aborted) return;
      setRun((r) => {
        if (r.state === "idle") return r;
        const event = update.event === "accepted" ? "queued" : update.event;
        const queued = update.record?.queue;
        return {
          ...r,
          generationId: update.generationId,
          current: event,
          seen: r.seen.includes(event) ? r.seen : [...r.seen, event],
          queue:
            event === "queued" && queued && queued.position !== null
              ? `number ${queued.position} in the queue${queued.etaMs !== null ? `, about ${Math.ceil(queued.etaMs / 1000)} s` : ""}`
              : null,
          record: update.record ?? r.record,
        };
      });
    };
    nb.run(input, { onUpdate, signal: controller.signal }).then(
      (record) => {
        if (controller.signal.aborted) return;
        setRun((r) =>
          r.state === "idle"
            ? r
            : {
                ...r,
                state: "completed",
                current: "completed",
                seen: r.seen.includes("completed") ? r.seen : [...r.seen, "completed"],
                record,
              },
        );
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const record = (error as { record?: GenerationRecord }).record ?? null;
        setRun((r) =>
          r.state === "idle"
            ? r
            : { ...r, state: "failed", error, record: record ?? r.record, queue: null },
        );
      },
    );
  };

  const currentInput = (q: Quality = quality): GenerateInput => {
    const input: GenerateInput = { prompt: trimmed, quality: q, aspectRatio, imageSize, format };
    if (tier === "economy") input.tier = "economy";
    if (model) input.model = model;
    const ids = references.flatMap((r) => (r.uploadId ? [r.uploadId] : []));
    if (ids.length > 0) input.images = ids;
    return input;
  };

  const addFiles = (files: FileList | File[]) => {
    const room = MAX_REFERENCES - references.length;
    const picked = [...files].filter((f) => f.type.startsWith("image/")).slice(0, room);
    for (const file of picked) {
      const ref: Reference = {
        key: `${file.name}-${file.size}-${Math.random().toString(36).slice(2)}`,
        name: file.name,
        previewUrl: URL.createObjectURL(file),
        uploadId: null,
        error: null,
      };
      setReferences((list) => [...list, ref]);
      nb.uploads.create(file, file.type).then(
        (upload) =>
          setReferences((list) =>
            list.map((r) => (r.key === ref.key ? { ...r, uploadId: upload.id } : r)),
          ),
        (error: unknown) =>
          setReferences((list) => list.map((r) => (r.key === ref.key ? { ...r, error } : r))),
      );
    }
  };

  const removeReference = (key: string) =>
    setReferences((list) => {
      const gone = list.find((r) => r.key === key);
      if (gone) URL.revokeObjectURL(gone.previewUrl);
      return list.filter((r) => r.key !== key);
    });

  return (
    <section className="page page-create">
      <header className="page-header">
        <h1>Create</h1>
        <p className="muted">
          Describe the image. NanoBanana reads the prompt, writes a detailed brief for the tier you
          choose, and draws it.
        </p>
      </header>
      <div className="create-grid">
        <form
          className="panel create-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (trimmed && !tooLong && !uploading) generate(currentInput());
          }}
        >
          <div className="field">
            <label htmlFor={`${id}-prompt`}>Prompt</label>
            <textarea
              id={`${id}-prompt`}
              rows={4}
              value={prompt}
              aria-invalid={tooLong || undefined}
              aria-describedby={`${id}-prompt-hint`}
              placeholder="a red sneaker on white, soft shadow"
              onChange={(e) => setPrompt(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Enter" && (e.metaKey || e.ctrlKey))
                  e.currentTarget.form?.requestSubmit();
              }}
            />
            {/* Not cut at 2000 silently: what was pasted stays, and it says what to do. */}
            <span
              id={`${id}-prompt-hint`}
              className={tooLong ? "hint error-text" : "hint"}
              role={tooLong ? "alert" : undefined}
            >
              {tooLong
                ? `${prompt.length}/2000: prompts are at most 2000 characters; shorten it to generate`
                : !trimmed && prompt.length > 0
                  ? "Type a prompt: spaces alone are not one"
                  : `${prompt.length}/2000 · Ctrl+Enter generates`}
            </span>
          </div>
          <div className="field-row">
            <SelectField
              label="Quality"
              value={quality}
              onChange={(v) => setQuality(v as Quality)}
              options={QUALITIES.map((q) => ({
                value: q,
                label: q[0]?.toUpperCase() + q.slice(1),
              }))}
            />
            <SelectField
              label="Tier"
              value={tier}
              onChange={(v) => setTier(v as Tier)}
              options={[
                { value: "standard", label: "Standard: now" },
                { value: "economy", label: "Economy: half price, within a day" },
              ]}
            />
            <SelectField
              label="Aspect ratio"
              value={aspectRatio}
              onChange={(v) => setAspectRatio(v as AspectRatio)}
              options={ASPECT_RATIOS.map((r) => ({
                value: r,
                label: r,
                disabled: chosenModel ? !chosenModel.aspectRatios.includes(r) : false,
              }))}
            />
            <SelectField
              label="Size"
              value={imageSize}
              onChange={(v) => setImageSize(v as ImageSize)}
              options={IMAGE_SIZES.map((s) => {
                const price = priceOf(s);
                return {
                  value: s,
                  label: price === undefined ? s : `${s} · ${usd(price)}`,
                  disabled: chosenModel ? price === undefined : false,
                };
              })}
            />
            <SelectField
              label="Format"
              value={format}
              onChange={(v) => setFormat(v as ImageFormat)}
              options={IMAGE_FORMATS.map((f) => ({ value: f, label: f.toUpperCase() }))}
            />
          </div>
          <SelectField
            label="Model"
            value={model}
            onChange={setModel}
            hint={
              chosenModel
                ? chosenModel.description
                : "Chosen by the routing table from the prompt and the tier."
            }
            options={[
              { value: "", label: "Automatic" },
              ...(models?.items ?? []).map((m) => ({ value: m.id, label: m.id })),
            ]}
          />
          <ErrorNote error={modelsError} action="Could not list the models" />
          <ReferencePicker
            references={references}
            onFiles={addFiles}
            onRemove={removeReference}
            max={chosenModel?.maxReferenceImages ?? MAX_REFERENCES}
          />
          <div className="actions">
            <button
              type="submit"
              className="button button-primary"
              disabled={!trimmed || tooLong || uploading || run.state === "running"}
            >
              Generate
            </button>
            {run.state === "running" ? (
              <button
                type="button"
                className="button button-quiet"
                onClick={() => {
                  runController.current?.abort();
                  setRun({ state: "idle" });
                }}
              >
                Stop following
              </button>
            ) : null}
            {uploading ? <span className="muted">Uploading reference images…</span> : null}
          </div>
        </form>
        <div className="create-side">
          <Preview
            prompt={trimmed}
            classification={classification}
            brief={brief}
            quality={quality}
          />
        </div>
      </div>
      {run.state !== "idle" ? (
        <RunView
          nb={nb}
          run={run}
          onAgain={(q) => {
            setQuality(q);
            generate({ ...run.input, quality: q });
          }}
        />
      ) : null}
    </section>
  );
}

function Preview({
  prompt,
  classification,
  brief,
  quality,
}: {
  prompt: string;
  classification: { value: ClassifyResult | null; loading: boolean; error: unknown };
  brief: { value: EnhanceResult | null; loading: boolean; error: unknown };
  quality: Quality;
}) {
  if (!prompt) {
    return (
      <div className="panel preview preview-empty">
        <h2>Preview</h2>
        <p className="muted">
          As you type, the classification and the brief the model will get show here.
        </p>
      </div>
    );
  }
  const c = classification.value;
  // The list leads with the chosen label; the others are what it could also be.
  const others = (c?.alternatives ?? [])
    .filter((a) => a.domain !== c?.domain || a.subcategory !== c?.subcategory)
    .map((a) => ({ ...a, p: a.score }));
  const words = brief.value?.words as { in: number; out: number } | undefined;
  return (
    <div className="panel preview" aria-busy={classification.loading || brief.loading}>
      <section aria-labelledby="classification-heading">
        <h2 id="classification-heading">
          Classification{" "}
          {classification.loading ? <span className="spinner small" aria-hidden="true" /> : null}
        </h2>
        <ErrorNote error={classification.error} action="Could not classify" />
        {c ? (
          <div className="classification" data-testid="classification">
            <div className="classification-main">
              <span className="chip chip-domain">{c.domain}</span>
              <span className="chip">{c.subcategory}</span>
              <span className="confidence">
                <span className="visually-hidden">confidence </span>
                {percent(c.confidence)}
              </span>
            </div>
            {/* The percentage above says it in words; this bar only draws it. */}
            <div className="meter" aria-hidden="true">
              <span style={{ width: `${Math.round(c.confidence * 100)}%` }} />
            </div>
            {others.length > 0 ? (
              <>
                <h3>Alternatives</h3>
                <ul className="alternatives">
                  {others.map((a) => (
                    <li key={`${a.domain}.${a.subcategory}`}>
                      {a.domain} / {a.subcategory} <span className="muted">{percent(a.p)}</span>
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </div>
        ) : null}
      </section>
      <section aria-labelledby="brief-heading">
        <h2 id="brief-heading">
          Brief <span className="muted small">({quality})</span>{" "}
          {brief.loading ? <span className="spinner small" aria-hidden="true" /> : null}
        </h2>
        <ErrorNote error={brief.error} action="Could not write the brief" />
        {brief.value ? (
          <>
            <p className="brief" data-testid="brief">
              {brief.value.enhancedPrompt}
            </p>
            <p className="muted small">
              template {brief.value.template.id}
              {brief.value.template.variant ? ` (variant ${brief.value.template.variant})` : ""}
              {words ? ` · ${words.in} → ${words.out} words` : ""}
            </p>
          </>
        ) : null}
      </section>
    </div>
  );
}

function ReferencePicker({
  references,
  onFiles,
  onRemove,
  max,
}: {
  references: Reference[];
  onFiles: (files: FileList | File[]) => void;
  onRemove: (key: string) => void;
  max: number;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const full = references.length >= max;
  return (
    <div className="field">
      <label htmlFor={id}>Reference images</label>
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
          if (!full) onFiles(e.dataTransfer.files);
        }}
      >
        <input
          id={id}
          type="file"
          accept={REFERENCE_TYPES}
          multiple
          disabled={full}
          aria-describedby={`${id}-hint`}
          onChange={(e) => {
            if (e.target.files) onFiles(e.target.files);
            e.target.value = "";
          }}
        />
        <span id={`${id}-hint`} className="hint">
          Drop images here or choose files: PNG, JPEG, WebP or HEIC, up to {max}, 7 MB each.
        </span>
      </fieldset>
      {references.length > 0 ? (
        <ul className="references">
          {references.map((r) => (
            <li key={r.key} className={r.error ? "reference failed" : "reference"}>
              <img src={r.previewUrl} alt={r.name} />
              <span className="reference-name">{r.name}</span>
              <span className="reference-state">
                {r.error ? "failed" : r.uploadId ? "uploaded" : "uploading…"}
              </span>
              <button
                type="button"
                className="button button-quiet button-small"
                aria-label={`Remove ${r.name}`}
                onClick={() => onRemove(r.key)}
              >
                Remove
              </button>
              <ErrorNote error={r.error} action={`Upload of ${r.name} failed`} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function RunView({
  nb,
  run,
  onAgain,
}: {
  nb: Sdk;
  run: Exclude<Run, { state: "idle" }>;
  onAgain: (quality: Quality) => void;
}) {
  const record = run.record;
  const quality = run.input.quality ?? "standard";
  const others = QUALITIES.filter((q) => q !== quality);
  const [another, setAnother] = useState<Quality>(others[0] ?? "draft");
  useEffect(() => {
    if (!others.includes(another)) setAnother(others[0] ?? "draft");
  }, [another, others]);
  // An economy image waits at the maker (submitted) where a standard one is drawn (generate).
  const stages: readonly string[] =
    run.input.tier === "economy" ? STAGES.map((s) => (s === "generate" ? "submitted" : s)) : STAGES;
  const stageIndex = (s: string) => stages.indexOf(s);
  const status =
    run.state === "completed"
      ? "Completed"
      : run.state === "failed"
        ? record?.status === "canceled"
          ? "Canceled"
          : "Failed"
        : `${stageLabel(run.current)}${run.queue ? ` (${run.queue})` : ""}…`;
  return (
    <section className="panel run" aria-labelledby="run-heading">
      <div className="run-head">
        <h2 id="run-heading">{run.input.prompt}</h2>
        <p className="run-status" role="status" aria-live="polite">
          {status}
        </p>
      </div>
      <ol className="stages" aria-label="Stages">
        {stages.map((s) => {
          const current = run.state === "running" && run.current === s;
          const failedHere = run.state === "failed" && run.current === s;
          // Fast stages may be reported together: every stage before the latest one is done.
          const latest = Math.max(...run.seen.map(stageIndex));
          const done = !current && !failedHere && stageIndex(s) <= latest;
          const cls = failedHere
            ? "stage failed"
            : current
              ? "stage current"
              : done
                ? "stage done"
                : "stage";
          return (
            <li key={s} className={cls} aria-current={current ? "step" : undefined}>
              {s === "completed" && run.state === "failed" ? status : stageLabel(s)}
            </li>
          );
        })}
      </ol>
      <ErrorNote error={run.error} action="The generation did not complete" />
      {run.state === "completed" && record ? (
        <Result nb={nb} record={record}>
          <div className="again">
            <SelectField
              label="Another tier"
              value={another}
              onChange={(v) => setAnother(v as Quality)}
              options={others.map((q) => ({ value: q, label: q[0]?.toUpperCase() + q.slice(1) }))}
            />
            <button type="button" className="button" onClick={() => onAgain(another)}>
              Again with another tier
            </button>
          </div>
        </Result>
      ) : null}
    </section>
  );
}

/** A completed generation: the image, Download, feedback, facts. */
export function Result({
  nb,
  record,
  children,
}: {
  nb: Sdk;
  record: GenerationRecord;
  children?: React.ReactNode;
}) {
  const image = useFullImage(nb, record.id);
  return (
    <div className="result">
      <figure className="result-image">
        {image.state === "ready" ? (
          <img src={image.url} alt={`Generated: ${record.prompt}`} />
        ) : image.state === "error" ? (
          <ErrorNote error={image.error} action="Could not load the image" />
        ) : (
          <div className="image-placeholder" role="status">
            <span className="spinner" aria-hidden="true" /> Loading the image…
          </div>
        )}
      </figure>
      <div className="result-side">
        <div className="actions">
          <button
            type="button"
            className="button button-primary"
            disabled={image.state !== "ready"}
            onClick={() => {
              if (image.state === "ready" && image.bytes && image.mimeType) {
                saveFile(image.bytes, image.mimeType, fileName(0, record.prompt, image.mimeType));
              }
            }}
          >
            Download
          </button>
        </div>
        <Feedback nb={nb} record={record} />
        {children}
        <RecordFacts record={record} />
      </div>
    </div>
  );
}

export function Feedback({ nb, record }: { nb: Sdk; record: GenerationRecord }) {
  const [rating, setRating] = useState<"up" | "down" | null>(record.feedback?.rating ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => setRating(record.feedback?.rating ?? null), [record]);
  const send = (value: "up" | "down") => {
    setBusy(true);
    setError(null);
    nb.generations
      .feedback(record.id, { rating: value })
      .then(
        () => setRating(value),
        (e: unknown) => setError(e),
      )
      .finally(() => setBusy(false));
  };
  return (
    <div className="feedback">
      <span className="feedback-label" id={`fb-${record.id}`}>
        Was it good?
      </span>
      <fieldset className="toggle" aria-labelledby={`fb-${record.id}`}>
        <button
          type="button"
          className="toggle-button"
          aria-pressed={rating === "up"}
          disabled={busy}
          onClick={() => send("up")}
        >
          <span aria-hidden="true">▲ </span>Thumbs up
        </button>
        <button
          type="button"
          className="toggle-button"
          aria-pressed={rating === "down"}
          disabled={busy}
          onClick={() => send("down")}
        >
          <span aria-hidden="true">▼ </span>Thumbs down
        </button>
      </fieldset>
      {rating ? (
        <span className="muted small" role="status">
          Thanks: noted as {rating === "up" ? "good" : "not good"}.
        </span>
      ) : null}
      <ErrorNote error={error} action="Feedback not saved" />
    </div>
  );
}
