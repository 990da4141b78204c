import type { ApiKeyRecord } from "@nanobanana/domain";
import type { ApiKeyStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

/** API keys in Redis: one hash, key hash → ApiKeyRecord. */
export function redisApiKeyStore({ redis, k }: RedisContext): ApiKeyStore {
  return {
    async putApiKey(key) {
      await redis.hset(k.apiKeys, key.hash, JSON.stringify(key));
    },
    async findApiKey(hash) {
      const raw = await redis.hget(k.apiKeys, hash);
      return raw ? (JSON.parse(raw) as ApiKeyRecord) : null;
    },
    async listApiKeys() {
      return (await redis.hvals(k.apiKeys))
        .map((raw) => JSON.parse(raw) as ApiKeyRecord)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    },
    async revokeApiKey(keyId, at) {
      const key = (await this.listApiKeys()).find((candidate) => candidate.keyId === keyId);
      if (!key) return false;
      await redis.hset(
        k.apiKeys,
        key.hash,
        JSON.stringify({ ...key, revokedAt: key.revokedAt ?? at }),
      );
      return true;
    },
  };
}
