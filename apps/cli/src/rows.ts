import { createHash } from "node:crypto";
import { extname } from "node:path";
import {
  ASPECT_RATIOS,
  type GenerateInput,
  IMAGE_FORMATS,
  IMAGE_SIZES,
  QUALITIES,
} from "@nanobanana/client";
import { parse as parseCsv } from "csv-parse/sync";
import { UsageError } from "./usage.ts";

/** One prompt of a batch file: its 1-based row number (which names its file) and its request. */
export interface Row {
  row: number;
  input: GenerateInput;
}

const FIELDS = new Set([
  "prompt",
  "quality",
  "model",
  "aspectRatio",
  "imageSize",
  "images",
  "format",
  "metadata",
  "webhook",
  "cache",
]);

/** CSV headers people write for the request's fields. */
const CSV_ALIASES: Record<string, string> = {
  prompt: "prompt",
  quality: "quality",
  model: "model",
  aspectratio: "aspectRatio",
  aspect_ratio: "aspectRatio",
  aspect: "aspectRatio",
  imagesize: "imageSize",
  image_size: "imageSize",
  size: "imageSize",
  format: "format",
};

/**
 * Reads a batch file: `.txt` (a prompt a line; blank lines and `#` comments skipped), `.jsonl`
 * (a JSON object with the fields of POST /generate, or a JSON string, a line) or `.csv` (a
 * header row with `prompt` and optionally quality, aspectRatio/aspect, imageSize/size, format,
 * model; other columns become metadata).
 */
export function parseRows(path: string, text: string): Row[] {
  const kind = extname(path).toLowerCase();
  let rows: Row[];
  if (kind === ".jsonl" || kind === ".ndjson") rows = parseJsonl(text);
  else if (kind === ".csv") rows = parseCsvRows(text);
  else if (kind === ".txt" || kind === "") rows = parseText(text);
  else throw new UsageError(`${path}: use a .txt, .jsonl or .csv file`);
  if (rows.length === 0) throw new UsageError(`${path} holds no prompts`);
  return rows;
}

function parseText(text: string): Row[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((prompt, i) => ({ row: i + 1, input: { prompt } }));
}

function parseJsonl(text: string): Row[] {
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`line ${i + 1}: not JSON`);
    }
    if (typeof value === "string") value = { prompt: value };
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      throw new UsageError(`line ${i + 1}: expected an object with a prompt, or a string`);
    }
    const unknown = Object.keys(value).filter((k) => !FIELDS.has(k));
    if (unknown.length) {
      throw new UsageError(
        `line ${i + 1}: unknown field ${unknown.join(", ")} (fields: ${[...FIELDS].join(", ")})`,
      );
    }
    rows.push({ row: rows.length + 1, input: value as GenerateInput });
  });
  return rows;
}

function parseCsvRows(text: string): Row[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as Record<string, string>[];
  } catch (error) {
    throw new UsageError(`CSV: ${(error as Error).message}`);
  }
  if (records.length && !Object.keys(records[0] ?? {}).some((h) => h.toLowerCase() === "prompt")) {
    throw new UsageError("CSV: the header row needs a prompt column");
  }
  return records.map((record, i) => {
    const input: Record<string, unknown> = {};
    const metadata: Record<string, string> = {};
    for (const [header, value] of Object.entries(record)) {
      if (value === "") continue;
      const field = CSV_ALIASES[header.toLowerCase()];
      if (field) input[field] = value;
      else metadata[header] = value;
    }
    if (Object.keys(metadata).length) input.metadata = metadata;
    return { row: i + 1, input: input as unknown as GenerateInput };
  });
}

/** What a batch command's flags say, for the rows that leave it out. */
export type RowDefaults = Partial<
  Pick<GenerateInput, "quality" | "aspectRatio" | "imageSize" | "format" | "model">
>;

/** Fills each row's missing fields from the flags, and checks every row before anything is sent. */
export function prepareRows(rows: Row[], defaults: RowDefaults): Row[] {
  const problems: string[] = [];
  const prepared = rows.map(({ row, input }) => {
    const filled: GenerateInput = { ...input };
    for (const [key, value] of Object.entries(defaults) as Array<[keyof RowDefaults, string]>) {
      if (value !== undefined && filled[key] === undefined) {
        (filled as unknown as Record<string, unknown>)[key] = value;
      }
    }
    const check = (field: keyof GenerateInput, allowed: readonly string[]) => {
      const value = filled[field];
      if (value !== undefined && !allowed.includes(String(value))) {
        problems.push(`row ${row}: ${field} "${value}" is not one of ${allowed.join(", ")}`);
      }
    };
    if (typeof filled.prompt !== "string" || !filled.prompt.trim()) {
      problems.push(`row ${row}: the prompt is empty`);
    } else if (filled.prompt.length > 2000) {
      problems.push(`row ${row}: the prompt is over 2000 characters`);
    }
    check("quality", QUALITIES);
    check("aspectRatio", ASPECT_RATIOS);
    check("imageSize", IMAGE_SIZES);
    check("format", IMAGE_FORMATS);
    return { row, input: filled };
  });
  if (problems.length) {
    const shown = problems.slice(0, 10);
    if (problems.length > 10) shown.push(`… and ${problems.length - 10} more`);
    throw new UsageError(shown.join("\n"));
  }
  return prepared;
}

/** A stable fingerprint of a request: the same input hashes the same whatever its key order. */
export function inputHash(input: GenerateInput): string {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
      return `{${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
        .join(",")}}`;
    }
    return JSON.stringify(value) ?? "null";
  };
  return createHash("sha256").update(canonical(input)).digest("hex").slice(0, 32);
}

/** "Red Sneaker, on white!" → "red-sneaker-on-white": file-name safe, at most `max` characters. */
export function slug(text: string, max = 40): string {
  const base = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const cut =
    base.length > max ? base.slice(0, max).replace(/-[^-]*$/, "") || base.slice(0, max) : base;
  return cut.replace(/-+$/g, "") || "image";
}

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/webp": "webp",
  "image/jpeg": "jpg",
};

export function extensionFor(mimeType: string): string {
  return EXTENSIONS[mimeType] ?? "bin";
}

/** The file a row's image is saved as: "0001-red-sneaker.png". */
export function fileNameFor(row: number, total: number, prompt: string, mimeType: string): string {
  const width = Math.max(4, String(total).length);
  return `${String(row).padStart(width, "0")}-${slug(prompt)}.${extensionFor(mimeType)}`;
}
