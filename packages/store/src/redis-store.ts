import type { Redis } from "ioredis";
import { redisApiKeyStore } from "./redis/api-key-store.ts";
import { redisCacheStore } from "./redis/cache-store.ts";
import { redisEconomyStore } from "./redis/economy-store.ts";
import { redisGenerationStore } from "./redis/generation-store.ts";
import { redisIdempotencyStore } from "./redis/idempotency-store.ts";
import { redisLabelAnswerStore } from "./redis/label-answer-store.ts";
import { redisPreferenceStore } from "./redis/preference-store.ts";
import { redisContext } from "./redis/shared.ts";
import { redisTemplateStore } from "./redis/template-store.ts";
import { redisWebhookStore } from "./redis/webhook-store.ts";
import type { Store, StoreOptions } from "./store.ts";

/** Redis adapter: every part of the Store over one client and key prefix (layout: redis/shared.ts). */
export function createRedisStore(redis: Redis, prefix: string, options: StoreOptions = {}): Store {
  const ctx = redisContext(redis, prefix, options);
  return {
    name: "redis",
    ...redisGenerationStore(ctx),
    ...redisIdempotencyStore(ctx),
    ...redisApiKeyStore(ctx),
    ...redisPreferenceStore(ctx),
    ...redisTemplateStore(ctx),
    ...redisWebhookStore(ctx),
    ...redisCacheStore(ctx),
    ...redisEconomyStore(ctx),
    ...redisLabelAnswerStore(ctx),
    async ping() {
      await redis.ping();
    },
  };
}
