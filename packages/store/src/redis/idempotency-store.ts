import type { IdempotencyReservation, IdempotencyStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

/** Idempotency-Key claims in Redis: `idem:{scope}:{key}`, JSON with a TTL. */
export function redisIdempotencyStore({ redis, k }: RedisContext): IdempotencyStore {
  return {
    async reserveIdempotencyKey(
      scope,
      key,
      fingerprint,
      ttlSeconds,
    ): Promise<IdempotencyReservation> {
      const redisKey = k.idem(scope, key);
      const claimed = await redis.set(
        redisKey,
        JSON.stringify({ fingerprint, response: null }),
        "EX",
        ttlSeconds,
        "NX",
      );
      if (claimed === "OK") return { kind: "new" };
      const raw = await redis.get(redisKey);
      if (!raw) return this.reserveIdempotencyKey(scope, key, fingerprint, ttlSeconds);
      const held = JSON.parse(raw) as {
        fingerprint: string;
        response: { status: number; body: unknown } | null;
      };
      if (held.fingerprint !== fingerprint) return { kind: "mismatch" };
      return held.response ? { kind: "replay", response: held.response } : { kind: "in_progress" };
    },
    async completeIdempotencyKey(scope, key, response, ttlSeconds) {
      const redisKey = k.idem(scope, key);
      const raw = await redis.get(redisKey);
      const fingerprint = raw ? (JSON.parse(raw) as { fingerprint: string }).fingerprint : "";
      await redis.set(redisKey, JSON.stringify({ fingerprint, response }), "EX", ttlSeconds);
    },
    async releaseIdempotencyKey(scope, key) {
      await redis.del(k.idem(scope, key));
    },
  };
}
