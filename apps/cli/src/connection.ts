import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { DEFAULT_BASE_URL } from "@nanobanana/client";
import { UsageError } from "./usage.ts";

export interface Connection {
  baseUrl: string;
  apiKey: string;
  /** Where the key came from, for error messages: "--api-key", "NANOBANANA_API_KEY" or a path. */
  keySource: string;
}

/** The repository this CLI runs from, if it does (where `npm start` keeps .data/). */
export function repoRoot(from = import.meta.dirname): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "nanobanana")
          return dir;
      } catch {
        // Not ours; keep looking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/**
 * Where `npm start` keeps the key it made (apps/local/src/local-key.ts): DATA_DIR's
 * local-api-key.json, DATA_DIR defaulting to ./.data; from the current directory first, then
 * the repository's root.
 */
export function localKeyFiles(
  env: NodeJS.ProcessEnv,
  cwd: string,
  root: string | null = repoRoot() ?? null,
): string[] {
  const dataDir = env.DATA_DIR;
  const candidates = dataDir
    ? [resolve(cwd, dataDir, "local-api-key.json")]
    : [resolve(cwd, ".data", "local-api-key.json")];
  if (!dataDir && root) candidates.push(join(root, ".data", "local-api-key.json"));
  return [...new Set(candidates)];
}

/** The API to talk to and the key: flags, then NANOBANANA_URL / NANOBANANA_API_KEY, then npm start's key file. */
export function resolveConnection(
  flags: { url?: string | undefined; apiKey?: string | undefined },
  env: NodeJS.ProcessEnv,
  cwd: string,
  root: string | null = repoRoot() ?? null,
): Connection {
  const baseUrl = flags.url || env.NANOBANANA_URL || DEFAULT_BASE_URL;
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) {
    throw new UsageError(`the API URL must be http(s)://…, got "${baseUrl}"`);
  }
  if (flags.apiKey) return { baseUrl, apiKey: flags.apiKey, keySource: "--api-key" };
  if (env.NANOBANANA_API_KEY) {
    return { baseUrl, apiKey: env.NANOBANANA_API_KEY, keySource: "NANOBANANA_API_KEY" };
  }
  const files = localKeyFiles(env, cwd, root);
  for (const file of files) {
    if (!existsSync(file)) continue;
    const saved = JSON.parse(readFileSync(file, "utf8")) as { key?: unknown };
    if (typeof saved.key === "string" && saved.key) {
      return { baseUrl, apiKey: saved.key, keySource: file };
    }
  }
  throw new UsageError(
    `no API key: set NANOBANANA_API_KEY or pass --api-key (on a machine running \`npm start\`, its key in ${files.join(" or ")} is used; set DATA_DIR as npm start had it if it ran with another)`,
  );
}
