import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import {
  DEFAULT_BATCH_MAX_ITEMS,
  DOMAINS,
  IMAGE_SIZES,
  type ImageSize,
  QUALITIES,
  TAXONOMY,
  USER_ID,
} from "@nanobanana/domain";
import { z } from "zod";
import {
  configuredModels,
  DEFAULT_MODEL_ROUTES,
  MODEL_CATALOG,
  type ModelOffer,
  type ModelRoute,
  type PriceTable,
  priceTable,
  retiredModelMessage,
} from "./models.ts";
import {
  DEFAULT_SECOND_OPINION_MODEL,
  TEXT_MODEL_PRICES,
  type TextModelPrice,
} from "./text-models.ts";

export {
  configuredModels,
  imagePriceOf,
  MODEL_CATALOG,
  type ModelOffer,
  type ModelRoute,
  type ModelSpec,
  type OfferedModel,
  type PriceTable,
  RETIRED_MODELS,
  retiredModelMessage,
  whyModelCannotDraw,
  whyOfferedModelCannotDraw,
} from "./models.ts";
export { TEXT_MODEL_PRICES, type TextModelPrice } from "./text-models.ts";

/**
 * The one place that reads the environment. Parsed once at start; a bad value stops
 * the process with a message naming the variable. Everything else receives `Config`.
 */

export interface ApiKeyEntry {
  key: string;
  userId: string;
  admin: boolean;
}

const apiKeysSchema = z
  .string()
  .optional()
  .transform((raw, ctx): ApiKeyEntry[] => {
    if (!raw?.trim()) return [];
    const entries: ApiKeyEntry[] = [];
    for (const item of raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [key = "", userId = "", role, ...rest] = item.split(":");
      const problem =
        key.length < 8
          ? "key must be at least 8 characters"
          : !USER_ID.test(userId)
            ? "userId must be 1-64 of A-Z a-z 0-9 _ . -"
            : role !== undefined && role !== "admin"
              ? "the third part may only be 'admin'"
              : rest.length > 0
                ? "too many ':' parts"
                : null;
      if (problem) {
        ctx.addIssue({
          code: "custom",
          message: `entry "${item.slice(0, 12)}…" is not key:userId[:admin] (${problem})`,
        });
        return z.NEVER;
      }
      entries.push({ key, userId, admin: role === "admin" });
    }
    return entries;
  });

const flag = z
  .enum(["0", "1", "true", "false"], { error: "must be 1/0 or true/false" })
  .transform((v) => v === "1" || v === "true");

const subcategoryNames = Object.values(TAXONOMY).flat() as [string, ...string[]];

/** MODEL_ROUTES: JSON rules, first match wins, e.g. [{"domain":"diagrams","model":"gemini-3-pro-image"}]. */
const routesSchema = z
  .string()
  .optional()
  .transform((raw, ctx): ModelRoute[] | undefined => {
    if (!raw) return undefined;
    const rule = z.strictObject({
      domain: z.enum(DOMAINS as [string, ...string[]]).optional(),
      subcategory: z.enum(subcategoryNames).optional(),
      quality: z.enum(QUALITIES).optional(),
      model: z.string().min(1),
    });
    try {
      return z.array(rule).parse(JSON.parse(raw)) as ModelRoute[];
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          'must be a JSON array of rules like [{"domain":"diagrams","model":"gemini-3-pro-image"}] (domain, subcategory, quality: all optional)',
      });
      return z.NEVER;
    }
  });

const pricesSchema = z
  .string()
  .optional()
  .transform((raw, ctx): Record<string, number | Partial<Record<ImageSize, number>>> => {
    if (!raw) return {};
    try {
      return z
        .record(
          z.string(),
          z.union([z.number().min(0), z.partialRecord(z.enum(IMAGE_SIZES), z.number().min(0))]),
        )
        .parse(JSON.parse(raw));
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          'must be JSON like {"model-name": 0.067} or {"model-name": {"1K": 0.067, "4K": 0.151}} (USD per image)',
      });
      return z.NEVER;
    }
  });

/** CLASSIFIER_SECOND_OPINION_PRICE: "0.25,1.5", USD per 1M input and output tokens. */
const textPriceSchema = z.string().transform((raw, ctx): TextModelPrice => {
  const parts = raw.split(",").map((p) => p.trim());
  const [input, output] = parts.map(Number);
  if (
    parts.length !== 2 ||
    !parts.every((p) => /^\d+(\.\d+)?$/.test(p)) ||
    input === undefined ||
    output === undefined
  ) {
    ctx.addIssue({
      code: "custom",
      message: "must be the USD per 1M input and output tokens, such as 0.25,1.5",
    });
    return z.NEVER;
  }
  return { inputUsdPerMillion: input, outputUsdPerMillion: output };
});

const DELAY_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "5s,5m,2h" → [5000, 300000, 7200000]; NaN where a part is not a delay. */
function parseDelays(text: string): number[] {
  return text.split(",").map((part) => {
    const match = part.trim().match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/);
    return match ? Math.round(Number(match[1]) * (DELAY_UNITS[match[2] ?? ""] ?? 0)) : Number.NaN;
  });
}

const delaysSchema = z.string().transform((text, ctx) => {
  const delays = parseDelays(text);
  if (delays.some(Number.isNaN)) {
    ctx.addIssue({ code: "custom", message: "must be delays like 5s,5m,30m,2h" });
    return z.NEVER;
  }
  return delays;
});

/**
 * A numeric setting with its bounds: one helper, so every number says the same thing when
 * it is wrong ("must be a whole number from 1 to 1000000"), never just "must be a number".
 */
export function numberSetting(options: { min: number; max: number; integer?: boolean }) {
  const kind = options.integer === false ? "a number" : "a whole number";
  const message = `must be ${kind} from ${options.min} to ${options.max}`;
  return z
    .string()
    .trim()
    .refine((text) => /^-?\d+(\.\d+)?$/.test(text), message)
    .transform(Number)
    .pipe(
      z
        .number()
        .refine(
          (n) =>
            (options.integer === false || Number.isInteger(n)) &&
            n >= options.min &&
            n <= options.max,
          message,
        ),
    );
}
const int = (min: number, max: number) => numberSetting({ min, max });
const decimal = (min: number, max: number) => numberSetting({ min, max, integer: false });

/**
 * TRUST_PROXY: which proxies' X-Forwarded-* headers to believe (Express's "trust proxy").
 * Off by default: a direct client could otherwise choose the scheme and host of every URL we
 * hand out. "true", a hop count, or addresses/subnets such as "loopback, 10.0.0.0/8".
 */
const trustProxySchema = z.string().transform((raw, ctx): boolean | number | string[] => {
  const text = raw.trim();
  if (/^(0|false)$/.test(text)) return false;
  if (/^(true)$/.test(text)) return true;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (
    parts.length > 0 &&
    parts.every((p) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(p))
  )
    return parts;
  ctx.addIssue({
    code: "custom",
    message: "must be false, true, a hop count, or addresses such as loopback,10.0.0.0/8",
  });
  return z.NEVER;
});

const portListSchema = z.string().transform((raw, ctx): number[] => {
  const ports = raw.split(",").map((p) => Number(p.trim()));
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    ctx.addIssue({ code: "custom", message: "must be ports from 1 to 65535, such as 443,8443" });
    return z.NEVER;
  }
  return ports;
});

export const MAKERS = ["gemini", "openai", "stability"] as const;
export type MakerName = (typeof MAKERS)[number];

const providerSchema = z
  .string()
  .default("auto")
  .transform((value, ctx): "auto" | "sketch" | MakerName[] => {
    const text = value.trim();
    if (text === "auto" || text === "sketch") return text;
    const names = text.split(",").map((n) => n.trim());
    const unknown = names.filter((n) => !(MAKERS as readonly string[]).includes(n));
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    if (unknown.length > 0 || twice.length > 0) {
      const why =
        unknown.length > 0
          ? `${unknown.map((n) => `"${n}"`).join(", ")} is not a maker`
          : `${twice.join(", ")} is named twice`;
      ctx.addIssue({
        code: "custom",
        message: `must be auto, sketch, or makers in order of preference from ${MAKERS.join(", ")}, each once, such as "gemini,openai": ${why}`,
      });
      return z.NEVER;
    }
    return names as MakerName[];
  });

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(0, 65535).default(8080),
  TRUST_PROXY: trustProxySchema.default(false),
  PUBLIC_URL: z.url().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must look like redis://host:port")
    .optional(),
  KEY_PREFIX: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 of a-z 0-9 -")
    .default("nb"),
  DATA_DIR: z.string().min(1).default("./.data"),
  // The built web console the API serves at / (default apps/console/dist beside the sources).
  CONSOLE_DIR: z.string().min(1).optional(),
  API_KEYS: apiKeysSchema,
  STORE: z.enum(["redis", "firestore"], { error: "must be redis or firestore" }).default("redis"),
  FIRESTORE_PROJECT_ID: z.string().optional(),
  // The standard variable the Google SDKs read; parsed here so it is visible and checked.
  FIRESTORE_EMULATOR_HOST: z
    .string()
    .regex(/^[\w.-]+:\d+$/, "must be host:port, such as 127.0.0.1:8081")
    .optional(),
  BLOB_STORE: z.enum(["fs", "gcs"], { error: "must be fs or gcs" }).default("fs"),
  GCS_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/, "must be a bucket name such as my-images")
    .optional(),
  // The standard variable the Google SDKs read; parsed here so it is visible and checked.
  STORAGE_EMULATOR_HOST: z
    .string()
    .transform((v) => v.replace(/^https?:\/\//, ""))
    .pipe(z.string().regex(/^[\w.-]+:\d+$/, "must be host:port, such as 127.0.0.1:4443"))
    .optional(),
  GCS_SIGNED_URL_TTL_SECONDS: int(60, 604_800).default(900),
  // auto, sketch, or the makers to draw with in order of preference: "gemini,openai,stability".
  PROVIDER: providerSchema,
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.url({ error: "must be a URL such as http://127.0.0.1:8091/v1" }).optional(),
  OPENAI_MODEL: z.string().default("gpt-image-2"),
  OPENAI_TIMEOUT_MS: int(1_000, 600_000).default(120_000),
  // Requests per minute per model, across all workers (each maker's quota is its own).
  OPENAI_RPM: int(1, 100_000).default(60),
  STABILITY_API_KEY: z.string().optional(),
  STABILITY_BASE_URL: z.url({ error: "must be a URL such as http://127.0.0.1:8092" }).optional(),
  STABILITY_MODEL: z.string().default("stable-image-core"),
  STABILITY_TIMEOUT_MS: int(1_000, 600_000).default(60_000),
  STABILITY_RPM: int(1, 100_000).default(150),
  // A maker's circuit opens after this many failures in a row, and rests this long.
  PROVIDER_BREAKER_FAILURES: int(1, 1_000).default(5),
  PROVIDER_BREAKER_OPEN_MS: int(1_000, 3_600_000).default(30_000),
  GEMINI_API_KEY: z.string().optional(),
  GEMINI_BASE_URL: z.url({ error: "must be a URL such as http://127.0.0.1:8090" }).optional(),
  GOOGLE_GENAI_USE_VERTEXAI: flag.default(false),
  GOOGLE_CLOUD_PROJECT: z.string().optional(),
  GOOGLE_CLOUD_LOCATION: z.string().default("global"),
  GEMINI_MODEL: z.string().default("gemini-3.1-flash-image"),
  GEMINI_PREMIUM_MODEL: z.string().default("gemini-3-pro-image"),
  MODEL_ROUTES: routesSchema,
  /** Replaced by MODEL_ROUTES; still read, to say so instead of ignoring it. */
  GEMINI_PREMIUM_QUALITY_MODEL: z.string().optional(),
  GEMINI_MODEL_CHECK: z
    .enum(["fail", "warn", "off"], { error: "must be fail, warn or off" })
    .default("fail"),
  GEMINI_FALLBACK: flag.default(true),
  GEMINI_TIMEOUT_MS: int(100, 600_000).default(60_000),
  GEMINI_MAX_RETRIES: int(0, 10).default(2),
  GEMINI_RETRY_BASE_MS: int(1, 60_000).default(1_000),
  GEMINI_RPM: int(1, 100_000).default(60),
  MODEL_PRICES: pricesSchema,
  // The classifier's second opinion: below this confidence, a small Gemini text model is asked
  // for the label (off by default; it needs Gemini credentials and costs tokens).
  CLASSIFIER_SECOND_OPINION: z
    .enum(["off", "gemini"], { error: "must be off or gemini" })
    .default("off"),
  CLASSIFIER_SECOND_OPINION_MODEL: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, "must be a model name such as gemini-3.1-flash-lite")
    .default(DEFAULT_SECOND_OPINION_MODEL),
  CLASSIFIER_SECOND_OPINION_BELOW: decimal(0, 1).default(0.6),
  // A second opinion is worth a second or two, never a stuck generation: then the local label.
  CLASSIFIER_SECOND_OPINION_TIMEOUT_MS: int(100, 60_000).default(5_000),
  /** USD per 1M input and output tokens, over the table's price (required for other models). */
  CLASSIFIER_SECOND_OPINION_PRICE: textPriceSchema.optional(),
  MONTHLY_BUDGET_USD: decimal(0, 1_000_000_000).optional(),
  RATE_LIMIT: int(1, 1_000_000).default(300),
  CACHE_TTL_DAYS: decimal(0.001, 365).default(7),
  BATCH_MAX_ITEMS: int(1, 100_000).default(DEFAULT_BATCH_MAX_ITEMS),
  IDEMPOTENCY_TTL_HOURS: decimal(1, 24 * 30).default(24),
  // Ids handed out while a request is being accepted: a crash mid-request frees the key
  // after this long instead of answering "still being processed" for a day.
  IDEMPOTENCY_PENDING_SECONDS: int(5, 3_600).default(60),
  // Records, batches and deliveries are kept this long, then expire (Redis TTLs, Firestore TTL).
  RECORD_RETENTION_DAYS: decimal(1, 3_650).default(90),
  // Who shares cached images: each user their own (default), or everyone (one trusted team).
  CACHE_SCOPE: z.enum(["user", "global"], { error: "must be user or global" }).default("user"),
  // Every provider call of one generation, across the provider's, the fallback's and the
  // job's retries: a dead provider costs at most this many calls.
  GENERATION_MAX_PROVIDER_CALLS: int(1, 50).default(6),
  // How often the worker's sweep re-enqueues accepted work that lost its job, settles
  // batches, resends lost webhooks and deletes expired cache images.
  SWEEP_INTERVAL_MS: int(1_000, 3_600_000).default(15_000),
  WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  // Ports a webhook URL may name (80 and 443 always); WEBHOOK_ALLOW_PRIVATE allows any.
  WEBHOOK_PORTS: portListSchema.default([]),
  // After a rotation, deliveries are signed with the old secret too for this long.
  WEBHOOK_SECRET_OVERLAP_HOURS: decimal(0, 24 * 30).default(24),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  // The Standard Webhooks schedule: after the first try, retry after these delays
  // (about a day and a half in all).
  WEBHOOK_RETRY_SCHEDULE: delaysSchema.default(parseDelays("5s,5m,30m,2h,5h,10h,14h,20h,24h")),
  SKETCH_DELAY_MS: int(0, 600_000).default(0),
  // "stock": the sketch answers one drawing per label, ratio and size, drawn once, so a load
  // test with SKETCH_DELAY_MS measures the service, not the renderer (as with a remote model).
  SKETCH_DRAWING: z.enum(["per-request", "stock"]).default("per-request"),
  // The economy tier: images gathered per model and size for this long (or until this many),
  // then submitted as one batch job; its state asked for from ECONOMY_POLL_MS on, backing off.
  ECONOMY_WINDOW_MS: int(100, 3_600_000).default(60_000),
  ECONOMY_MAX_ITEMS: int(1, 50_000).default(1000),
  ECONOMY_POLL_MS: int(100, 3_600_000).default(30_000),
  // The sketch provider's batch mode: how long a batch job takes to "draw".
  SKETCH_BATCH_DELAY_MS: int(0, 86_400_000).default(5_000),
  WORKER_CONCURRENCY: int(1, 1000).default(8),
  // Generation jobs a worker holds beyond its drawing slots, made ready while the model draws
  // (providers' withDrawingSlots). Opt-in: such a job is already processing (no longer
  // cancelable), a stopping worker waits for it too, and with several workers one may hold jobs
  // another could start at once.
  WORKER_PREFETCH: int(0, 1000).default(0),
  // `npm run start:api`: how many API processes share the port (Node cluster); "auto" is one
  // a core. The embedded `npm start` runs one.
  API_PROCESSES: z
    .union([z.literal("auto"), int(1, 64)], { error: 'must be a number from 1 to 64, or "auto"' })
    .default(1),
  // A standalone worker's own port for /health and /metrics (Cloud Run, probes); unset: none.
  WORKER_HEALTH_PORT: int(0, 65535).optional(),
  // BullMQ's job lock: a job whose worker died is handed to another after this long.
  WORKER_LOCK_MS: int(1_000, 600_000).default(30_000),
  SHUTDOWN_TIMEOUT_MS: int(0, 3_600_000).default(25_000),
  // How far the JavaScript heap may grow past what it holds before a full collection (V8's
  // --heap-growing-percent); 0 leaves it to V8, which lets a heap allowed gigabytes grow 4×.
  HEAP_GROWTH_PERCENT: int(0, 1_000).default(50),
  // Testing only: the process kills itself (SIGKILL) on reaching this step, so crash
  // recovery is proven with real processes (accept.before-write, accept.after-write,
  // cancel.after-finish).
  FAILPOINT: z
    .string()
    .regex(/^[a-z]+\.[a-z-]+$/, "must name a step such as accept.after-write")
    .optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  REDIS_SERVER_BIN: z.string().default("redis-server"),
});

export type Env = z.input<typeof envSchema>;
type ParsedEnv = z.output<typeof envSchema>;

const hasGeminiCredentials = (e: ParsedEnv) =>
  Boolean(e.GEMINI_API_KEY) || (e.GOOGLE_GENAI_USE_VERTEXAI && Boolean(e.GOOGLE_CLOUD_PROJECT));

const credentialsIssue = (ctx: z.RefinementCtx, e: ParsedEnv, needs: string) => {
  if (e.GOOGLE_GENAI_USE_VERTEXAI) {
    combinationIssue(ctx, "GOOGLE_CLOUD_PROJECT", "required with GOOGLE_GENAI_USE_VERTEXAI=true");
  } else {
    combinationIssue(
      ctx,
      "GEMINI_API_KEY",
      `required with ${needs} (or use Vertex AI: GOOGLE_GENAI_USE_VERTEXAI=true and GOOGLE_CLOUD_PROJECT)`,
    );
  }
};

/**
 * The makers that draw, in order: PROVIDER=auto draws with Gemini when there are credentials
 * for it, else with sketches.
 */
const makersOf = (e: ParsedEnv): ["sketch"] | MakerName[] =>
  e.PROVIDER === "auto"
    ? hasGeminiCredentials(e)
      ? ["gemini"]
      : ["sketch"]
    : e.PROVIDER === "sketch"
      ? ["sketch"]
      : e.PROVIDER;
const usesMaker = (e: ParsedEnv, maker: MakerName) => (makersOf(e) as string[]).includes(maker);
/** The first maker: what draws when nothing else is chosen. */
const providerOf = (e: ParsedEnv) => makersOf(e)[0] ?? "sketch";

const firestoreProjectOf = (e: ParsedEnv) => e.FIRESTORE_PROJECT_ID ?? e.GOOGLE_CLOUD_PROJECT;

const pricesOf = (e: ParsedEnv): PriceTable => priceTable(e.MODEL_PRICES);

const routesOf = (e: ParsedEnv): ModelRoute[] => e.MODEL_ROUTES ?? [...DEFAULT_MODEL_ROUTES];

/** Every model a Gemini deployment may draw with: default, premium/fallback, each route's. */
const configuredModelsOf = (e: ParsedEnv) =>
  configuredModels({
    model: e.GEMINI_MODEL,
    premiumModel: e.GEMINI_PREMIUM_MODEL,
    routes: routesOf(e),
  });

/**
 * A problem with how variables combine: it names the variable to set, and its message says
 * why, so the variable's value (if any) is not quoted after it.
 */
function combinationIssue(ctx: z.RefinementCtx, variable: keyof Env, message: string) {
  ctx.addIssue({ code: "custom", path: [variable], message, params: { combination: true } });
}

/** What no single variable can check: settings that need others, and a price for every model. */
function checkCombinations(e: ParsedEnv, ctx: z.RefinementCtx) {
  if (usesMaker(e, "gemini") && !hasGeminiCredentials(e)) {
    credentialsIssue(ctx, e, "PROVIDER=gemini");
  } else if (e.CLASSIFIER_SECOND_OPINION === "gemini" && !hasGeminiCredentials(e)) {
    credentialsIssue(ctx, e, "CLASSIFIER_SECOND_OPINION=gemini");
  }
  if (e.CLASSIFIER_SECOND_OPINION === "gemini") checkSecondOpinion(e, ctx);
  for (const [maker, key, keySetting, model, setting] of [
    ["openai", e.OPENAI_API_KEY, "OPENAI_API_KEY", e.OPENAI_MODEL, "OPENAI_MODEL"],
    ["stability", e.STABILITY_API_KEY, "STABILITY_API_KEY", e.STABILITY_MODEL, "STABILITY_MODEL"],
  ] as const) {
    if (!usesMaker(e, maker)) continue;
    if (!key) combinationIssue(ctx, keySetting, `required with PROVIDER naming ${maker}`);
    if (MODEL_CATALOG[model]?.provider !== maker) {
      const known = Object.entries(MODEL_CATALOG)
        .filter(([, spec]) => spec.provider === maker)
        .map(([id]) => id);
      combinationIssue(
        ctx,
        setting,
        `"${model}" is not a ${maker} model; use one of ${known.join(", ")}`,
      );
    }
  }
  if (e.BLOB_STORE === "gcs" && !e.GCS_BUCKET) {
    combinationIssue(ctx, "GCS_BUCKET", "required with BLOB_STORE=gcs");
  }
  if (e.STORE === "firestore" && !firestoreProjectOf(e)) {
    combinationIssue(
      ctx,
      "FIRESTORE_PROJECT_ID",
      "required with STORE=firestore (or set GOOGLE_CLOUD_PROJECT)",
    );
  }
  if (e.GEMINI_PREMIUM_QUALITY_MODEL) {
    combinationIssue(
      ctx,
      "GEMINI_PREMIUM_QUALITY_MODEL",
      `replaced by MODEL_ROUTES; set MODEL_ROUTES='[{"quality":"premium","model":"${e.GEMINI_PREMIUM_QUALITY_MODEL}"}]' instead`,
    );
  }
  if (usesMaker(e, "gemini")) {
    // A model Google has shut down answers 404 to every call: refuse it before the first one.
    for (const { model, setting } of configuredModelsOf(e)) {
      const retired = retiredModelMessage(model);
      if (retired) combinationIssue(ctx, setting, retired);
    }
    const prices = pricesOf(e);
    const unpriced = configuredModelsOf(e)
      .map(({ model }) => model)
      .filter((m) => !retiredModelMessage(m) && Object.keys(prices[m] ?? {}).length === 0);
    if (unpriced.length > 0) {
      combinationIssue(
        ctx,
        "MODEL_PRICES",
        `no price for ${unpriced.join(", ")}; add it so every image's cost is known`,
      );
    }
  }
}

/** OpenAI's or Stability AI's settings; both retry twice within a job, from 0.5 s. */
const makerSettings = (
  apiKey: string | undefined,
  baseUrl: string | undefined,
  model: string,
  timeoutMs: number,
  rpm: number,
) => ({ apiKey: apiKey ?? "", baseUrl, model, timeoutMs, rpm, maxRetries: 2, retryBaseMs: 500 });

/** The second opinion's model must be a text model with a known price. */
function checkSecondOpinion(e: ParsedEnv, ctx: z.RefinementCtx) {
  const model = e.CLASSIFIER_SECOND_OPINION_MODEL;
  if (MODEL_CATALOG[model] || retiredModelMessage(model)) {
    combinationIssue(
      ctx,
      "CLASSIFIER_SECOND_OPINION_MODEL",
      `${model} is an image model; name a text model such as ${DEFAULT_SECOND_OPINION_MODEL}`,
    );
  } else if (!e.CLASSIFIER_SECOND_OPINION_PRICE && !TEXT_MODEL_PRICES[model]) {
    combinationIssue(
      ctx,
      "CLASSIFIER_SECOND_OPINION_PRICE",
      `no price for ${model}; set it as the USD per 1M input and output tokens, such as 0.25,1.5, so every answer's cost is known`,
    );
  }
}

/** The second opinion's settings, when it is on (config has checked model, price, credentials). */
function secondOpinionOf(e: ParsedEnv) {
  if (e.CLASSIFIER_SECOND_OPINION !== "gemini") return null;
  const model = e.CLASSIFIER_SECOND_OPINION_MODEL;
  const price = e.CLASSIFIER_SECOND_OPINION_PRICE ?? TEXT_MODEL_PRICES[model];
  if (!price) return null; // unreachable: checkSecondOpinion refuses a model without a price
  return {
    model,
    /** Asked when the local classifier's confidence is below this. */
    below: e.CLASSIFIER_SECOND_OPINION_BELOW,
    timeoutMs: e.CLASSIFIER_SECOND_OPINION_TIMEOUT_MS,
    /** USD per 1M input and output tokens. */
    price,
    // Its own credentials: the images may be drawn by the sketch renderer meanwhile.
    ...geminiCredentialsOf(e),
  };
}

/** The Gemini settings, when Gemini draws. */
/** How to reach Gemini: an API key, or Vertex AI's project; the base URL of a stand-in. */
function geminiCredentialsOf(e: ParsedEnv) {
  const vertex = e.GOOGLE_GENAI_USE_VERTEXAI;
  return {
    apiKey: vertex ? undefined : e.GEMINI_API_KEY,
    vertex:
      vertex && e.GOOGLE_CLOUD_PROJECT
        ? { project: e.GOOGLE_CLOUD_PROJECT, location: e.GOOGLE_CLOUD_LOCATION }
        : undefined,
    baseUrl: e.GEMINI_BASE_URL,
  };
}

function geminiOf(e: ParsedEnv) {
  return {
    ...geminiCredentialsOf(e),
    model: e.GEMINI_MODEL,
    /** Draws premium work by default routes, and takes over when another model fails. */
    premiumModel: e.GEMINI_PREMIUM_MODEL,
    /** At start, ask Google for every configured model: fail, warn, or skip the check. */
    modelCheck: e.GEMINI_MODEL_CHECK,
    /** Fall back to the premium model when the chosen one keeps failing or is gone. */
    fallback: e.GEMINI_FALLBACK,
    timeoutMs: e.GEMINI_TIMEOUT_MS,
    maxRetries: e.GEMINI_MAX_RETRIES,
    retryBaseMs: e.GEMINI_RETRY_BASE_MS,
    /** Requests per minute per model, across all workers. */
    rpm: e.GEMINI_RPM,
  };
}

/** The environment, checked variable by variable and then as a whole, turned into `Config`. */
const configSchema = envSchema
  // Only once every variable is valid: a refine's issue (a bad number) would not stop it.
  .superRefine(checkCombinations, { when: (payload) => payload.issues.length === 0 })
  .transform((e) => {
    const provider = providerOf(e);
    const makers = makersOf(e);
    const firestoreProject = firestoreProjectOf(e);
    const prices = pricesOf(e);
    const gemini = usesMaker(e, "gemini") ? geminiOf(e) : null;
    // A maker's models a caller may name: those the catalog gives it, with a price here.
    const modelsOf = (maker: MakerName) =>
      Object.keys(prices).filter((m) =>
        maker === "gemini"
          ? (MODEL_CATALOG[m]?.provider ?? "gemini") === "gemini" && m !== "sketch-v1"
          : MODEL_CATALOG[m]?.provider === maker,
      );
    return {
      env: e.NODE_ENV,
      port: e.PORT,
      /** Base of the URLs the API hands out; unset means "the host the request came to". */
      publicUrl: e.PUBLIC_URL?.replace(/\/$/, ""),
      /** Express's "trust proxy": which X-Forwarded-* headers to believe (none by default). */
      trustProxy: e.TRUST_PROXY,
      redisUrl: e.REDIS_URL,
      keyPrefix: redisKeyPrefix(e.KEY_PREFIX),
      dataDir: resolve(e.DATA_DIR),
      consoleDir: e.CONSOLE_DIR === undefined ? undefined : resolve(e.CONSOLE_DIR),
      apiKeys: e.API_KEYS,
      store: e.STORE,
      /** Set when store is firestore. */
      firestore:
        e.STORE === "firestore" && firestoreProject
          ? { projectId: firestoreProject, emulatorHost: e.FIRESTORE_EMULATOR_HOST }
          : null,
      blobStore: e.BLOB_STORE,
      /** Set when blobStore is gcs. */
      gcs:
        e.BLOB_STORE === "gcs" && e.GCS_BUCKET
          ? {
              bucket: e.GCS_BUCKET,
              emulatorHost: e.STORAGE_EMULATOR_HOST,
              projectId: e.GOOGLE_CLOUD_PROJECT,
              signedUrlTtlSeconds: e.GCS_SIGNED_URL_TTL_SECONDS,
            }
          : null,
      /** The first maker (sketch, gemini, openai or stability). */
      provider,
      /** Every maker PROVIDER names, in order of preference (["sketch"] offline). */
      makers,
      /** Set when PROVIDER names gemini. */
      gemini,
      /** Set when PROVIDER names openai. */
      openai: usesMaker(e, "openai")
        ? makerSettings(
            e.OPENAI_API_KEY,
            e.OPENAI_BASE_URL,
            e.OPENAI_MODEL,
            e.OPENAI_TIMEOUT_MS,
            e.OPENAI_RPM,
          )
        : null,
      /** Set when PROVIDER names stability. */
      stability: usesMaker(e, "stability")
        ? makerSettings(
            e.STABILITY_API_KEY,
            e.STABILITY_BASE_URL,
            e.STABILITY_MODEL,
            e.STABILITY_TIMEOUT_MS,
            e.STABILITY_RPM,
          )
        : null,
      /** How makers' circuits open and rest (PROVIDER_BREAKER_*). */
      breaker: { failures: e.PROVIDER_BREAKER_FAILURES, openMs: e.PROVIDER_BREAKER_OPEN_MS },
      /** Set when CLASSIFIER_SECOND_OPINION=gemini: the text model asked about unsure labels. */
      secondOpinion: secondOpinionOf(e),
      /** USD per image, by model and size (standard and batch). */
      prices,
      /** Models a caller may name in a request: every maker's, with a price. */
      models: makers[0] === "sketch" ? ["sketch-v1"] : (makers as MakerName[]).flatMap(modelsOf),
      /**
       * Which model draws what (first match wins); the first maker's default after them. The
       * built-in routes name Gemini's models, so without Gemini only MODEL_ROUTES route.
       */
      modelRoutes: gemini ? routesOf(e) : makers[0] === "sketch" ? [] : (e.MODEL_ROUTES ?? []),
      sketchDelayMs: e.SKETCH_DELAY_MS,
      sketchDrawing: e.SKETCH_DRAWING,
      sketchBatchDelayMs: e.SKETCH_BATCH_DELAY_MS,
      economy: {
        windowMs: e.ECONOMY_WINDOW_MS,
        maxItems: e.ECONOMY_MAX_ITEMS,
        pollMs: e.ECONOMY_POLL_MS,
      },
      /** Requests per minute per API key. */
      rateLimitPerMinute: e.RATE_LIMIT,
      /** Every user's monthly spending cap in USD; unset means none (a user may set their own). */
      monthlyBudgetUsd: e.MONTHLY_BUDGET_USD,
      batchMaxItems: e.BATCH_MAX_ITEMS,
      /** How long a drawn image serves identical requests. */
      cacheTtlSeconds: Math.round(e.CACHE_TTL_DAYS * 86_400),
      idempotencyTtlSeconds: Math.round(e.IDEMPOTENCY_TTL_HOURS * 3600),
      /** How long a key stays "in progress" before a crashed request frees it. */
      idempotencyPendingSeconds: e.IDEMPOTENCY_PENDING_SECONDS,
      /** How long records, batches and deliveries are kept. */
      retentionSeconds: Math.round(e.RECORD_RETENTION_DAYS * 86_400),
      /** user: each user has their own cache; global: everyone shares one. */
      cacheScope: e.CACHE_SCOPE,
      /** Provider calls one generation may make in all, across every retry layer. */
      maxProviderCalls: e.GENERATION_MAX_PROVIDER_CALLS,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      webhooks: {
        /** WEBHOOK_ALLOW_PRIVATE: lets webhooks reach loopback/private addresses (local testing only). */
        allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
        timeoutMs: e.WEBHOOK_TIMEOUT_MS,
        /** Delays between attempts, ms. */
        retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
        /** Ports a webhook may name besides 80 and 443. */
        extraPorts: e.WEBHOOK_PORTS,
        /** How long the previous secret still signs after a rotation. */
        secretOverlapSeconds: Math.round(e.WEBHOOK_SECRET_OVERLAP_HOURS * 3600),
      },
      workerConcurrency: e.WORKER_CONCURRENCY,
      workerPrefetch: e.WORKER_PREFETCH,
      apiProcesses: e.API_PROCESSES === "auto" ? availableParallelism() : e.API_PROCESSES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
      /** How long before a dead worker's job goes to another worker. */
      workerLockMs: e.WORKER_LOCK_MS,
      /** A standalone worker's port for /health and /metrics; undefined: no HTTP at all. */
      workerHealthPort: e.WORKER_HEALTH_PORT,
      logLevel: e.LOG_LEVEL,
      redisServerBin: e.REDIS_SERVER_BIN,
      /** Testing only: the step at which the process kills itself. */
      failpoint: e.FAILPOINT,
    };
  });

/** Everything the services are told at start, as `loadConfig` derives it from the environment. */
export type Config = z.output<typeof configSchema>;
/**
 * What every Redis key (queues, store, limits, channels) starts with: KEY_PREFIX in braces, a
 * Redis Cluster hash tag. All of them land in one slot, as BullMQ's scripts and ours need
 * every key they touch in one slot (`{nb}:generation:wait`, `{nb}:gen:gen_…`).
 */
export function redisKeyPrefix(keyPrefix: string): string {
  return `{${keyPrefix}}`;
}

/** Set (as `Config["gemini"]`) when the provider is gemini. */
export type GeminiConfig = NonNullable<Config["gemini"]>;

/** Set (as `Config["secondOpinion"]`) when CLASSIFIER_SECOND_OPINION=gemini. */
export type SecondOpinionConfig = NonNullable<Config["secondOpinion"]>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": docker-compose and shells pass VAR= for blanks.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = configSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "?");
      // API_KEYS holds secrets; a combination problem is not about the value it names.
      const combination = issue.code === "custom" && issue.params?.combination === true;
      const quoted = name !== "API_KEYS" && !combination;
      const got =
        quoted && cleaned[name] !== undefined
          ? ` (got "${String(cleaned[name]).slice(0, 40)}")`
          : "";
      return `${name}: ${issue.message}${got}`;
    }),
  );
}

/** Redis URL or a clear stop: the API and worker alone cannot start a server of their own. */
export function requireRedisUrl(config: Config, who: string): string {
  if (config.redisUrl) return config.redisUrl;
  throw new ConfigError([
    `REDIS_URL: required to start the ${who} on its own (npm start starts a local redis-server for you)`,
  ]);
}

/** USD for one image of `model` at `size` (0 when the table has no price for it). */
export function priceOf(
  prices: PriceTable,
  model: string,
  size: ImageSize,
  mode: "standard" | "batch" = "standard",
): number {
  const price = prices[model]?.[size];
  return price ? (mode === "batch" ? price.batchUsd : price.usd) : 0;
}

/** What this deployment draws with (GET /models, request checks, routing), from its config. */
export function modelOffer(config: Config): ModelOffer {
  const sketchSpec = MODEL_CATALOG["sketch-v1"];
  return {
    provider: config.provider,
    makers: config.makers,
    // The first maker's own default (its settings are set whenever PROVIDER names it).
    defaultModel:
      config.provider === "sketch" ? "sketch-v1" : (config[config.provider]?.model ?? "sketch-v1"),
    fallbackModel: config.gemini?.fallback ? config.gemini.premiumModel : null,
    routes: config.modelRoutes,
    models: config.models.map((id) => {
      const spec = MODEL_CATALOG[id];
      return {
        id,
        provider: spec?.provider ?? config.provider,
        description: spec?.description ?? "priced by MODEL_PRICES; not in the built-in catalog",
        sizes: Object.entries(config.prices[id] ?? {}).map(([imageSize, price]) => ({
          imageSize: imageSize as ImageSize,
          usd: price.usd,
          batchUsd: price.batchUsd,
        })),
        aspectRatios: spec?.aspectRatios ?? sketchSpec?.aspectRatios ?? [],
        maxReferenceImages: spec?.maxReferenceImages ?? 0,
      };
    }),
  };
}
