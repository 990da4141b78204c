import type { Redis } from "ioredis";

/**
 * Renames every key under `from:` to the same name under `to:` (RENAMENX: a key already
 * there is left alone and counted as skipped). For KEY_PREFIX's move into a hash tag
 * (`nb:` → `{nb}:`): run with the API and the workers stopped, on a Redis that is not a
 * cluster (keys of different slots cannot be renamed into one another there).
 */
export async function moveKeys(
  redis: Redis,
  from: string,
  to: string,
): Promise<{ moved: number; skipped: number }> {
  let moved = 0;
  let skipped = 0;
  // SCAN's pattern language: escape what it would read as a wildcard.
  const pattern = `${from.replace(/[*?[\]\\]/g, "\\$&")}:*`;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.renamenx(key, `${to}${key.slice(from.length)}`);
    for (const [error, renamed] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      if (renamed === 1) moved++;
      else skipped++;
    }
  } while (cursor !== "0");
  return { moved, skipped };
}
