import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";

/**
 * A local stand-in for Google's Gemini REST API (v1beta), for tests and for trying the
 * Gemini provider offline: `generateContent`, `models.get`, Batch Mode (`batchGenerateContent`,
 * `batches` get/list/cancel) and the Files API (resumable upload, get, download). The provider
 * reaches it only through GEMINI_BASE_URL, exactly as it reaches Google.
 *
 * The answer is chosen by a marker anywhere in the prompt, e.g. "a cat [gemini:image-first]",
 * so a scenario also works end to end through `npm start`. A text model asked with a
 * `responseSchema` (the classifier's second opinion) answers JSON for that schema instead:
 * the label a `[gemini:label=<domain>/<subcategory>]` marker names, else {@link FAKE_GEMINI_LABEL};
 * the `label-…` scenarios act on those calls only, and the image scenarios on image calls only.
 */
export const SCENARIOS = {
  ok: "text part, then the image (the usual answer), sized for the requested aspect ratio",
  "image-first": "the image part, then a text part",
  "multi-candidate": "first candidate text only, second candidate carries the image",
  "prompt-blocked": "promptFeedback.blockReason SAFETY, no candidates",
  "image-safety": "a candidate with finishReason IMAGE_SAFETY and no content",
  "text-only": "a text-only refusal, finishReason STOP",
  "no-image": "finishReason NO_IMAGE, no content",
  "rate-limited-once":
    "429 RESOURCE_EXHAUSTED with Retry-After: 1 on the first call for this prompt, then ok",
  "server-error-twice": "500 INTERNAL on the first two calls for this prompt, then ok",
  "flash-down": "503 UNAVAILABLE from gemini-3.1-flash-image on every call; other models answer ok",
  "image-safety-once":
    "the first call with this marker since the stand-in started: finishReason IMAGE_SAFETY (the drawing refused, not the prompt); then ok, whatever the brief's wording",
  "always-503": "503 UNAVAILABLE from every model",
  "bad-request": "400 INVALID_ARGUMENT",
  malformed: "200 with a body that is not JSON",
  "slow-once":
    "the first call for this prompt answers only after 3 s (past a short timeout), then ok",
  "label-invalid-json":
    "a text model asked with a responseSchema answers 200 with text that is not JSON (billed tokens all the same)",
  "label-503": "a text model asked with a responseSchema answers 503 UNAVAILABLE, every time",
  "label-slow":
    "a text model asked with a responseSchema answers its label only after 3 s (past a short timeout)",
} as const;

/** The label a text model asked with a responseSchema answers when no marker names one. */
export const FAKE_GEMINI_LABEL = { domain: "photography", subcategory: "landscape" } as const;

/**
 * `[gemini:label=art/painting]`: the label a text model asked with a responseSchema answers,
 * whatever it is (one outside the schema too, to test what checks the answer).
 */
export const LABEL_MARKER = /\[gemini:label=([a-z0-9_]+)\/([a-z0-9_]+)\]/;

/**
 * What a text model's JSON answer is billed as: fixed, so a test can say what it costs
 * ((800 × input + (24 + 8) × output price) per 1M tokens; thinking is billed as output).
 */
export const FAKE_GEMINI_TEXT_USAGE = {
  promptTokenCount: 800,
  candidatesTokenCount: 24,
  thoughtsTokenCount: 8,
  totalTokenCount: 832,
} as const;

export type Scenario = keyof typeof SCENARIOS;

/**
 * Batch Mode: each request of a job is answered as generateContent answers it (the markers
 * above pick an item's answer; an HTTP error becomes that item's `error`), once the job's
 * turnaround has passed. These markers, in any request of a job, act on the whole job.
 */
export const BATCH_SCENARIOS = {
  "batch-expire": "the job ends BATCH_STATE_EXPIRED after its turnaround, nothing answered",
  "batch-fail": "the job ends BATCH_STATE_FAILED after its turnaround, nothing answered",
  "batch-reversed": "the answers come back in the reverse order of the requests (keys kept)",
  "batch-no-keys": "the answers carry no key (inline metadata or JSONL key), in request order",
  "batch-create-429-once":
    "the first create carrying this marker answers 429 RESOURCE_EXHAUSTED (Retry-After: 1)",
  "batch-get-503-once": "the job's first get answers 503 UNAVAILABLE",
} as const;

export type BatchScenario = keyof typeof BATCH_SCENARIOS;

export interface FakeGeminiCall {
  model: string;
  scenario: Scenario;
  /** The prompt's text parts, joined: what tells one request's calls from another's. */
  prompt: string;
  status: number;
  apiKey: string | undefined;
  aspectRatio: string | undefined;
  imageSize: string | undefined;
  /** Images that arrived as inline parts, with their mime types. */
  inlineImages: string[];
  /** The JSON schema asked for (responseSchema or responseJsonSchema): a text call's. */
  responseSchema: unknown;
  /** The system instruction's text, when one was sent. */
  systemInstruction: string | undefined;
  at: number;
}

/** A batch job as the stand-in received it, for tests to assert on. */
export interface FakeGeminiBatch {
  /** "batches/…" */
  name: string;
  model: string;
  displayName: string;
  /** How the requests came: inlined in the create call, or as an uploaded JSONL file. */
  input: "inline" | "file";
  /** The uploaded input file ("files/…") when input is "file". */
  inputFile: string | undefined;
  requestCount: number;
  /** The size of the create call's body, in bytes (what Google's 20 MB inline limit is about). */
  requestBytes: number;
  /** Each request's key (inline metadata.key or the JSONL line's key), in order. */
  keys: Array<string | undefined>;
  /** BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED, _CANCELLED or _EXPIRED. */
  state: string;
  createdAt: number;
  /** Each request as it was answered once the job ran (the same record generateContent keeps). */
  items: FakeGeminiCall[];
  /** The answers' JSONL file ("files/…") of a job whose input was a file, once it succeeded. */
  outputFile: string | undefined;
  /** Gets of this job answered so far. */
  gets: number;
}

/** A file uploaded through the Files API (or written by a batch job), as the stand-in holds it. */
export interface FakeGeminiFile {
  /** "files/…" */
  name: string;
  displayName: string | undefined;
  mimeType: string;
  sizeBytes: number;
  /** Upload requests that carried its bytes (the SDK sends 8 MiB chunks); 0 for a batch's output. */
  chunks: number;
  createdAt: number;
}

/**
 * The image models Google serves today (models.get answers 200 for these) and the ids it has
 * shut down (404 NOT_FOUND, on models.get and generateContent alike), as of 2026-11-25.
 */
export const FAKE_GEMINI_MODELS = [
  "gemini-3.1-flash-image",
  "gemini-3-pro-image",
  "gemini-3.1-flash-lite-image",
] as const;
/** The text models Google serves today that the stand-in knows (models.get answers 200). */
export const FAKE_GEMINI_TEXT_MODELS = ["gemini-3.1-flash-lite", "gemini-3.5-flash-lite"] as const;
const RETIRED = new Set([
  "gemini-2.5-flash-image",
  "gemini-3.1-flash-image-preview",
  "gemini-3-pro-image-preview",
]);

export interface FakeGemini {
  url: string;
  calls: FakeGeminiCall[];
  callsFor(marker: string): FakeGeminiCall[];
  /** Batch jobs created, oldest first. */
  batches: FakeGeminiBatch[];
  /** Files uploaded or written, oldest first. */
  files: FakeGeminiFile[];
  close(): Promise<void>;
}

/**
 * The pixel sizes Gemini 2.5 Flash Image documents for each aspect ratio (1290 tokens each):
 * sides on its own grid, so 4:3 is 1184×864, not 1024×768. Unknown or absent ratios are square.
 */
const GEMINI_IMAGE_SIZES: Readonly<Record<string, { width: number; height: number }>> = {
  "1:1": { width: 1024, height: 1024 },
  "2:3": { width: 832, height: 1248 },
  "3:2": { width: 1248, height: 832 },
  "3:4": { width: 864, height: 1184 },
  "4:3": { width: 1184, height: 864 },
  "4:5": { width: 896, height: 1152 },
  "5:4": { width: 1152, height: 896 },
  "9:16": { width: 768, height: 1344 },
  "16:9": { width: 1344, height: 768 },
  "21:9": { width: 1536, height: 672 },
};

/** imageSize scales the 1K grid: 512 halves it, 2K doubles it, 4K quadruples it. */
const SIZE_SCALE: Readonly<Record<string, number>> = { "512": 0.5, "1K": 1, "2K": 2, "4K": 4 };

/** The pixel size the stand-in draws for an aspect ratio and image size (Gemini's own grid). */
export function fakeGeminiImageSize(
  aspectRatio: string | undefined,
  imageSize: string | undefined,
): { width: number; height: number } {
  const base = GEMINI_IMAGE_SIZES[aspectRatio ?? "1:1"] ?? { width: 1024, height: 1024 };
  const scale = SIZE_SCALE[imageSize ?? "1K"] ?? 1;
  return { width: Math.round(base.width * scale), height: Math.round(base.height * scale) };
}

const imageCache = new Map<string, Promise<string>>();
const pngBase64 = (aspectRatio: string | undefined, imageSize: string | undefined) => {
  const size = fakeGeminiImageSize(aspectRatio, imageSize);
  const key = `${size.width}x${size.height}`;
  let cached = imageCache.get(key);
  if (!cached) {
    cached = sharp({ create: { ...size, channels: 3, background: "#f4c430" } })
      .png()
      .toBuffer()
      .then((b) => b.toString("base64"));
    imageCache.set(key, cached);
  }
  return cached;
};

const usage = { promptTokenCount: 120, candidatesTokenCount: 1290, totalTokenCount: 1410 };

/** The canonical google.rpc.Code of an HTTP status, as a batch item's `error.code` carries it. */
const GRPC_CODE: Readonly<Record<number, number>> = {
  400: 3, // INVALID_ARGUMENT
  403: 7, // PERMISSION_DENIED
  404: 5, // NOT_FOUND
  408: 4, // DEADLINE_EXCEEDED
  429: 8, // RESOURCE_EXHAUSTED
  500: 13, // INTERNAL
  503: 14, // UNAVAILABLE
  504: 4, // DEADLINE_EXCEEDED
};

const ENDED = new Set([
  "BATCH_STATE_SUCCEEDED",
  "BATCH_STATE_FAILED",
  "BATCH_STATE_CANCELLED",
  "BATCH_STATE_EXPIRED",
]);

function apiError(
  res: ServerResponse,
  code: number,
  status: string,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(code, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

const unregistered = (res: ServerResponse) =>
  apiError(
    res,
    403,
    "PERMISSION_DENIED",
    "Method doesn't allow unregistered callers. Please use an API Key.",
  );

function sendJson(res: ServerResponse, payload: unknown, headers: Record<string, string> = {}) {
  res.writeHead(200, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(payload));
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A GenerateContentRequest's body, as far as the stand-in reads it. */
interface GenerateBody {
  contents?: Array<{
    parts?: Array<{ text?: string; inlineData?: { mimeType?: string; data?: string } }>;
  }>;
  systemInstruction?: { parts?: Array<{ text?: string }> };
  generationConfig?: {
    imageConfig?: { aspectRatio?: string; imageSize?: string };
    responseMimeType?: string;
    responseSchema?: unknown;
    responseJsonSchema?: unknown;
  };
}

/** What one generateContent request asked for. */
interface Asked {
  model: string;
  text: string;
  scenario: Scenario;
  markers: string[];
  aspectRatio: string | undefined;
  imageSize: string | undefined;
  inlineImages: string[];
  responseSchema: unknown;
  systemInstruction: string | undefined;
}

function readAsked(model: string, body: GenerateBody): Asked {
  const parts = (body.contents ?? []).flatMap((c) => c.parts ?? []);
  const text = parts.flatMap((p) => (p.text === undefined ? [] : [p.text])).join(" ");
  const markers = [...text.matchAll(/\[gemini:([a-z0-9-]+)\]/g)].flatMap((m) =>
    m[1] ? [m[1]] : [],
  );
  return {
    model,
    text,
    // A whole-job batch marker does not pick an item's answer.
    scenario: (markers.find((m) => !m.startsWith("batch-")) ?? "ok") as Scenario,
    markers,
    aspectRatio: body.generationConfig?.imageConfig?.aspectRatio,
    imageSize: body.generationConfig?.imageConfig?.imageSize,
    inlineImages: parts.filter((p) => p.inlineData?.data).map((p) => p.inlineData?.mimeType ?? "?"),
    responseSchema:
      body.generationConfig?.responseSchema ?? body.generationConfig?.responseJsonSchema,
    systemInstruction: body.systemInstruction?.parts?.map((p) => p.text ?? "").join(" "),
  };
}

/** The enum a schema gives one of its object's properties (either schema dialect), if any. */
function enumOf(schema: unknown, property: string): string[] | undefined {
  const properties = (schema as { properties?: Record<string, { enum?: unknown }> } | undefined)
    ?.properties;
  const values = properties?.[property]?.enum;
  return Array.isArray(values) ? values.map(String) : undefined;
}

/**
 * A text model's JSON for a label schema: the marker's label as it is, else the fixed one (or,
 * should the schema not offer it, the schema's first values), with a reason when asked for one.
 */
function labelJson(asked: Asked): string {
  const marked = asked.text.match(LABEL_MARKER);
  const domains = enumOf(asked.responseSchema, "domain");
  const subcategories = enumOf(asked.responseSchema, "subcategory");
  const label = marked
    ? { domain: marked[1], subcategory: marked[2] }
    : {
        domain:
          !domains || domains.includes(FAKE_GEMINI_LABEL.domain)
            ? FAKE_GEMINI_LABEL.domain
            : domains[0],
        subcategory:
          !subcategories || subcategories.includes(FAKE_GEMINI_LABEL.subcategory)
            ? FAKE_GEMINI_LABEL.subcategory
            : subcategories[0],
      };
  const wantsReason = Boolean(
    (asked.responseSchema as { properties?: Record<string, unknown> } | undefined)?.properties
      ?.reason,
  );
  return JSON.stringify({
    ...label,
    ...(wantsReason
      ? { reason: marked ? "the label the marker asked for" : "the stand-in's usual label" }
      : {}),
  });
}

/** generateContent's answer to one request, before it is sent (or put into a batch's output). */
interface Answer {
  status: number;
  /** The JSON body: a GenerateContentResponse, or `{error}` for a status other than 200. */
  json?: { error?: { code: number; message: string; status: string } } & Record<string, unknown>;
  /** A body that is not JSON. */
  raw?: string;
  headers?: Record<string, string>;
  /** Over HTTP, answer only after the stand-in's slow delay (the client may have gone). */
  slow?: boolean;
}

const errorAnswer = (
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): Answer => ({
  status,
  json: { error: { code: status, message, status: code } },
  ...(headers ? { headers } : {}),
});

export async function startFakeGemini(
  options: {
    port?: number;
    slowMs?: number;
    /** How long a batch job takes to run (PENDING for its first quarter, then RUNNING); 2 s. */
    batchDelayMs?: number;
    /** The most batch jobs one page of batches.list holds (and its default page size); 100. */
    batchPageSize?: number;
    /** Told one line per call (npm run fake:gemini prints them), e.g. for checking references. */
    log?: (line: string) => void;
  } = {},
): Promise<FakeGemini> {
  const calls: FakeGeminiCall[] = [];
  const seenPerPrompt = new Map<string, number>();
  const batchDelayMs = options.batchDelayMs ?? 2_000;
  const batchPageSize = options.batchPageSize ?? 100;
  const newId = () => randomBytes(8).toString("hex");

  const describeCall = (asked: Asked, status: number) =>
    asked.responseSchema !== undefined
      ? `${status} ${asked.model} [${asked.scenario}] JSON label answer`
      : `${status} ${asked.model} [${asked.scenario}] imageConfig ${JSON.stringify({ aspectRatio: asked.aspectRatio, imageSize: asked.imageSize })}, ${asked.inlineImages.length} inline image${asked.inlineImages.length === 1 ? "" : "s"}${asked.inlineImages.length ? ` (${asked.inlineImages.join(", ")})` : ""}`;
  const callRecord = (
    asked: Asked,
    status: number,
    apiKey: string | undefined,
  ): FakeGeminiCall => ({
    model: asked.model,
    scenario: asked.scenario,
    prompt: asked.text,
    status,
    apiKey,
    aspectRatio: asked.aspectRatio,
    imageSize: asked.imageSize,
    inlineImages: asked.inlineImages,
    responseSchema: asked.responseSchema,
    systemInstruction: asked.systemInstruction,
    at: Date.now(),
  });

  /** How generateContent answers a request: the one place the scenarios are played. */
  async function answer(asked: Asked): Promise<Answer> {
    const { model, text, scenario, aspectRatio, imageSize } = asked;
    const seen = (seenPerPrompt.get(text) ?? 0) + 1;
    seenPerPrompt.set(text, seen);
    if (RETIRED.has(model)) {
      return errorAnswer(
        404,
        "NOT_FOUND",
        `models/${model} is not found for API version v1beta, or is not supported for generateContent.`,
      );
    }
    if (asked.responseSchema !== undefined) return labelAnswer(asked);
    const image = {
      inlineData: { mimeType: "image/png", data: await pngBase64(aspectRatio, imageSize) },
    };
    const ok = (parts: unknown[], extra: object = {}): Answer => ({
      status: 200,
      json: {
        candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
        usageMetadata: usage,
        modelVersion: model,
        ...extra,
      },
    });
    const json = (payload: object): Answer => ({
      status: 200,
      json: { usageMetadata: usage, modelVersion: model, ...payload },
    });
    const overloaded = () =>
      errorAnswer(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");

    switch (scenario) {
      case "image-first":
        return ok([image, { text: "Here is the image you asked for." }]);
      case "multi-candidate":
        return json({
          candidates: [
            {
              content: { role: "model", parts: [{ text: "Let me draw that." }] },
              finishReason: "STOP",
              index: 0,
            },
            {
              content: { role: "model", parts: [{ text: "Done:" }, image] },
              finishReason: "STOP",
              index: 1,
            },
          ],
        });
      case "prompt-blocked":
        return json({
          promptFeedback: {
            blockReason: "SAFETY",
            safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH" }],
          },
        });
      case "image-safety":
        return json({ candidates: [{ finishReason: "IMAGE_SAFETY", index: 0 }] });
      case "image-safety-once":
        // Counted per marker, not per prompt: the retry's brief is worded differently.
        seenPerPrompt.set(scenario, (seenPerPrompt.get(scenario) ?? 0) + 1);
        if (seenPerPrompt.get(scenario) === 1)
          return json({ candidates: [{ finishReason: "IMAGE_SAFETY", index: 0 }] });
        return ok([{ text: "Here is a plainer take." }, image]);
      case "text-only":
        return ok([{ text: "I can't create that image, but I can describe it in words." }]);
      case "no-image":
        return json({ candidates: [{ finishReason: "NO_IMAGE", index: 0 }] });
      case "rate-limited-once":
        if (seen === 1)
          return errorAnswer(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
            { "Retry-After": "1" },
          );
        return ok([{ text: "Here you go." }, image]);
      case "server-error-twice":
        if (seen <= 2) return errorAnswer(500, "INTERNAL", "An internal error has occurred.");
        return ok([{ text: "Here you go." }, image]);
      case "flash-down":
        if (model === "gemini-3.1-flash-image") return overloaded();
        return ok([{ text: "Drawn by the fallback." }, image]);
      case "always-503":
        return overloaded();
      case "bad-request":
        return errorAnswer(400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
      case "malformed":
        return { status: 200, raw: '{"candidates": [ {"content": ' };
      case "slow-once":
        return { ...ok([{ text: "Sorry for the wait." }, image]), slow: seen === 1 };
      default:
        return ok([{ text: "Here is your image." }, image]);
    }
  }

  /** A text model asked for JSON (the classifier's second opinion): only `label-…` scenarios. */
  function labelAnswer(asked: Asked): Answer {
    const text = (answer: string): Answer => ({
      status: 200,
      json: {
        candidates: [
          {
            content: { role: "model", parts: [{ text: answer }] },
            finishReason: "STOP",
            index: 0,
          },
        ],
        usageMetadata: FAKE_GEMINI_TEXT_USAGE,
        modelVersion: asked.model,
      },
    });
    switch (asked.scenario) {
      case "label-503":
        return errorAnswer(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
      case "label-invalid-json":
        return text("Sure! I would call this one art, a painting.");
      case "label-slow":
        return { ...text(labelJson(asked)), slow: true };
      default:
        return text(labelJson(asked));
    }
  }

  // ---- Files API ----------------------------------------------------------------------------
  const files: FakeGeminiFile[] = [];
  const fileBytes = new Map<string, Buffer>();
  const uploads = new Map<
    string,
    { displayName: string | undefined; mimeType: string; size: number; chunks: Buffer[] }
  >();
  const fileResource = (file: FakeGeminiFile) => {
    const at = new Date(file.createdAt).toISOString();
    return {
      name: file.name,
      ...(file.displayName ? { displayName: file.displayName } : {}),
      mimeType: file.mimeType,
      sizeBytes: String(file.sizeBytes),
      createTime: at,
      updateTime: at,
      expirationTime: new Date(file.createdAt + 48 * 3_600_000).toISOString(),
      sha256Hash: "",
      uri: `${url}/v1beta/${file.name}`,
      state: "ACTIVE",
      source: "UPLOADED",
    };
  };
  const keepFile = (bytes: Buffer, mimeType: string, displayName?: string, chunks = 0) => {
    const file: FakeGeminiFile = {
      name: `files/${newId()}`,
      displayName,
      mimeType,
      sizeBytes: bytes.length,
      chunks,
      createdAt: Date.now(),
    };
    files.push(file);
    fileBytes.set(file.name, bytes);
    return file;
  };

  // ---- Batch Mode ---------------------------------------------------------------------------
  interface Job {
    record: FakeGeminiBatch;
    requests: Array<{ key: string | undefined; body: GenerateBody }>;
    markers: Set<string>;
    apiKey: string | undefined;
    updatedAt: number;
    endedAt: number | undefined;
    output: object | undefined;
    running: Promise<void> | undefined;
  }
  const jobs = new Map<string, Job>();
  const batches: FakeGeminiBatch[] = [];

  /** Runs a job whose turnaround has passed: its whole-job scenario, or every request answered. */
  async function run(job: Job): Promise<void> {
    const end = (state: string) => {
      // A job cancelled while its requests were being answered stays cancelled.
      if (ENDED.has(job.record.state)) return;
      job.record.state = state;
      job.endedAt = job.updatedAt = Date.now();
      options.log?.(`batch ${job.record.name} ${state}`);
    };
    if (job.markers.has("batch-expire")) return end("BATCH_STATE_EXPIRED");
    if (job.markers.has("batch-fail")) return end("BATCH_STATE_FAILED");
    const answered: Array<{ key: string | undefined; response?: unknown; error?: unknown }> = [];
    for (const request of job.requests) {
      const asked = readAsked(job.record.model, request.body);
      const reply = await answer(asked);
      job.record.items.push(callRecord(asked, reply.status, job.apiKey));
      options.log?.(`  batch item ${describeCall(asked, reply.status)}`);
      if (reply.status === 200 && reply.json)
        answered.push({ key: request.key, response: reply.json });
      else {
        const status = reply.json?.error?.status ?? "INTERNAL";
        const message = reply.json?.error?.message ?? "An internal error has occurred.";
        const code = reply.raw === undefined ? (GRPC_CODE[reply.status] ?? 2) : 13;
        answered.push({ key: request.key, error: { code, message, status } });
      }
    }
    if (job.markers.has("batch-reversed")) answered.reverse();
    const keyed = !job.markers.has("batch-no-keys");
    if (job.record.input === "inline") {
      job.output = {
        inlinedResponses: {
          inlinedResponses: answered.map(({ key, ...rest }) => ({
            ...rest,
            ...(keyed && key !== undefined ? { metadata: { key } } : {}),
          })),
        },
      };
    } else {
      const lines = answered.map(({ key, ...rest }) =>
        JSON.stringify({ ...(keyed && key !== undefined ? { key } : {}), ...rest }),
      );
      const file = keepFile(Buffer.from(`${lines.join("\n")}\n`), "application/jsonl");
      job.record.outputFile = file.name;
      job.output = { responsesFile: file.name };
    }
    end("BATCH_STATE_SUCCEEDED");
  }

  /** Brings a job up to date: its state follows from its age, and it runs once it is due. */
  async function refresh(job: Job): Promise<void> {
    if (ENDED.has(job.record.state)) return;
    const age = Date.now() - job.record.createdAt;
    if (age >= batchDelayMs) {
      job.running ??= run(job);
      return job.running;
    }
    const state = age >= batchDelayMs / 4 ? "BATCH_STATE_RUNNING" : "BATCH_STATE_PENDING";
    if (state !== job.record.state) {
      job.record.state = state;
      job.updatedAt = Date.now();
    }
  }

  /** A batch job as Google answers it: a long-running Operation whose metadata is the batch. */
  function operation(job: Job) {
    const { record } = job;
    const done = ENDED.has(record.state);
    const succeeded = record.state === "BATCH_STATE_SUCCEEDED";
    const count = String(record.requestCount);
    const metadata = {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
      name: record.name,
      model: `models/${record.model}`,
      displayName: record.displayName,
      inputConfig: record.inputFile
        ? { fileName: record.inputFile }
        : { requests: { requests: [] } },
      createTime: new Date(record.createdAt).toISOString(),
      updateTime: new Date(job.updatedAt).toISOString(),
      ...(job.endedAt ? { endTime: new Date(job.endedAt).toISOString() } : {}),
      batchStats: succeeded
        ? { requestCount: count, successfulRequestCount: count }
        : { requestCount: count, pendingRequestCount: count },
      state: record.state,
      ...(succeeded && job.output ? { output: job.output } : {}),
    };
    return {
      name: record.name,
      metadata,
      ...(done ? { done: true } : {}),
      ...(record.state === "BATCH_STATE_FAILED"
        ? { error: { code: 13, message: "The batch job failed: an internal error has occurred." } }
        : {}),
      ...(succeeded && job.output
        ? {
            response: {
              "@type":
                "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
              ...job.output,
            },
          }
        : {}),
    };
  }

  type Route = (
    req: IncomingMessage,
    res: ServerResponse,
    params: { match: RegExpMatchArray; query: URLSearchParams; apiKey: string | undefined },
  ) => Promise<unknown> | unknown;

  // models/{model}:generateContent: the one call generate makes.
  const generateContent = async (
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    apiKey: string | undefined,
  ) => {
    const body = JSON.parse((await readBytes(req)).toString("utf8")) as GenerateBody;
    const asked = readAsked(model, body);
    const record = (status: number) => {
      options.log?.(describeCall(asked, status));
      return calls.push(callRecord(asked, status, apiKey));
    };
    if (!apiKey) {
      record(403);
      return unregistered(res);
    }
    const reply = await answer(asked);
    if (reply.slow) {
      // Not req.destroyed: a request whose body has been read is destroyed already.
      let clientGone = false;
      res.on("close", () => {
        clientGone = true;
      });
      await sleep(options.slowMs ?? 3_000);
      if (clientGone) return record(499);
    }
    record(reply.status);
    res.writeHead(reply.status, { "Content-Type": "application/json", ...reply.headers });
    return res.end(reply.raw ?? JSON.stringify(reply.json));
  };

  // models/{model}:batchGenerateContent: creates a batch job from inlined requests or a file.
  const batchGenerateContent = async (
    req: IncomingMessage,
    res: ServerResponse,
    model: string,
    apiKey: string | undefined,
  ) => {
    const raw = await readBytes(req);
    const body = JSON.parse(raw.toString("utf8")) as {
      batch?: {
        displayName?: string;
        inputConfig?: {
          fileName?: string;
          requests?: {
            requests?: Array<{ request?: GenerateBody; metadata?: { key?: string } }>;
          };
        };
      };
    };
    const batch = body.batch;
    if (RETIRED.has(model))
      return apiError(
        res,
        404,
        "NOT_FOUND",
        `models/${model} is not found for API version v1beta, or is not supported for batchGenerateContent.`,
      );
    if (!batch?.displayName)
      return apiError(res, 400, "INVALID_ARGUMENT", "batch.display_name is required.");
    let requests: Job["requests"];
    let input: FakeGeminiBatch["input"];
    const inputFile = batch.inputConfig?.fileName;
    if (inputFile) {
      const bytes = fileBytes.get(inputFile);
      if (!bytes) return apiError(res, 404, "NOT_FOUND", `${inputFile} not found.`);
      input = "file";
      try {
        requests = bytes
          .toString("utf8")
          .split("\n")
          .filter((line) => line.trim())
          .map((line) => {
            const parsed = JSON.parse(line) as { key?: string; request?: GenerateBody };
            if (!parsed.request) throw new Error("a line without a request");
            return { key: parsed.key, body: parsed.request };
          });
      } catch (error) {
        return apiError(
          res,
          400,
          "INVALID_ARGUMENT",
          `${inputFile} is not JSONL of {"key", "request"} lines: ${(error as Error).message}`,
        );
      }
    } else {
      input = "inline";
      requests = (batch.inputConfig?.requests?.requests ?? []).map((r) => ({
        key: r.metadata?.key,
        body: r.request ?? {},
      }));
    }
    if (requests.length === 0)
      return apiError(res, 400, "INVALID_ARGUMENT", "The batch has no requests.");
    const texts = requests.map((r) => readAsked(model, r.body));
    const markers = new Set(texts.flatMap((t) => t.markers));
    if (markers.has("batch-create-429-once")) {
      const seenKey = `create\u0000${texts[0]?.text}`;
      const seen = (seenPerPrompt.get(seenKey) ?? 0) + 1;
      seenPerPrompt.set(seenKey, seen);
      if (seen === 1)
        return apiError(res, 429, "RESOURCE_EXHAUSTED", "Too many batch jobs. Try again later.", {
          "Retry-After": "1",
        });
    }
    const now = Date.now();
    const record: FakeGeminiBatch = {
      name: `batches/${newId()}`,
      model,
      displayName: batch.displayName,
      input,
      inputFile,
      requestCount: requests.length,
      requestBytes: raw.length,
      keys: requests.map((r) => r.key),
      state: "BATCH_STATE_PENDING",
      createdAt: now,
      items: [],
      outputFile: undefined,
      gets: 0,
    };
    const job: Job = {
      record,
      requests,
      markers,
      apiKey,
      updatedAt: now,
      endedAt: undefined,
      output: undefined,
      running: undefined,
    };
    jobs.set(record.name, job);
    batches.push(record);
    options.log?.(
      `batch ${record.name} created: ${model}, ${requests.length} request${requests.length === 1 ? "" : "s"} ${input === "inline" ? "inlined" : `in ${inputFile}`}, "${record.displayName}"`,
    );
    await refresh(job);
    return sendJson(res, operation(job));
  };

  const jobOr404 = (res: ServerResponse, id: string) => {
    const job = jobs.get(`batches/${id}`);
    if (!job) apiError(res, 404, "NOT_FOUND", `batches/${id} not found.`);
    return job;
  };

  const routes: Array<[method: string, pattern: RegExp, route: Route]> = [
    [
      "POST",
      /^\/v1(?:beta|alpha)?\/models\/([^/:]+):(generateContent|batchGenerateContent)$/,
      (req, res, { match, apiKey }) => {
        const [, model = "", method] = match;
        const name = decodeURIComponent(model);
        return method === "generateContent"
          ? generateContent(req, res, name, apiKey)
          : batchGenerateContent(req, res, name, apiKey);
      },
    ],
    [
      "GET",
      /^\/v1(?:beta|alpha)?\/batches$/,
      async (_req, res, { query }) => {
        const size = Math.min(Number(query.get("pageSize")) || batchPageSize, batchPageSize);
        const from = Number(query.get("pageToken") ?? 0) || 0;
        // Newest first, as Google lists operations.
        const newestFirst = [...jobs.values()].reverse();
        const page = newestFirst.slice(from, from + size);
        await Promise.all(page.map(refresh));
        return sendJson(res, {
          operations: page.map(operation),
          ...(from + size < newestFirst.length ? { nextPageToken: String(from + size) } : {}),
        });
      },
    ],
    [
      "GET",
      /^\/v1(?:beta|alpha)?\/batches\/([^/:]+)$/,
      async (_req, res, { match }) => {
        const job = jobOr404(res, match[1] ?? "");
        if (!job) return;
        job.record.gets++;
        if (job.markers.has("batch-get-503-once") && job.record.gets === 1)
          return apiError(res, 503, "UNAVAILABLE", "The service is currently unavailable.");
        await refresh(job);
        return sendJson(res, operation(job));
      },
    ],
    [
      "POST",
      /^\/v1(?:beta|alpha)?\/batches\/([^/:]+):cancel$/,
      async (_req, res, { match }) => {
        const job = jobOr404(res, match[1] ?? "");
        if (!job) return;
        await refresh(job);
        if (ENDED.has(job.record.state))
          return apiError(
            res,
            400,
            "FAILED_PRECONDITION",
            `${job.record.name} has already ended (${job.record.state}).`,
          );
        job.record.state = "BATCH_STATE_CANCELLED";
        job.endedAt = job.updatedAt = Date.now();
        options.log?.(`batch ${job.record.name} BATCH_STATE_CANCELLED`);
        return sendJson(res, {});
      },
    ],
    [
      // The Files API's resumable upload: "start" answers the URL to send the bytes to, then
      // each chunk is an "upload" to it, the last one "upload, finalize".
      "POST",
      /^\/upload\/v1(?:beta|alpha)?\/files$/,
      async (req, res, { query }) => {
        const command = String(req.headers["x-goog-upload-command"] ?? "");
        const uploadId = query.get("upload_id");
        if (!uploadId) {
          if (req.headers["x-goog-upload-protocol"] !== "resumable" || command !== "start")
            return apiError(res, 400, "INVALID_ARGUMENT", "Only resumable uploads are supported.");
          const meta = JSON.parse((await readBytes(req)).toString("utf8") || "{}") as {
            file?: { displayName?: string; mimeType?: string };
          };
          const id = newId();
          uploads.set(id, {
            displayName: meta.file?.displayName,
            mimeType: String(
              req.headers["x-goog-upload-header-content-type"] ??
                meta.file?.mimeType ??
                "application/octet-stream",
            ),
            size: Number(req.headers["x-goog-upload-header-content-length"] ?? 0),
            chunks: [],
          });
          return sendJson(
            res,
            {},
            {
              "X-Goog-Upload-Status": "active",
              "X-Goog-Upload-URL": `${url}/upload/v1beta/files?upload_id=${id}&upload_protocol=resumable`,
              "X-Goog-Upload-Chunk-Granularity": "8388608",
            },
          );
        }
        const upload = uploads.get(uploadId);
        if (!upload) return apiError(res, 404, "NOT_FOUND", `no upload ${uploadId}`);
        const chunk = await readBytes(req);
        const received = upload.chunks.reduce((n, c) => n + c.length, 0);
        const offset = Number(req.headers["x-goog-upload-offset"] ?? -1);
        if (offset !== received)
          return apiError(
            res,
            400,
            "INVALID_ARGUMENT",
            `upload offset ${offset} but ${received} bytes received so far`,
          );
        upload.chunks.push(chunk);
        const commands = command.split(",").map((c) => c.trim());
        if (!commands.includes("upload"))
          return apiError(res, 400, "INVALID_ARGUMENT", `unknown upload command "${command}"`);
        if (!commands.includes("finalize"))
          return sendJson(res, {}, { "X-Goog-Upload-Status": "active" });
        uploads.delete(uploadId);
        const bytes = Buffer.concat(upload.chunks);
        if (upload.size && bytes.length !== upload.size)
          return apiError(
            res,
            400,
            "INVALID_ARGUMENT",
            `declared ${upload.size} bytes, received ${bytes.length}`,
          );
        const file = keepFile(bytes, upload.mimeType, upload.displayName, upload.chunks.length);
        options.log?.(`file ${file.name} uploaded: ${file.sizeBytes} bytes, ${file.mimeType}`);
        return sendJson(res, { file: fileResource(file) }, { "X-Goog-Upload-Status": "final" });
      },
    ],
    [
      "GET",
      /^\/(?:download\/)?v1(?:beta|alpha)?\/files\/([^/:]+):download$/,
      (_req, res, { match, query }) => {
        const name = `files/${match[1]}`;
        const bytes = fileBytes.get(name);
        if (!bytes) return apiError(res, 404, "NOT_FOUND", `${name} not found.`);
        if (query.get("alt") !== "media")
          return apiError(res, 400, "INVALID_ARGUMENT", "Downloads need alt=media.");
        const file = files.find((f) => f.name === name);
        res.writeHead(200, {
          "Content-Type": file?.mimeType ?? "application/octet-stream",
          "Content-Length": String(bytes.length),
        });
        return res.end(bytes);
      },
    ],
    [
      "GET",
      /^\/v1(?:beta|alpha)?\/files\/([^/:]+)$/,
      (_req, res, { match }) => {
        const name = `files/${match[1]}`;
        const file = files.find((f) => f.name === name);
        if (!file) return apiError(res, 404, "NOT_FOUND", `${name} not found.`);
        return sendJson(res, fileResource(file));
      },
    ],
  ];

  const server: Server = createServer(async (req, res) => {
    try {
      const parsed = new URL(req.url ?? "/", "http://x");
      const path = parsed.pathname;
      // models.get: what the provider asks at start to check a configured model exists.
      const get = path.match(/^\/v1(?:beta|alpha)?\/models\/([^/:]+)$/);
      if (req.method === "GET" && get?.[1]) {
        const name = decodeURIComponent(get[1]);
        const text = (FAKE_GEMINI_TEXT_MODELS as readonly string[]).includes(name);
        if (!text && !(FAKE_GEMINI_MODELS as readonly string[]).includes(name))
          return apiError(
            res,
            404,
            "NOT_FOUND",
            `models/${name} is not found for API version v1beta`,
          );
        return sendJson(res, {
          name: `models/${name}`,
          displayName: name,
          supportedGenerationMethods: text
            ? ["generateContent"]
            : ["generateContent", "batchGenerateContent"],
        });
      }
      let found: { route: Route; match: RegExpMatchArray } | undefined;
      for (const [method, pattern, route] of routes) {
        const match = req.method === method ? path.match(pattern) : null;
        if (match) {
          found = { route, match };
          break;
        }
      }
      if (!found) return apiError(res, 404, "NOT_FOUND", `no route ${req.method} ${req.url}`);
      const apiKey =
        (req.headers["x-goog-api-key"] as string | undefined) ??
        parsed.searchParams.get("key") ??
        undefined;
      // generateContent records the call it refuses; every other call is refused here.
      const generating = /:generateContent$/.test(path);
      if (!apiKey && !generating) return unregistered(res);
      return await found.route(req, res, {
        match: found.match,
        query: parsed.searchParams,
        apiKey,
      });
    } catch (error) {
      if (!res.headersSent) apiError(res, 500, "INTERNAL", (error as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    calls,
    callsFor: (marker) => calls.filter((c) => c.scenario === marker),
    batches,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
