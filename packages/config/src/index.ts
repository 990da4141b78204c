import { resolve } from "node:path";
import { USER_ID } from "@nanobanana/domain";
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

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
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
  STORE: z
    .enum(["redis"], { error: "must be redis (the Firestore adapter is not built yet)" })
    .default("redis"),
  BLOB_STORE: z
    .enum(["fs"], { error: "must be fs (the GCS adapter is not built yet)" })
    .default("fs"),
  PROVIDER: z.enum(["auto", "sketch", "gemini"]).default("auto"),
  GEMINI_API_KEY: z.string().optional(),
  SKETCH_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  GENERATION_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000),
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
  store: "redis";
  blobStore: "fs";
  provider: "sketch";
  sketchDelayMs: number;
  workerConcurrency: number;
  generationAttempts: number;
  shutdownTimeoutMs: number;
  logLevel: string;
  redisServerBin: string;
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
  const provider = e.PROVIDER === "auto" ? (e.GEMINI_API_KEY ? "gemini" : "sketch") : e.PROVIDER;
  if (provider === "gemini") {
    throw new ConfigError([
      `PROVIDER: resolves to gemini${e.PROVIDER === "auto" ? " (GEMINI_API_KEY is set)" : ""}, but the Gemini provider is not built yet; set PROVIDER=sketch`,
    ]);
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
    blobStore: e.BLOB_STORE,
    provider,
    sketchDelayMs: e.SKETCH_DELAY_MS,
    workerConcurrency: e.WORKER_CONCURRENCY,
    generationAttempts: e.GENERATION_ATTEMPTS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
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
