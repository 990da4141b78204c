import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import {
  ASPECT_RATIOS,
  AuthenticationError,
  type BatchSummary,
  type FetchLike,
  type GenerateInput,
  GenerationFailedError,
  type GenerationRecord,
  type GenerationUpdate,
  IMAGE_FORMATS,
  IMAGE_SIZES,
  type ImageFormat,
  NanoBanana,
  NanoBananaError,
  QUALITIES,
} from "@nanobanana/client";
import { SingleBar } from "cli-progress";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type BatchProgress, runBatch } from "./batch-run.ts";
import { resolveConnection } from "./connection.ts";
import { extensionFor, parseRows, prepareRows, type RowDefaults, slug } from "./rows.ts";
import { EXIT, UsageError } from "./usage.ts";

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface CliIo {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Ctrl+C: stop waiting (what was created goes on, and the CLI says how to follow it). */
  signal?: AbortSignal;
  /** A fetch of your own (tests). */
  fetch?: FetchLike;
}

const VERSION = "0.1.0";

const positiveInt =
  (name: string, max = Number.MAX_SAFE_INTEGER) =>
  (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return n;
  };

const usd = (n: number) => `$${n.toFixed(n !== 0 && n < 0.01 ? 4 : 3)}`;
const clock = () => new Date().toISOString().slice(11, 19);
const truncate = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

function kindOf(id: string): "generation" | "batch" {
  if (/^gen_[0-9a-z]{6,64}$/.test(id)) return "generation";
  if (/^bat_[0-9a-z]{6,64}$/.test(id)) return "batch";
  throw new UsageError(`"${id}" is not a generation id (gen_…) or a batch id (bat_…)`);
}

const MIME_BY_EXT: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".heic": "image/heic",
  ".heif": "image/heif",
};
const FORMAT_BY_EXT: Record<string, ImageFormat> = {
  ".png": "png",
  ".webp": "webp",
  ".jpg": "jpeg",
  ".jpeg": "jpeg",
};

/** Runs one command line; answers the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const json = (value: unknown) => out(JSON.stringify(value, null, 2));
  const signal = io.signal ?? new AbortController().signal;

  const program = new Command()
    .name("nanobanana")
    .description(
      "Generate images with the NanoBanana API. Key: --api-key, $NANOBANANA_API_KEY, or the one `npm start` keeps in .data/local-api-key.json.",
    )
    .version(VERSION)
    .option("--url <url>", "API base URL (default: $NANOBANANA_URL, else http://localhost:8080)")
    .option("--api-key <key>", "API key (default: $NANOBANANA_API_KEY, else npm start's local key)")
    .option("--json", "print JSON on stdout, for scripts (watch prints one JSON object a line)")
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const globals = () => program.opts<{ url?: string; apiKey?: string; json?: boolean }>();
  const client = () => {
    const { url, apiKey } = globals();
    const connection = resolveConnection({ url, apiKey }, io.env, io.cwd);
    return {
      nb: new NanoBanana({
        apiKey: connection.apiKey,
        baseUrl: connection.baseUrl,
        // A long batch meets the per-key rate limit: wait it out (Retry-After up to a
        // minute) rather than stop half-way.
        maxRetries: 8,
        maxRetryDelayMs: 120_000,
        ...(io.fetch ? { fetch: io.fetch } : {}),
      }),
      connection,
    };
  };
  const asJson = () => globals().json === true;

  program
    .command("generate")
    .description("generate one image and save it")
    .argument("<prompt>", "what to draw")
    .option("-o, --out <file>", "where to save it (default: <prompt>.<format> here)")
    .addOption(new Option("--quality <quality>").choices(QUALITIES))
    .addOption(new Option("--aspect <ratio>", "aspect ratio").choices(ASPECT_RATIOS))
    .addOption(new Option("--size <size>", "image size (long side)").choices(IMAGE_SIZES))
    .addOption(
      new Option("--format <format>", "default: from --out's extension, else png").choices(
        IMAGE_FORMATS,
      ),
    )
    .option("--model <model>", "a model `nanobanana models` lists")
    .option(
      "--image <ref...>",
      "reference image: a file (uploaded first), an upload id or an https URL",
    )
    .option(
      "--wait [seconds]",
      "let the service hold the answer until done, up to N seconds (60 when N is left out)",
    )
    .option("--no-cache", "draw anew even if an identical image is cached")
    .option("--timeout <seconds>", "stop waiting after this long", positiveInt("--timeout"))
    .action(async (prompt: string, flags) => {
      exitCode = await generateCommand(prompt, flags);
    });

  async function generateCommand(
    prompt: string,
    flags: {
      out?: string;
      quality?: GenerateInput["quality"];
      aspect?: GenerateInput["aspectRatio"];
      size?: GenerateInput["imageSize"];
      format?: ImageFormat;
      model?: string;
      image?: string[];
      wait?: boolean | string;
      cache: boolean;
      timeout?: number;
    },
  ): Promise<number> {
    const { nb } = client();
    const target = flags.out ? resolve(io.cwd, flags.out) : undefined;
    // Made before anything is drawn: an image paid for must have somewhere to go.
    if (target) mkdirSync(dirname(target), { recursive: true });
    const format =
      flags.format ?? (target ? FORMAT_BY_EXT[extname(target).toLowerCase()] : undefined);
    let wait: number | undefined;
    if (flags.wait !== undefined && flags.wait !== false) {
      wait = flags.wait === true ? 60 : positiveInt("--wait", 60)(flags.wait);
    }
    const images: string[] = [];
    for (const ref of flags.image ?? []) {
      if (/^(upl_|https:\/\/)/.test(ref)) {
        images.push(ref);
        continue;
      }
      const path = resolve(io.cwd, ref);
      if (!existsSync(path)) {
        throw new UsageError(`--image ${ref}: no such file (nor an upload id or https URL)`);
      }
      const mimeType = MIME_BY_EXT[extname(path).toLowerCase()];
      if (!mimeType) throw new UsageError(`--image ${ref}: use a png, jpeg, webp or heic file`);
      const upload = await nb.uploads.create(readFileSync(path), mimeType, { signal });
      if (!asJson()) err(`uploaded ${ref} as ${upload.id}`);
      images.push(upload.id);
    }
    const input: GenerateInput = {
      prompt,
      ...(flags.quality ? { quality: flags.quality } : {}),
      ...(flags.aspect ? { aspectRatio: flags.aspect } : {}),
      ...(flags.size ? { imageSize: flags.size } : {}),
      ...(format ? { format } : {}),
      ...(flags.model ? { model: flags.model } : {}),
      ...(images.length ? { images } : {}),
      ...(flags.cache === false ? { cache: false } : {}),
    };
    const onUpdate = (update: GenerationUpdate) => {
      if (asJson()) return;
      if (update.event === "accepted") {
        err(`${clock()}  accepted  ${update.generationId}`);
        return;
      }
      err(`${clock()}  ${describeEvent(update.event, update.record)}`);
    };
    const timeoutMs = flags.timeout === undefined ? undefined : flags.timeout * 1000;
    let record: GenerationRecord;
    let id: string | undefined;
    try {
      if (wait !== undefined) {
        const result = await nb.generate(input, { wait, signal });
        id = result.id;
        onUpdate({
          generationId: result.id,
          event: "accepted",
          version: null,
          record: null,
          idempotencyKey: result.idempotencyKey,
        });
        if (result.record?.status === "completed") record = result.record;
        else if (result.record) throw new GenerationFailedError(result.record);
        else record = await nb.generations.wait(result.id, { signal, onUpdate, timeoutMs });
      } else {
        record = await nb.run(input, {
          signal,
          onUpdate: (u) => {
            id = u.generationId;
            onUpdate(u);
          },
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        });
      }
    } catch (error) {
      if (error instanceof GenerationFailedError) {
        const r = error.record;
        if (asJson()) json({ id: r.id, status: r.status, file: null, error: r.error, record: r });
        else
          err(
            `${r.status}: ${r.error ? `${r.error.code}: ${r.error.message}` : "no image"} (${r.id})`,
          );
        return EXIT.failed;
      }
      const generationId = (error as NanoBananaError).generationId ?? id;
      if (generationId && error instanceof NanoBananaError) {
        if (asJson())
          json({
            id: generationId,
            status: "running",
            file: null,
            error: { code: error.code, message: error.message },
          });
        else
          err(
            `stopped waiting: ${generationId} goes on; follow it with \`nanobanana watch ${generationId}\``,
          );
        return EXIT.failed;
      }
      throw error;
    }
    const image = await nb.generations.image(record.id, { signal });
    const file =
      target ?? freeName(resolve(io.cwd, `${slug(prompt)}.${extensionFor(image.mimeType)}`));
    writeFileSync(file, image.bytes);
    if (asJson()) {
      json({ id: record.id, status: record.status, file, record });
    } else {
      const size = record.image ? `${record.image.width}×${record.image.height}` : "";
      out(
        `${file}  ${size} ${image.mimeType}  ${usd(record.cost.usd)}${record.cached ? " (cached)" : ""}  ${record.id}`,
      );
    }
    return EXIT.ok;
  }

  program
    .command("batch")
    .description(
      "generate every prompt of a .txt (a prompt a line), .jsonl or .csv file into a folder; run it again to resume",
    )
    .argument(
      "<file>",
      "prompts: .txt, .jsonl (fields of POST /generate) or .csv (a prompt column)",
    )
    .requiredOption("-o, --out <dir>", "folder for the images and the manifest")
    .addOption(new Option("--quality <quality>", "for rows that name none").choices(QUALITIES))
    .addOption(new Option("--aspect <ratio>", "for rows that name none").choices(ASPECT_RATIOS))
    .addOption(new Option("--size <size>", "for rows that name none").choices(IMAGE_SIZES))
    .addOption(new Option("--format <format>", "for rows that name none").choices(IMAGE_FORMATS))
    .option("--model <model>", "for rows that name none")
    .option("--webhook <url>", "also tell this URL about every item and the batch")
    .option("--chunk <n>", "items per batch request", positiveInt("--chunk", 1000), 100)
    .option("--downloads <n>", "images downloaded at once", positiveInt("--downloads", 32), 4)
    .option("--no-progress", "no progress bar")
    .action(async (file: string, flags) => {
      exitCode = await batchCommand(file, flags);
    });

  async function batchCommand(
    file: string,
    flags: {
      out: string;
      quality?: RowDefaults["quality"];
      aspect?: RowDefaults["aspectRatio"];
      size?: RowDefaults["imageSize"];
      format?: RowDefaults["format"];
      model?: string;
      webhook?: string;
      chunk: number;
      downloads: number;
      progress: boolean;
    },
  ): Promise<number> {
    const source = resolve(io.cwd, file);
    if (!existsSync(source)) throw new UsageError(`${file}: no such file`);
    const rows = prepareRows(parseRows(source, readFileSync(source, "utf8")), {
      ...(flags.quality ? { quality: flags.quality } : {}),
      ...(flags.aspect ? { aspectRatio: flags.aspect } : {}),
      ...(flags.size ? { imageSize: flags.size } : {}),
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.model ? { model: flags.model } : {}),
    });
    const { nb } = client();
    const outDir = resolve(io.cwd, flags.out);
    const useBar = flags.progress && !asJson() && io.stderr.isTTY === true;
    const bar = useBar
      ? new SingleBar({
          format: " {bar} {value}/{total} done | {failed} failed | ETA {eta} | {cost} so far",
          stream: io.stderr as NodeJS.WritableStream,
          hideCursor: true,
          etaBuffer: 20,
          fps: 10,
        })
      : undefined;
    let lastLine = -1;
    const started = Date.now();
    const onProgress = (p: BatchProgress) => {
      if (bar) {
        // Our own ETA: the bar's own shows "NFs" before the first item is done.
        const payload = { failed: p.failed, cost: usd(p.costUsd), eta: etaText(p, started) };
        if (!bar.isActive) bar.start(p.total, p.done, payload);
        bar.update(p.done, payload);
        return;
      }
      if (asJson() || !flags.progress) return;
      // No terminal: a line at every tenth.
      const tenth = Math.floor((p.done / p.total) * 10);
      if (tenth !== lastLine) {
        lastLine = tenth;
        err(`${p.done}/${p.total} done, ${p.failed} failed, ${usd(p.costUsd)} so far`);
      }
    };
    const notes: string[] = [];
    const result = await runBatch({
      nb,
      source,
      outDir,
      rows,
      webhook: flags.webhook,
      chunkSize: flags.chunk,
      downloads: flags.downloads,
      signal,
      onProgress,
      note: (line) => (bar ? notes.push(line) : asJson() ? undefined : err(line)),
    });
    bar?.stop();
    for (const line of notes) err(line);
    const failures = result.rows.filter((r) => r.status === "failed" || r.status === "canceled");
    const width = Math.max(4, String(result.total).length);
    if (asJson()) {
      json({
        source,
        out: outDir,
        manifest: result.manifestPath,
        total: result.total,
        completed: result.completed,
        failed: result.failed,
        resumed: result.resumed,
        costUsd: result.costUsd,
        interrupted: result.interrupted,
        failures: failures.map((r) => ({
          row: r.row,
          prompt: r.prompt,
          generationId: r.generationId,
          status: r.status,
          error: r.error,
        })),
        rows: result.rows,
      });
    } else {
      if (failures.length) {
        err(`${failures.length} failed:`);
        for (const r of failures) {
          err(
            `  row ${String(r.row).padStart(width, "0")} "${truncate(r.prompt, 50)}": ${r.error ? `${r.error.code}: ${r.error.message}` : r.status} (${r.generationId})`,
          );
        }
        err("run the same command again to retry them");
      }
      if (result.interrupted) {
        err(`interrupted: run the same command again to resume (${result.manifestPath})`);
      }
      out(
        `${result.completed}/${result.total} images in ${outDir}` +
          (result.resumed ? ` (${result.resumed} from an earlier run)` : "") +
          `, ${result.failed} failed, ${usd(result.costUsd)}`,
      );
    }
    return failures.length || result.interrupted || result.done < result.total
      ? EXIT.failed
      : EXIT.ok;
  }

  program
    .command("status")
    .description("a generation's record, or a batch's counts")
    .argument("<id>", "gen_… or bat_…")
    .action(async (id: string) => {
      const { nb } = client();
      if (kindOf(id) === "generation") {
        const record = await nb.generations.get(id, { signal });
        if (asJson()) json(record);
        else printRecord(record);
        return;
      }
      const status = await nb.batches.get(id, { limit: 1000, signal });
      if (asJson()) json(status);
      else printBatch(status);
    });

  program
    .command("watch")
    .description("follow a generation's stages (or a batch's progress) live until it ends")
    .argument("<id>", "gen_… or bat_…")
    .action(async (id: string) => {
      const { nb } = client();
      if (kindOf(id) === "generation") {
        let last: GenerationRecord | undefined;
        for await (const event of nb.generations.events(id, { signal })) {
          last = event.record;
          if (asJson()) {
            out(
              JSON.stringify({
                event: event.event,
                version: event.version,
                via: event.via,
                record: event.record,
              }),
            );
          } else {
            out(`${clock()}  ${describeEvent(event.event, event.record)}`);
          }
        }
        exitCode = last?.status === "completed" ? EXIT.ok : EXIT.failed;
        return;
      }
      let last: BatchSummary | undefined;
      for await (const event of nb.batches.events(id, { signal })) {
        last = event.summary;
        if (asJson())
          out(
            JSON.stringify({
              event: event.event,
              version: event.version,
              via: event.via,
              summary: event.summary,
            }),
          );
        else out(`${clock()}  ${describeBatch(event.summary)}`);
      }
      exitCode = last && last.counts.failed + last.counts.canceled === 0 ? EXIT.ok : EXIT.failed;
    });

  program
    .command("cancel")
    .description("cancel a queued generation, or every queued item of a batch")
    .argument("<id>", "gen_… or bat_…")
    .action(async (id: string) => {
      const { nb } = client();
      if (kindOf(id) === "generation") {
        const record = await nb.generations.cancel(id, { signal });
        if (asJson()) json(record);
        else out(`${record.id} ${record.status}`);
        return;
      }
      const result = await nb.batches.cancel(id, { signal });
      if (asJson()) json(result);
      else out(`${id}: ${result.canceled} canceled; ${describeBatch(result)}`);
    });

  program
    .command("history")
    .description("your generations, newest first")
    .option("-n, --limit <n>", "how many", positiveInt("--limit"), 20)
    .option("--all", "every one (pages through the whole history)")
    .action(async (flags: { limit: number; all?: boolean }) => {
      const { nb } = client();
      const max = flags.all ? Number.POSITIVE_INFINITY : flags.limit;
      const records: GenerationRecord[] = [];
      for await (const record of nb.history({ limit: Math.min(100, max), signal })) {
        records.push(record);
        if (records.length >= max) break;
      }
      if (asJson()) {
        json({ items: records });
        return;
      }
      for (const r of records) {
        out(
          `${r.id}  ${r.status.padEnd(10)} ${r.createdAt.slice(0, 19).replace("T", " ")}  ${usd(r.cost.usd).padStart(8)}  ${truncate(r.prompt, 60)}`,
        );
      }
      if (records.length === 0) out("no generations yet");
    });

  program
    .command("cost")
    .description("what you spent today, this week and this month")
    .option("--date <YYYY-MM-DD>", "around another day")
    .action(async (flags: { date?: string }) => {
      if (flags.date && !/^\d{4}-\d{2}-\d{2}$/.test(flags.date)) {
        throw new UsageError("--date must be YYYY-MM-DD");
      }
      const { nb } = client();
      const report = await nb.cost({ ...(flags.date ? { date: flags.date } : {}), signal });
      if (asJson()) {
        json(report);
        return;
      }
      for (const [label, p] of [
        ["day", report.day],
        ["week", report.week],
        ["month", report.month],
      ] as const) {
        out(
          `${label.padEnd(6)} ${p.period.padEnd(10)} ${usd(p.usd).padStart(9)}  ${p.images} images, ${p.cacheHits} cache hits (saved ${usd(p.savedUsd)})`,
        );
      }
      for (const m of report.byModel)
        out(`  ${m.model.padEnd(30)} ${usd(m.usd).padStart(9)}  ${m.images} images`);
    });

  program
    .command("models")
    .description("the models this deployment draws with, their sizes and prices")
    .action(async () => {
      const { nb } = client();
      const models = await nb.models({ signal });
      if (asJson()) {
        json(models);
        return;
      }
      out(
        `provider ${models.provider}; default ${models.defaultModel}; fallback ${models.fallbackModel ?? "none"}`,
      );
      for (const m of models.items) {
        const sizes = m.sizes.map((s) => `${s.imageSize} ${usd(s.usd)} (batch ${usd(s.batchUsd)})`);
        out(`${m.id}${m.roles.length ? ` [${m.roles.join(", ")}]` : ""}`);
        out(`  sizes: ${sizes.join(", ")}`);
        out(
          `  aspect ratios: ${m.aspectRatios.join(" ")}; reference images: up to ${m.maxReferenceImages}`,
        );
      }
      for (const r of models.routes) {
        const when = Object.entries(r)
          .filter(([k]) => k !== "model")
          .map(([k, v]) => `${k} ${v}`)
          .join(", ");
        out(`route: ${when || "anything"} → ${r.model}`);
      }
    });

  function printRecord(r: GenerationRecord) {
    out(`${r.id}  ${r.status} (${r.stage})`);
    out(`prompt:  ${r.prompt}`);
    out(`request: ${r.quality}, ${r.aspectRatio}, ${r.imageSize}, ${r.format}`);
    if (r.classification) {
      out(
        `class:   ${r.classification.domain}/${r.classification.subcategory} (${r.classification.confidence.toFixed(2)})`,
      );
    }
    if (r.model) out(`model:   ${r.model}${r.modelReason ? ` (${r.modelReason})` : ""}`);
    if (r.queue)
      out(
        `queue:   position ${r.queue.position ?? "?"}, about ${r.queue.etaMs === null ? "?" : `${Math.ceil(r.queue.etaMs / 1000)} s`}`,
      );
    if (r.image)
      out(`image:   ${r.image.width}×${r.image.height} ${r.image.mimeType} ${r.image.url}`);
    out(`cost:    ${usd(r.cost.usd)}${r.cached ? ` (cached, saved ${usd(r.cost.savedUsd)})` : ""}`);
    if (r.error) out(`error:   ${r.error.code}: ${r.error.message}`);
    out(`created: ${r.createdAt}${r.completedAt ? `  ended: ${r.completedAt}` : ""}`);
  }

  function printBatch(s: BatchSummary & { items?: GenerationRecord[] }) {
    out(`${s.id}  ${describeBatch(s)}`);
    out(`created: ${s.createdAt}${s.completedAt ? `  completed: ${s.completedAt}` : ""}`);
    for (const item of (s.items ?? []).filter((i) => i.status === "failed")) {
      out(`  failed ${item.id}: ${item.error?.code}: ${item.error?.message}`);
    }
  }

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are fine; anything else commander refused is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      err(`error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof NanoBananaError) {
      if (error.code === "ABORTED") {
        err("stopped");
        return EXIT.failed;
      }
      const where = error.status
        ? ` (HTTP ${error.status}${error.requestId ? `, request ${error.requestId}` : ""})`
        : "";
      if (asJson()) {
        json({
          error: {
            code: error.code,
            message: error.message,
            status: error.status ?? null,
            requestId: error.requestId ?? null,
          },
        });
      }
      err(`error: ${error.code}: ${error.message}${where}`);
      if (error instanceof AuthenticationError) {
        err(`(the key came from ${safeKeySource(globals(), io)})`);
      }
      return EXIT.failed;
    }
    err(`error: ${(error as Error).message ?? String(error)}`);
    return EXIT.failed;
  }
}

function safeKeySource(flags: { url?: string; apiKey?: string }, io: CliIo): string {
  try {
    return resolveConnection(flags, io.env, io.cwd).keySource;
  } catch {
    return "nowhere";
  }
}

/** A file name that does not overwrite one already there: name.png, name-2.png, … */
function freeName(path: string): string {
  if (!existsSync(path)) return path;
  const ext = extname(path);
  const stem = path.slice(0, path.length - ext.length);
  for (let i = 2; ; i++) {
    const candidate = `${stem}-${i}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

function describeEvent(event: string, record: GenerationRecord | null): string {
  if (!record) return event;
  switch (event) {
    case "queued": {
      const q = record.queue;
      const where = q
        ? ` (position ${q.position ?? "?"}${q.etaMs !== null ? `, about ${Math.ceil(q.etaMs / 1000)} s` : ""})`
        : "";
      return `queued${where}${record.error?.retryable ? ` — retrying after ${record.error.code}` : ""}`;
    }
    case "classify":
    case "enhance":
      return record.classification
        ? `${event.padEnd(9)} ${record.classification.domain}/${record.classification.subcategory}`
        : event;
    case "generate":
      return `generate  ${record.model ?? ""}`.trimEnd();
    case "completed":
      return `completed ${usd(record.cost.usd)}${record.cached ? " (cached)" : ""}${record.timings.totalMs ? ` in ${(record.timings.totalMs / 1000).toFixed(1)} s` : ""}`;
    case "failed":
      return `failed    ${record.error?.code}: ${record.error?.message}`;
    default:
      return event;
  }
}

function describeBatch(s: BatchSummary): string {
  const c = s.counts;
  const done = c.completed + c.failed + c.canceled;
  return `${done}/${s.total} done (${c.completed} completed, ${c.failed} failed, ${c.canceled} canceled, ${c.processing} processing, ${c.queued} queued), ${usd(s.cost.usd)}${s.completedAt ? ", finished" : ""}`;
}

/** "2m 10s" left at the pace so far, or "…" until one item is done. */
function etaText(p: { done: number; total: number }, startedAt: number): string {
  if (p.done === 0) return "…";
  const leftMs = ((Date.now() - startedAt) / p.done) * (p.total - p.done);
  const seconds = Math.round(leftMs / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m ${seconds % 60}s` : `${seconds}s`;
}
