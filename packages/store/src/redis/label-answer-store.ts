import type { LabelAnswer, LabelAnswerStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

/** Second opinions on prompts' labels (`label:{key}`, JSON with a TTL) in Redis. */
export function redisLabelAnswerStore({ redis, k }: RedisContext): LabelAnswerStore {
  return {
    async getLabelAnswer(key) {
      const raw = await redis.get(k.labelAnswer(key));
      return raw ? (JSON.parse(raw) as LabelAnswer) : null;
    },
    async putLabelAnswer(answer, ttlSeconds) {
      await redis.set(k.labelAnswer(answer.key), JSON.stringify(answer), "EX", ttlSeconds);
    },
  };
}
