/**
 * A batch from what a person types or drops: plain text (a prompt a line), CSV (a `prompt`
 * column; `quality`, `aspectRatio`, `imageSize`, `format` and `model` columns too when there)
 * or JSONL (an object a line with `prompt` and any field of POST /generate). Problems are
 * reported by line, and nothing is sent while there are any.
 */
import type { GenerateInput } from "@nanobanana/client";

export interface ParsedBatch {
  items: GenerateInput[];
  errors: string[];
}

export type BatchFormat = "text" | "csv" | "jsonl";

const CSV_FIELDS: Record<string, keyof GenerateInput> = {
  prompt: "prompt",
  quality: "quality",
  aspectratio: "aspectRatio",
  aspect_ratio: "aspectRatio",
  imagesize: "imageSize",
  image_size: "imageSize",
  size: "imageSize",
  format: "format",
  model: "model",
};

export function formatOf(fileName: string, text: string): BatchFormat {
  const name = fileName.toLowerCase();
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".txt")) return "text";
  const first = text.trimStart();
  if (first.startsWith("{")) return "jsonl";
  return "text";
}

export function parseBatch(text: string, format: BatchFormat): ParsedBatch {
  if (format === "jsonl") return parseJsonl(text);
  if (format === "csv") return parseCsv(text);
  const items = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((prompt) => ({ prompt }));
  return { items, errors: [] };
}

function parseJsonl(text: string): ParsedBatch {
  const items: GenerateInput[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      errors.push(`line ${i + 1}: not valid JSON`);
      return;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      errors.push(`line ${i + 1}: expected an object with a "prompt"`);
      return;
    }
    const prompt = (value as { prompt?: unknown }).prompt;
    if (typeof prompt !== "string" || !prompt.trim()) {
      errors.push(`line ${i + 1}: "prompt" is missing or empty`);
      return;
    }
    items.push(value as GenerateInput);
  });
  return { items, errors };
}

/** RFC 4180 rows: quoted fields, doubled quotes, commas and line breaks inside quotes. */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((cell) => cell.trim() !== ""));
}

function parseCsv(text: string): ParsedBatch {
  const rows = csvRows(text.replace(/^\uFEFF/, ""));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const promptAt = header.indexOf("prompt");
  if (promptAt < 0) return { items: [], errors: ['the CSV needs a "prompt" column'] };
  const items: GenerateInput[] = [];
  const errors: string[] = [];
  rows.forEach((cells, i) => {
    const item: Record<string, string> = {};
    header.forEach((name, col) => {
      const field = CSV_FIELDS[name];
      const value = cells[col]?.trim();
      if (field && value) item[field] = value;
    });
    if (!item.prompt) errors.push(`row ${i + 2}: the prompt is empty`);
    else items.push(item as unknown as GenerateInput);
  });
  return { items, errors };
}
