import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import sharp from "sharp";
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
 * A local stand-in for Stability AI's Stable Image REST API (v2beta), for tests and for trying
 * the Stability provider offline: `POST /v2beta/stable-image/generate/ultra`, `/core` and `/sd3`,
 * multipart/form-data in, the image out as bytes (Accept: image/*, with the finish-reason and
 * seed headers) or as JSON (Accept: application/json). The provider reaches it only through
 * STABILITY_BASE_URL, as it reaches Stability. A request Stability would refuse (no prompt, a
 * ratio or format it does not take, an image without a strength, an unknown field, a body that
 * is not multipart) gets Stability's own `{id, name, errors}` 400 body.
 *
 * The answer is chosen by a marker anywhere in the prompt, e.g. "a cat [stability:refusal]":
 */
export const STABILITY_SCENARIOS = {
  ok: "the image, at the size Stability draws for the aspect ratio (about 1 megapixel)",
  refusal: "403 content_moderation: the request was flagged and refused (and not charged)",
  filtered:
    "200 with finish-reason CONTENT_FILTERED: the drawing was filtered, the image comes back blurred",
  "rate-limited-once":
    "429 rate_limit_exceeded on the first call for this prompt, with no Retry-After (Stability times a client out for 60 s), then ok",
  "server-error-twice": "500 internal_error on the first two calls for this prompt, then ok",
  "always-503": "503 on every call",
  "slow-once": "the first call for this prompt answers only after slowMs (3 s by default), then ok",
} as const;

export type StabilityScenario = keyof typeof STABILITY_SCENARIOS;

/** The models the sd3 endpoint takes in its `model` field. */
export const FAKE_STABILITY_SD3_MODELS = [
  "sd3.5-large",
  "sd3.5-large-turbo",
  "sd3.5-medium",
] as const;

/** What each ratio is drawn at: Stability's ~1 megapixel grid (sides multiples of 64). */
const SIZES: Readonly<Record<string, { width: number; height: number }>> = {
  "1:1": { width: 1024, height: 1024 },
  "16:9": { width: 1344, height: 768 },
  "9:16": { width: 768, height: 1344 },
  "21:9": { width: 1536, height: 640 },
  "9:21": { width: 640, height: 1536 },
  "3:2": { width: 1216, height: 832 },
  "2:3": { width: 832, height: 1216 },
  "5:4": { width: 1088, height: 896 },
  "4:5": { width: 896, height: 1088 },
};

const STYLE_PRESETS = [
  "3d-model",
  "analog-film",
  "anime",
  "cinematic",
  "comic-book",
  "digital-art",
  "enhance",
  "fantasy-art",
  "isometric",
  "line-art",
  "low-poly",
  "modeling-compound",
  "neon-punk",
  "origami",
  "photographic",
  "pixel-art",
  "tile-texture",
];

type Endpoint = "ultra" | "core" | "sd3";

/** The fields each endpoint takes, and the output formats it draws. */
const ENDPOINTS: Readonly<Record<Endpoint, { fields: Set<string>; formats: string[] }>> = {
  ultra: {
    fields: new Set([
      "prompt",
      "negative_prompt",
      "aspect_ratio",
      "seed",
      "style_preset",
      "output_format",
      "image",
      "strength",
    ]),
    formats: ["png", "jpeg", "webp"],
  },
  core: {
    fields: new Set([
      "prompt",
      "negative_prompt",
      "aspect_ratio",
      "seed",
      "style_preset",
      "output_format",
    ]),
    formats: ["png", "jpeg", "webp"],
  },
  sd3: {
    fields: new Set([
      "prompt",
      "negative_prompt",
      "aspect_ratio",
      "seed",
      "style_preset",
      "output_format",
      "image",
      "strength",
      "mode",
      "model",
      "cfg_scale",
    ]),
    formats: ["png", "jpeg"],
  },
};

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];
const MAX_SEED = 4_294_967_294;

export interface FakeStabilityCall {
  endpoint: Endpoint;
  /** The model drawn with: "stable-image-ultra", "stable-image-core", or sd3's `model` field. */
  model: string;
  scenario: StabilityScenario;
  prompt: string;
  status: number;
  apiKey: string | undefined;
  accept: string | undefined;
  aspectRatio: string | undefined;
  outputFormat: string | undefined;
  /** sd3's mode: text-to-image or image-to-image. */
  mode: string | undefined;
  strength: string | undefined;
  /** The image sent to draw from, as the stand-in sniffed it. */
  image: string | undefined;
  /** Stability's error name when it was refused ("content_moderation", "bad_request", …). */
  errorName: string | undefined;
  at: number;
}

export interface FakeStability {
  /** What STABILITY_BASE_URL is set to. */
  url: string;
  calls: FakeStabilityCall[];
  /** The calls this prompt brought, oldest first. */
  callsForPrompt(prompt: string): FakeStabilityCall[];
  close(): Promise<void>;
}

/** Stability's error body, `{id, name, errors}`, with its status. */
interface Refusal {
  status: number;
  name: string;
  errors: string[];
}

const badRequest = (...errors: string[]): Refusal => ({ status: 400, name: "bad_request", errors });

/** One request as the stand-in read it. */
interface Asked {
  endpoint: Endpoint;
  fields: Map<string, string>;
  image: { type: string | undefined; width: number; height: number } | undefined;
  /** The body was not multipart/form-data. */
  notAForm: boolean;
}

async function readAsked(endpoint: Endpoint, req: IncomingMessage): Promise<Asked> {
  const form = await readForm(req, await readBytes(req));
  const fields = new Map<string, string>();
  let image: Asked["image"];
  for (const [name, value] of form?.entries() ?? []) {
    if (typeof value === "string") {
      fields.set(name, value);
    } else if (name === "image") {
      const bytes = new Uint8Array(await value.arrayBuffer());
      const meta = await sharp(bytes)
        .metadata()
        .catch(() => undefined);
      image = { type: await sniffImage(bytes), width: meta?.width ?? 0, height: meta?.height ?? 0 };
    } else {
      fields.set(name, `(a file: ${value.name})`);
    }
  }
  return { endpoint, fields, image, notAForm: form === null };
}

/** What Stability says of a request it will not draw, or null when it would. */
function check(asked: Asked, accept: string | undefined): Refusal | null {
  if (asked.notAForm) return badRequest("content-type: must be multipart/form-data");
  if (accept !== undefined && accept !== "image/*" && accept !== "application/json") {
    return badRequest("accept: must be image/* or application/json");
  }
  const spec = ENDPOINTS[asked.endpoint];
  const { fields } = asked;
  const errors: string[] = [];
  for (const name of fields.keys()) {
    if (!spec.fields.has(name)) errors.push(`${name}: unrecognized field`);
  }
  if (asked.image && !spec.fields.has("image")) errors.push("image: unrecognized field");
  const prompt = fields.get("prompt");
  if (!prompt) errors.push("prompt: cannot be empty");
  else if (prompt.length > 10_000) errors.push("prompt: must be at most 10000 characters");
  const negative = fields.get("negative_prompt");
  if (negative !== undefined && negative.length > 10_000)
    errors.push("negative_prompt: must be at most 10000 characters");
  const ratio = fields.get("aspect_ratio");
  if (ratio !== undefined && !(ratio in SIZES))
    errors.push(`aspect_ratio: must be one of ${Object.keys(SIZES).join(", ")}`);
  const seed = fields.get("seed");
  if (seed !== undefined && !(Number.isInteger(Number(seed)) && +seed >= 0 && +seed <= MAX_SEED))
    errors.push(`seed: must be an integer between 0 and ${MAX_SEED}`);
  const format = fields.get("output_format");
  if (format !== undefined && !spec.formats.includes(format))
    errors.push(`output_format: must be one of ${spec.formats.join(", ")}`);
  const preset = fields.get("style_preset");
  if (preset !== undefined && !STYLE_PRESETS.includes(preset))
    errors.push(`style_preset: must be one of ${STYLE_PRESETS.join(", ")}`);
  const strength = fields.get("strength");
  if (asked.endpoint === "sd3") {
    const model = fields.get("model") ?? "sd3.5-large";
    if (!(FAKE_STABILITY_SD3_MODELS as readonly string[]).includes(model))
      errors.push(`model: must be one of ${FAKE_STABILITY_SD3_MODELS.join(", ")}`);
    const mode = fields.get("mode") ?? "text-to-image";
    if (mode !== "text-to-image" && mode !== "image-to-image")
      errors.push("mode: must be one of text-to-image, image-to-image");
    if (mode === "image-to-image") {
      if (!asked.image) errors.push("image: required when mode is image-to-image");
      if (ratio !== undefined)
        errors.push("aspect_ratio: not allowed when mode is image-to-image (the image's is kept)");
    } else if (asked.image) {
      errors.push("image: only allowed when mode is image-to-image");
    }
    const cfg = fields.get("cfg_scale");
    if (cfg !== undefined && !(Number(cfg) >= 1 && Number(cfg) <= 10))
      errors.push("cfg_scale: must be between 1 and 10");
  }
  if (asked.image) {
    if (!asked.image.type || !IMAGE_TYPES.includes(asked.image.type))
      errors.push("image: must be a jpeg, png or webp image");
    if (strength === undefined) errors.push("strength: required when an image is provided");
  }
  if (strength !== undefined && spec.fields.has("strength")) {
    if (!asked.image) errors.push("strength: only allowed when an image is provided");
    if (!(Number(strength) >= 0 && Number(strength) <= 1))
      errors.push("strength: must be a number between 0 and 1");
  }
  return errors.length ? badRequest(...errors) : null;
}

/** The ratio of Stability's grid nearest an image's own. */
function nearestGridRatio(width: number, height: number): string {
  const ratio = width / (height || 1);
  const distance = (r: string) => {
    const size = SIZES[r] ?? { width: 1, height: 1 };
    return Math.abs(Math.log(size.width / size.height / ratio));
  };
  return Object.keys(SIZES).reduce((best, r) => (distance(r) < distance(best) ? r : best));
}

export async function startFakeStability(
  options: {
    port?: number;
    /** How long a slow call takes to answer (the slow-once scenario); 3 s. */
    slowMs?: number;
    /** The one API key it takes (any other gets a 401); any bearer token when absent. */
    apiKey?: string;
    /** Told one line per call (npm run fake:stability prints them). */
    log?: (line: string) => void;
  } = {},
): Promise<FakeStability> {
  const calls: FakeStabilityCall[] = [];
  const seenPerPrompt = new Map<string, number>();

  function scenarioRefusal(scenario: StabilityScenario, seen: number): Refusal | null {
    switch (scenario) {
      case "refusal":
        return {
          status: 403,
          name: "content_moderation",
          errors: [
            "Your request was flagged by our content moderation system, as a result your request was denied and you were not charged.",
          ],
        };
      case "rate-limited-once":
        return seen === 1
          ? {
              status: 429,
              name: "rate_limit_exceeded",
              errors: [
                "You have exceeded the rate limit of 150 requests within a 10 second period, and have been timed out for 60 seconds.",
              ],
            }
          : null;
      case "server-error-twice":
        return seen <= 2
          ? {
              status: 500,
              name: "internal_error",
              errors: ["An unexpected server error has occurred, please try again later."],
            }
          : null;
      case "always-503":
        return {
          status: 503,
          name: "service_unavailable",
          errors: ["The service is temporarily unavailable, please try again later."],
        };
      default:
        return null;
    }
  }

  const handle = async (endpoint: Endpoint, req: IncomingMessage, res: ServerResponse) => {
    const asked = await readAsked(endpoint, req);
    const accept = req.headers.accept;
    const prompt = asked.fields.get("prompt") ?? "";
    const scenario = (markersIn(prompt, "stability")[0] ?? "ok") as StabilityScenario;
    const apiKey = bearerToken(req);
    const model =
      endpoint === "sd3"
        ? (asked.fields.get("model") ?? "sd3.5-large")
        : `stable-image-${endpoint}`;
    const record = (status: number, errorName?: string) => {
      const call: FakeStabilityCall = {
        endpoint,
        model,
        scenario,
        prompt,
        status,
        apiKey,
        accept,
        aspectRatio: asked.fields.get("aspect_ratio"),
        outputFormat: asked.fields.get("output_format"),
        mode: asked.fields.get("mode"),
        strength: asked.fields.get("strength"),
        image: asked.image?.type,
        errorName,
        at: Date.now(),
      };
      calls.push(call);
      options.log?.(
        `${status} ${endpoint} ${model} [${scenario}] aspect_ratio ${call.aspectRatio ?? "-"}${call.image ? `, image ${call.image} strength ${call.strength}` : ""}${errorName ? ` (${errorName})` : ""}`,
      );
    };
    const refuse = (refusal: Refusal) => {
      record(refusal.status, refusal.name);
      res.writeHead(refusal.status, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: randomUUID(), name: refusal.name, errors: refusal.errors }));
    };
    if (!apiKey || (options.apiKey !== undefined && apiKey !== options.apiKey)) {
      return refuse({
        status: 401,
        name: "unauthorized",
        errors: [apiKey ? "authorization: invalid API key" : "authorization: missing"],
      });
    }
    const invalid = check(asked, accept);
    if (invalid) return refuse(invalid);
    const seen = (seenPerPrompt.get(prompt) ?? 0) + 1;
    seenPerPrompt.set(prompt, seen);
    const refusal = scenarioRefusal(scenario, seen);
    if (refusal) return refuse(refusal);
    if (scenario === "slow-once" && seen === 1) {
      if (await answerSlowly(res, options.slowMs ?? 3_000)) return record(499);
    }
    const ratio =
      asked.image && !asked.fields.has("aspect_ratio")
        ? nearestGridRatio(asked.image.width, asked.image.height)
        : (asked.fields.get("aspect_ratio") ?? "1:1");
    const size = SIZES[ratio] ?? { width: 1024, height: 1024 };
    const format = (asked.fields.get("output_format") ?? "png") as ImageFormat;
    const filtered = scenario === "filtered";
    let image = await drawImage(size.width, size.height, format, "#8b5cf6");
    if (filtered) image = await sharp(image).blur(40).toFormat(format).toBuffer();
    const finishReason = filtered ? "CONTENT_FILTERED" : "SUCCESS";
    const seed = String(randomBytes(4).readUInt32BE() % MAX_SEED);
    record(200);
    const headers = { "x-request-id": randomBytes(16).toString("hex") };
    if (accept === "application/json") {
      res.writeHead(200, { ...headers, "Content-Type": `application/json; type=image/${format}` });
      return res.end(
        JSON.stringify({ image: image.toString("base64"), finish_reason: finishReason, seed }),
      );
    }
    res.writeHead(200, {
      ...headers,
      "Content-Type": `image/${format}`,
      "finish-reason": finishReason,
      seed,
    });
    return res.end(image);
  };

  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const endpoint = path.match(/^\/v2beta\/stable-image\/generate\/(ultra|core|sd3)$/)?.[1];
      if (req.method === "POST" && endpoint) return await handle(endpoint as Endpoint, req, res);
      res.writeHead(404, { "Content-Type": "application/json" });
      return res.end(
        JSON.stringify({
          id: randomUUID(),
          name: "not_found",
          errors: [`${req.method} ${path}: no such endpoint`],
        }),
      );
    } catch (error) {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            id: randomUUID(),
            name: "internal_error",
            errors: [(error as Error).message],
          }),
        );
      }
    }
  });
  const url = await listen(server, options.port);
  return {
    url,
    calls,
    callsForPrompt: (prompt) => calls.filter((c) => c.prompt === prompt),
    close: () => closeServer(server),
  };
}
