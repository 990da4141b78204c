import { resolve } from "node:path";
import { DEFAULT_BATCH_MAX_ITEMS, USER_ID } from "@nanobanana/domain";
import { z } from "zod";

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

/**
 * USD per image by model. Prices live here, never in code; MODEL_PRICES (JSON) overrides
 * or extends them. gemini-2.5-flash-image: $30/1M output tokens × 1290 tokens.
 */
export const DEFAULT_MODEL_PRICES: Record<string, number> = {
  "sketch-v1": 0,
  "gemini-2.5-flash-image": 0.039,
  "gemini-3-pro-image-preview": 0.134,
  "gemini-3.1-flash-image-preview": 0.067,
};

const pricesSchema = z
  .string()
  .optional()
  .transform((raw, ctx): Record<string, number> => {
    if (!raw) return {};
    try {
      const parsed = z.record(z.string(), z.number().min(0)).parse(JSON.parse(raw));
      return parsed;
    } catch {
      ctx.addIssue({
        code: "custom",
        message: 'must be JSON like {"model-name": 0.039} (USD per image)',
      });
      return z.NEVER;
    }
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

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number({ error: "must be a number" }).int().min(0).max(65535).default(8080),
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
  GCS_SIGNED_URL_TTL_SECONDS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(60)
    .max(604_800)
    .default(900),
  PROVIDER: z.enum(["auto", "sketch", "gemini"]).default("auto"),
  GEMINI_API_KEY: z.string().optional(),
  GEMINI_BASE_URL: z.url({ error: "must be a URL such as http://127.0.0.1:8090" }).optional(),
  GOOGLE_GENAI_USE_VERTEXAI: flag.default(false),
  GOOGLE_CLOUD_PROJECT: z.string().optional(),
  GOOGLE_CLOUD_LOCATION: z.string().default("global"),
  GEMINI_MODEL: z.string().default("gemini-2.5-flash-image"),
  GEMINI_PREMIUM_MODEL: z.string().default("gemini-3-pro-image-preview"),
  GEMINI_PREMIUM_QUALITY_MODEL: z.string().optional(),
  GEMINI_FALLBACK: flag.default(true),
  GEMINI_TIMEOUT_MS: z.coerce.number({ error: "must be a number" }).int().min(100).default(60_000),
  GEMINI_MAX_RETRIES: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .max(10)
    .default(2),
  GEMINI_RETRY_BASE_MS: z.coerce.number({ error: "must be a number" }).int().min(1).default(1_000),
  GEMINI_RPM: z.coerce.number({ error: "must be a number" }).int().min(1).default(60),
  MODEL_PRICES: pricesSchema,
  MONTHLY_BUDGET_USD: z.coerce.number({ error: "must be a number" }).min(0).optional(),
  RATE_LIMIT: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(1)
    .max(1_000_000)
    .default(300),
  CACHE_TTL_DAYS: z.coerce.number({ error: "must be a number" }).min(0.001).max(365).default(7),
  BATCH_MAX_ITEMS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(1)
    .max(100_000)
    .default(DEFAULT_BATCH_MAX_ITEMS),
  IDEMPOTENCY_TTL_HOURS: z.coerce
    .number()
    .min(1)
    .max(24 * 30)
    .default(24),
  WEBHOOK_ALLOW_PRIVATE: flag.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(100)
    .max(60_000)
    .default(10_000),
  // The Standard Webhooks schedule: after the first try, retry after these delays
  // (about a day and a half in all).
  WEBHOOK_RETRY_SCHEDULE: delaysSchema.default(parseDelays("5s,5m,30m,2h,5h,10h,14h,20h,24h")),
  SKETCH_DELAY_MS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .max(600_000)
    .default(0),
  WORKER_CONCURRENCY: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(1)
    .max(1000)
    .default(8),
  // BullMQ's job lock: a job whose worker died is handed to another after this long.
  // A standalone worker's own port for /health and /metrics (Cloud Run, probes); unset: none.
  WORKER_HEALTH_PORT: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(0)
    .max(65535)
    .optional(),
  WORKER_LOCK_MS: z.coerce
    .number({ error: "must be a number" })
    .int()
    .min(1_000)
    .max(600_000)
    .default(30_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: "must be a number" }).int().min(0).default(25_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  REDIS_SERVER_BIN: z.string().default("redis-server"),
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  /** Base of the URLs the API hands out; unset means "the host the request came to". */
  publicUrl: string | undefined;
  redisUrl: string | undefined;
  keyPrefix: string;
  dataDir: string;
  apiKeys: ApiKeyEntry[];
  store: "redis" | "firestore";
  /** Set when store is firestore. */
  firestore: { projectId: string; emulatorHost: string | undefined } | null;
  blobStore: "fs" | "gcs";
  /** Set when blobStore is gcs. */
  gcs: {
    bucket: string;
    emulatorHost: string | undefined;
    projectId: string | undefined;
    signedUrlTtlSeconds: number;
  } | null;
  provider: "sketch" | "gemini";
  /** Set when provider is gemini. */
  gemini: GeminiConfig | null;
  /** USD per image, by model. */
  prices: Record<string, number>;
  /** Models a caller may name in a request (the provider's, with a price). */
  models: string[];
  sketchDelayMs: number;
  /** Every user's monthly spending cap in USD; unset means none (a user may set their own). */
  monthlyBudgetUsd: number | undefined;
  /** Requests per minute per API key. */
  rateLimitPerMinute: number;
  batchMaxItems: number;
  idempotencyTtlSeconds: number;
  /** How long a drawn image serves identical requests. */
  cacheTtlSeconds: number;
  webhooks: {
    /** WEBHOOK_ALLOW_PRIVATE: lets webhooks reach loopback/private addresses (local testing only). */
    allowPrivate: boolean;
    timeoutMs: number;
    /** Delays between attempts, ms. */
    retrySchedule: number[];
  };
  workerConcurrency: number;
  shutdownTimeoutMs: number;
  /** A standalone worker's port for /health and /metrics; undefined: no HTTP at all. */
  workerHealthPort: number | undefined;
  /** How long before a dead worker's job goes to another worker. */
  workerLockMs: number;
  logLevel: string;
  redisServerBin: string;
}

export interface GeminiConfig {
  apiKey: string | undefined;
  vertex: { project: string; location: string } | undefined;
  baseUrl: string | undefined;
  model: string;
  premiumModel: string;
  /** Model for quality "premium"; unset means the default model. */
  premiumQualityModel: string | undefined;
  /** Fall back to the premium model when the default keeps failing transiently. */
  fallback: boolean;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  /** Requests per minute per model, across all workers. */
  rpm: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset": docker-compose and shells pass VAR= for blanks.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "?");
        const got =
          cleaned[name] === undefined ? "" : ` (got "${String(cleaned[name]).slice(0, 40)}")`;
        return `${name}: ${issue.message}${name === "API_KEYS" ? "" : got}`;
      }),
    );
  }
  const e = parsed.data;
  const vertex = e.GOOGLE_GENAI_USE_VERTEXAI;
  const hasGeminiCredentials =
    Boolean(e.GEMINI_API_KEY) || (vertex && Boolean(e.GOOGLE_CLOUD_PROJECT));
  const provider =
    e.PROVIDER === "auto" ? (hasGeminiCredentials ? "gemini" : "sketch") : e.PROVIDER;
  if (provider === "gemini" && !hasGeminiCredentials) {
    throw new ConfigError([
      vertex
        ? "GOOGLE_CLOUD_PROJECT: required with GOOGLE_GENAI_USE_VERTEXAI=true"
        : "GEMINI_API_KEY: required with PROVIDER=gemini (or use Vertex AI: GOOGLE_GENAI_USE_VERTEXAI=true and GOOGLE_CLOUD_PROJECT)",
    ]);
  }
  if (e.BLOB_STORE === "gcs" && !e.GCS_BUCKET) {
    throw new ConfigError(["GCS_BUCKET: required with BLOB_STORE=gcs"]);
  }
  const firestoreProject = e.FIRESTORE_PROJECT_ID ?? e.GOOGLE_CLOUD_PROJECT;
  if (e.STORE === "firestore" && !firestoreProject) {
    throw new ConfigError([
      "FIRESTORE_PROJECT_ID: required with STORE=firestore (or set GOOGLE_CLOUD_PROJECT)",
    ]);
  }
  const prices = { ...DEFAULT_MODEL_PRICES, ...e.MODEL_PRICES };
  const gemini: GeminiConfig | null =
    provider === "gemini"
      ? {
          apiKey: vertex ? undefined : e.GEMINI_API_KEY,
          vertex:
            vertex && e.GOOGLE_CLOUD_PROJECT
              ? { project: e.GOOGLE_CLOUD_PROJECT, location: e.GOOGLE_CLOUD_LOCATION }
              : undefined,
          baseUrl: e.GEMINI_BASE_URL,
          model: e.GEMINI_MODEL,
          premiumModel: e.GEMINI_PREMIUM_MODEL,
          premiumQualityModel: e.GEMINI_PREMIUM_QUALITY_MODEL,
          fallback: e.GEMINI_FALLBACK,
          timeoutMs: e.GEMINI_TIMEOUT_MS,
          maxRetries: e.GEMINI_MAX_RETRIES,
          retryBaseMs: e.GEMINI_RETRY_BASE_MS,
          rpm: e.GEMINI_RPM,
        }
      : null;
  const models = gemini
    ? Object.keys(prices).filter((m) => m.startsWith("gemini-"))
    : ["sketch-v1"];
  if (gemini) {
    const unpriced = [gemini.model, gemini.premiumModel, gemini.premiumQualityModel].filter(
      (m): m is string => m !== undefined && prices[m] === undefined,
    );
    if (unpriced.length > 0) {
      throw new ConfigError([
        `MODEL_PRICES: no price for ${unpriced.join(", ")}; add it so every image's cost is known`,
      ]);
    }
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ""),
    redisUrl: e.REDIS_URL,
    keyPrefix: e.KEY_PREFIX,
    dataDir: resolve(e.DATA_DIR),
    apiKeys: e.API_KEYS,
    store: e.STORE,
    firestore:
      e.STORE === "firestore" && firestoreProject
        ? { projectId: firestoreProject, emulatorHost: e.FIRESTORE_EMULATOR_HOST }
        : null,
    blobStore: e.BLOB_STORE,
    gcs:
      e.BLOB_STORE === "gcs" && e.GCS_BUCKET
        ? {
            bucket: e.GCS_BUCKET,
            emulatorHost: e.STORAGE_EMULATOR_HOST,
            projectId: e.GOOGLE_CLOUD_PROJECT,
            signedUrlTtlSeconds: e.GCS_SIGNED_URL_TTL_SECONDS,
          }
        : null,
    provider,
    gemini,
    prices,
    models,
    sketchDelayMs: e.SKETCH_DELAY_MS,
    rateLimitPerMinute: e.RATE_LIMIT,
    monthlyBudgetUsd: e.MONTHLY_BUDGET_USD,
    batchMaxItems: e.BATCH_MAX_ITEMS,
    cacheTtlSeconds: Math.round(e.CACHE_TTL_DAYS * 86_400),
    idempotencyTtlSeconds: Math.round(e.IDEMPOTENCY_TTL_HOURS * 3600),
    webhooks: {
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
    },
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workerLockMs: e.WORKER_LOCK_MS,
    workerHealthPort: e.WORKER_HEALTH_PORT,
    logLevel: e.LOG_LEVEL,
    redisServerBin: e.REDIS_SERVER_BIN,
  };
}

/** Redis URL or a clear stop: the API and worker alone cannot start a server of their own. */
export function requireRedisUrl(config: Config, who: string): string {
  if (config.redisUrl) return config.redisUrl;
  throw new ConfigError([
    `REDIS_URL: required to start the ${who} on its own (npm start starts a local redis-server for you)`,
  ]);
}
