import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  answerSlowly,
  bearerToken,
  closeServer,
  drawImage,
  type ImageFormat,
  listen,
  markersIn,
  readBytes,
  readForm,
  sniffImage,
} from "./fake-maker.ts";

/**
 * A local stand-in for OpenAI's Images API (v1), for tests and for trying the OpenAI provider
 * offline: `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart/form-data,
 * the images as `image[]` files, as the official SDK sends them). The provider reaches it only
 * through OPENAI_BASE_URL, exactly as it reaches OpenAI. A request OpenAI would refuse (a missing
 * prompt, a size or quality the model does not take, an unknown parameter, a reference that is
 * not png, jpeg or webp) gets OpenAI's own 400 body; a model OpenAI does not serve gets its 404.
 *
 * The answer is chosen by a marker anywhere in the prompt, e.g. "a cat [openai:refusal]":
 */
export const OPENAI_SCENARIOS = {
  ok: "the image, drawn at the size asked for (auto: 1024x1024) in the format asked for",
  refusal: "400 moderation_blocked: the safety system refused the prompt (moderation_stage input)",
  "refusal-output":
    "400 moderation_blocked at moderation_stage output: the drawing was refused, not the prompt",
  "rate-limited-once":
    "429 rate_limit_exceeded (retry-after-ms: 1000, retry-after: 1, x-ratelimit-reset-requests: 1s) on the first call for this prompt, then ok",
  "quota-exceeded": "429 insufficient_quota: the account is out of credit, which no wait mends",
  "server-error-twice": "500 server_error on the first two calls for this prompt, then ok",
  "always-503": "503 on every call",
  "slow-once": "the first call for this prompt answers only after slowMs (3 s by default), then ok",
} as const;

export type OpenAIScenario = keyof typeof OPENAI_SCENARIOS;

/**
 * The image models OpenAI serves (the openai SDK 7.57.0's list, 2026-11-26); gpt-image-1 was
 * shut down on 2026-10-23 and DALL·E 2 and 3 on 2026-05-12, and get the 404 of a model that is
 * not there.
 */
export const FAKE_OPENAI_MODELS = [
  "gpt-image-2",
  "gpt-image-2-2026-04-21",
  "gpt-image-1.5",
  "gpt-image-1-mini",
  "gpt-image-2.5-flare",
  "gpt-image-2.5-flare-2026-09-08",
  "gpt-image-2.5-sunburst",
  "gpt-image-2.5-sunburst-2026-09-08",
  "gpt-image-2.6-flare",
  "gpt-image-2.6-sunburst",
  "chatgpt-image-latest",
] as const;

const STANDARD_SIZES = ["1024x1024", "1024x1536", "1536x1024"];
/** Models that also take any WIDTHxHEIGHT, both sides divisible by 16, between 1:3 and 3:1. */
const TAKES_CUSTOM_SIZES = /^gpt-image-2(\.[56]-(flare|sunburst))?(-\d{4}-\d{2}-\d{2})?$/;
/** Models that also take quality xhigh and max. */
const TAKES_HIGHER_QUALITIES = /^gpt-image-2\.[56]-/;
const FORMATS: readonly string[] = ["png", "jpeg", "webp"];
const REFERENCE_TYPES = ["image/png", "image/jpeg", "image/webp"];
const MAX_PROMPT_CHARS = 32_000;
const MAX_EDIT_IMAGES = 16;

const PARAMETERS = {
  generations: new Set([
    "model",
    "prompt",
    "size",
    "quality",
    "output_format",
    "output_compression",
    "n",
    "background",
    "moderation",
    "stream",
    "partial_images",
    "user",
    "safety_identifier",
    "complexity",
  ]),
  edits: new Set([
    "image",
    "image[]",
    "mask",
    "prompt",
    "model",
    "size",
    "quality",
    "output_format",
    "output_compression",
    "n",
    "background",
    "input_fidelity",
    "stream",
    "partial_images",
    "user",
    "safety_identifier",
    "complexity",
  ]),
};

export interface FakeOpenAICall {
  endpoint: "generations" | "edits";
  model: string | undefined;
  scenario: OpenAIScenario;
  prompt: string;
  status: number;
  /** The bearer token it came with. */
  apiKey: string | undefined;
  size: string | undefined;
  quality: string | undefined;
  outputFormat: string | undefined;
  /** An edit's images as the stand-in sniffed them, in the order sent. */
  images: string[];
  /** OpenAI's error code when it was refused ("moderation_blocked", "invalid_value", …). */
  errorCode: string | null | undefined;
  at: number;
}

export interface FakeOpenAI {
  /** What OPENAI_BASE_URL is set to: the server's root and /v1, as OpenAI's own is. */
  url: string;
  calls: FakeOpenAICall[];
  /** The calls this prompt brought, oldest first. */
  callsForPrompt(prompt: string): FakeOpenAICall[];
  close(): Promise<void>;
}

/** OpenAI's error body, `{error: {message, type, param, code}}`, with its status and headers. */
interface Refusal {
  status: number;
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
    moderation_details?: { moderation_stage: "input" | "output"; categories: string[] };
  };
  headers?: Record<string, string>;
}

const invalidRequest = (
  param: string | null,
  message: string,
  code: string | null = "invalid_value",
): Refusal => ({
  status: 400,
  error: { message, type: "invalid_request_error", param, code },
});

const listed = (values: readonly string[]) =>
  `${values
    .slice(0, -1)
    .map((v) => `'${v}'`)
    .join(", ")}, and '${values.at(-1)}'`;

/** One request as the stand-in read it, from a JSON body or a form. */
interface Asked {
  endpoint: "generations" | "edits";
  fields: Map<string, string>;
  /** An edit's images, each with the MIME type its bytes have (undefined: not an image). */
  images: Array<{ field: string; type: string | undefined }>;
  /** Set when the body could not be read at all. */
  unreadable?: Refusal;
}

async function readAsked(
  endpoint: Asked["endpoint"],
  req: IncomingMessage,
  body: Buffer,
): Promise<Asked> {
  const fields = new Map<string, string>();
  const images: Asked["images"] = [];
  if (endpoint === "edits") {
    const form = await readForm(req, body);
    if (!form) {
      return {
        endpoint,
        fields,
        images,
        unreadable: invalidRequest(
          null,
          `Invalid Content-Type header (${req.headers["content-type"] ?? "none"}), expected multipart/form-data.`,
          null,
        ),
      };
    }
    for (const [name, value] of form.entries()) {
      if (typeof value === "string") fields.set(name, value);
      else if (name === "image" || name === "image[]")
        images.push({
          field: name,
          type: await sniffImage(new Uint8Array(await value.arrayBuffer())),
        });
      else fields.set(name, `(a file: ${value.name})`);
    }
    return { endpoint, fields, images };
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    json = undefined;
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) {
    return {
      endpoint,
      fields,
      images,
      unreadable: invalidRequest(
        null,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
        null,
      ),
    };
  }
  for (const [name, value] of Object.entries(json)) {
    fields.set(name, typeof value === "string" ? value : JSON.stringify(value));
  }
  return { endpoint, fields, images };
}

/** What OpenAI says of a request it will not draw, or null when it would. */
function check(asked: Asked): Refusal | null {
  if (asked.unreadable) return asked.unreadable;
  const { fields, endpoint } = asked;
  for (const name of fields.keys()) {
    if (!PARAMETERS[endpoint].has(name)) {
      return invalidRequest(name, `Unknown parameter: '${name}'.`, "unknown_parameter");
    }
  }
  const model = fields.get("model");
  if (!model)
    return invalidRequest(
      "model",
      "Missing required parameter: 'model'.",
      "missing_required_parameter",
    );
  if (!(FAKE_OPENAI_MODELS as readonly string[]).includes(model)) {
    return {
      status: 404,
      error: {
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: "invalid_request_error",
        param: null,
        code: "model_not_found",
      },
    };
  }
  const prompt = fields.get("prompt");
  if (!prompt)
    return invalidRequest(
      "prompt",
      "Missing required parameter: 'prompt'.",
      "missing_required_parameter",
    );
  if (prompt.length > MAX_PROMPT_CHARS) {
    return invalidRequest(
      "prompt",
      `Invalid 'prompt': string too long. Expected a string with maximum length ${MAX_PROMPT_CHARS}, but got a string with length ${prompt.length} instead.`,
      "string_above_max_length",
    );
  }
  const size = fields.get("size");
  if (size !== undefined && size !== "auto" && !STANDARD_SIZES.includes(size)) {
    if (!TAKES_CUSTOM_SIZES.test(model)) {
      return invalidRequest(
        "size",
        `Invalid value: '${size}'. Supported values are: ${listed([...STANDARD_SIZES, "auto"])}.`,
      );
    }
    const [w = 0, h = 0] = (size.match(/^(\d+)x(\d+)$/)?.slice(1) ?? []).map(Number);
    if (!w || !h || w % 16 || h % 16 || w / h > 3 || h / w > 3 || w * h > 3840 * 2160) {
      return invalidRequest(
        "size",
        `Invalid size '${size}'. Width and height must both be divisible by 16, the aspect ratio must be between 1:3 and 3:1, and the resolution at most 3840x2160.`,
      );
    }
  }
  const qualities = TAKES_HIGHER_QUALITIES.test(model)
    ? ["low", "medium", "high", "xhigh", "max", "auto"]
    : ["low", "medium", "high", "auto"];
  const quality = fields.get("quality");
  if (quality !== undefined && !qualities.includes(quality)) {
    return invalidRequest(
      "quality",
      `Invalid value: '${quality}'. Supported values are: ${listed(qualities)}.`,
    );
  }
  const format = fields.get("output_format");
  if (format !== undefined && !FORMATS.includes(format)) {
    return invalidRequest(
      "output_format",
      `Invalid value: '${format}'. Supported values are: ${listed(FORMATS)}.`,
    );
  }
  const n = fields.get("n");
  if (n !== undefined && !(Number.isInteger(Number(n)) && Number(n) >= 1 && Number(n) <= 10)) {
    return invalidRequest(
      "n",
      `Invalid 'n': integer below minimum value or above maximum value. Expected a value between 1 and 10, but got ${n} instead.`,
    );
  }
  if (endpoint === "edits") {
    if (asked.images.length === 0)
      return invalidRequest(
        "image",
        "Missing required parameter: 'image'.",
        "missing_required_parameter",
      );
    if (asked.images.length > MAX_EDIT_IMAGES) {
      return invalidRequest(
        "image",
        `Invalid 'image': array too long. Expected an array with maximum length ${MAX_EDIT_IMAGES}, but got an array with length ${asked.images.length} instead.`,
        "array_above_max_length",
      );
    }
    for (const image of asked.images) {
      if (!image.type || !REFERENCE_TYPES.includes(image.type)) {
        return invalidRequest(
          image.field,
          `Invalid file '${image.field}': unsupported mimetype ('${image.type ?? "application/octet-stream"}'). Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'.`,
          "unsupported_file_mimetype",
        );
      }
    }
  }
  return null;
}

/** Output image tokens of GPT Image 1.5 by quality and shape, which the usage block reports. */
const OUTPUT_TOKENS: Readonly<Record<string, { square: number; oblong: number }>> = {
  low: { square: 272, oblong: 408 },
  medium: { square: 1056, oblong: 1584 },
  high: { square: 4160, oblong: 6240 },
};

export async function startFakeOpenAI(
  options: {
    port?: number;
    /** How long a slow call takes to answer (the slow-once scenario); 3 s. */
    slowMs?: number;
    /** The one API key it takes (any other gets OpenAI's 401); any bearer token when absent. */
    apiKey?: string;
    /** Told one line per call (npm run fake:openai prints them). */
    log?: (line: string) => void;
  } = {},
): Promise<FakeOpenAI> {
  const calls: FakeOpenAICall[] = [];
  const seenPerPrompt = new Map<string, number>();

  async function draw(asked: Asked) {
    const size = asked.fields.get("size");
    const [width = 1024, height = 1024] =
      size && size !== "auto" ? size.split("x").map(Number) : [1024, 1024];
    const format = (asked.fields.get("output_format") ?? "png") as ImageFormat;
    const quality = asked.fields.get("quality") ?? "auto";
    const billed = quality === "auto" ? "high" : quality;
    const n = Number(asked.fields.get("n") ?? 1);
    const image = (await drawImage(width, height, format, "#10a37f")).toString("base64");
    const outputTokens =
      n * (OUTPUT_TOKENS[billed]?.[width === height ? "square" : "oblong"] ?? 4160);
    const inputTokens = 40 + asked.images.length * 323;
    return {
      created: Math.floor(Date.now() / 1000),
      background: "opaque",
      data: Array.from({ length: n }, () => ({ b64_json: image })),
      output_format: format,
      quality: billed,
      size: `${width}x${height}`,
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { image_tokens: asked.images.length * 323, text_tokens: 40 },
        output_tokens: outputTokens,
        output_tokens_details: { image_tokens: outputTokens, text_tokens: 0 },
        total_tokens: inputTokens + outputTokens,
      },
    };
  }

  /** How OpenAI answers a request it would draw: the one place the scenarios are played. */
  function scenarioRefusal(scenario: OpenAIScenario, seen: number, model: string): Refusal | null {
    const moderation = (stage: "input" | "output"): Refusal => ({
      status: 400,
      error: {
        message: `Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID req_${randomBytes(16).toString("hex")}. safety_violations=[violence].`,
        type: "image_generation_user_error",
        param: null,
        code: "moderation_blocked",
        moderation_details: { moderation_stage: stage, categories: ["violence"] },
      },
    });
    const serverError = (status: number, message: string): Refusal => ({
      status,
      error: { message, type: "server_error", param: null, code: null },
    });
    switch (scenario) {
      case "refusal":
        return moderation("input");
      case "refusal-output":
        return moderation("output");
      case "rate-limited-once":
        if (seen > 1) return null;
        return {
          status: 429,
          error: {
            message: `Rate limit reached for ${model} in organization org-fake on images per minute (IPM): Limit 5, Used 5, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
            type: "requests",
            param: null,
            code: "rate_limit_exceeded",
          },
          headers: {
            "retry-after-ms": "1000",
            "retry-after": "1",
            "x-ratelimit-limit-requests": "5",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "1s",
          },
        };
      case "quota-exceeded":
        return {
          status: 429,
          error: {
            message:
              "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
            type: "insufficient_quota",
            param: null,
            code: "insufficient_quota",
          },
        };
      case "server-error-twice":
        return seen <= 2
          ? serverError(
              500,
              "The server had an error while processing your request. Sorry about that!",
            )
          : null;
      case "always-503":
        return serverError(503, "The server is overloaded or not ready yet.");
      default:
        return null;
    }
  }

  const handle = async (
    endpoint: "generations" | "edits",
    req: IncomingMessage,
    res: ServerResponse,
  ) => {
    const asked = await readAsked(endpoint, req, await readBytes(req));
    const prompt = asked.fields.get("prompt") ?? "";
    const scenario = (markersIn(prompt, "openai")[0] ?? "ok") as OpenAIScenario;
    const apiKey = bearerToken(req);
    const record = (status: number, refusal?: Refusal) => {
      const call: FakeOpenAICall = {
        endpoint,
        model: asked.fields.get("model"),
        scenario,
        prompt,
        status,
        apiKey,
        size: asked.fields.get("size"),
        quality: asked.fields.get("quality"),
        outputFormat: asked.fields.get("output_format"),
        images: asked.images.map((i) => i.type ?? "?"),
        errorCode: refusal?.error.code,
        at: Date.now(),
      };
      calls.push(call);
      options.log?.(
        `${status} ${endpoint} ${call.model} [${scenario}] size ${call.size ?? "-"}, quality ${call.quality ?? "-"}, ${asked.images.length} image${asked.images.length === 1 ? "" : "s"}${refusal ? ` (${refusal.error.code ?? refusal.error.type})` : ""}`,
      );
      return call;
    };
    const refuse = (refusal: Refusal) => {
      record(refusal.status, refusal);
      res.writeHead(refusal.status, { "Content-Type": "application/json", ...refusal.headers });
      res.end(JSON.stringify({ error: refusal.error }));
    };
    if (!apiKey) {
      return refuse({
        status: 401,
        error: {
          message:
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      });
    }
    if (options.apiKey !== undefined && apiKey !== options.apiKey) {
      return refuse({
        status: 401,
        error: {
          message: `Incorrect API key provided: ${apiKey.slice(0, 3)}***${apiKey.slice(-2)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: "invalid_request_error",
          param: null,
          code: "invalid_api_key",
        },
      });
    }
    const invalid = check(asked);
    if (invalid) return refuse(invalid);
    const seen = (seenPerPrompt.get(prompt) ?? 0) + 1;
    seenPerPrompt.set(prompt, seen);
    const refusal = scenarioRefusal(scenario, seen, asked.fields.get("model") ?? "");
    if (refusal) return refuse(refusal);
    if (scenario === "slow-once" && seen === 1) {
      if (await answerSlowly(res, options.slowMs ?? 3_000)) return record(499);
    }
    const answer = await draw(asked);
    record(200);
    res.writeHead(200, {
      "Content-Type": "application/json",
      "x-request-id": `req_${randomBytes(16).toString("hex")}`,
    });
    return res.end(JSON.stringify(answer));
  };

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (req.method === "POST" && path === "/v1/images/generations")
        return await handle("generations", req, res);
      if (req.method === "POST" && path === "/v1/images/edits")
        return await handle("edits", req, res);
      res.writeHead(404, { "Content-Type": "application/json" });
      return res.end(
        JSON.stringify({
          error: {
            message: `Invalid URL (${req.method} ${path})`,
            type: "invalid_request_error",
            param: null,
            code: null,
          },
        }),
      );
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            error: {
              message: (error as Error).message,
              type: "server_error",
              param: null,
              code: null,
            },
          }),
        );
      }
    }
  });
  const root = await listen(server, options.port);
  return {
    url: `${root}/v1`,
    calls,
    callsForPrompt: (prompt) => calls.filter((c) => c.prompt === prompt),
    close: () => closeServer(server),
  };
}
