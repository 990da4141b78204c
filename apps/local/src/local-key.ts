import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApiKeyEntry } from "@nanobanana/config";
import { newApiKey } from "@nanobanana/domain";

export const LOCAL_USER = "local";

/**
 * With no API_KEYS, a first start creates one key for the person at the keyboard and keeps
 * it under DATA_DIR, so the printed curl command still works after a restart.
 */
export function ensureLocalKey(dataDir: string): {
  entry: ApiKeyEntry;
  path: string;
  created: boolean;
} {
  const path = join(dataDir, "local-api-key.json");
  if (existsSync(path)) {
    const saved = JSON.parse(readFileSync(path, "utf8")) as { key: string; userId: string };
    return { entry: { key: saved.key, userId: saved.userId, admin: true }, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = newApiKey();
  writeFileSync(path, `${JSON.stringify({ key, userId: LOCAL_USER }, null, 2)}\n`, { mode: 0o600 });
  return { entry: { key, userId: LOCAL_USER, admin: true }, path, created: true };
}
