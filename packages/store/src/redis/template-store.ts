import type { CustomTemplate, TemplateStats, TemplateUse } from "@nanobanana/domain";
import { compareStats, type TemplateStore } from "../store.ts";
import type { RedisContext } from "./shared.ts";

// Feedback replaces earlier feedback; the variant's up/down counts move with it, in one step.
const RECORD_FEEDBACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local previous = redis.call('HGET', KEYS[1], 'feedback')
local before = nil
if previous and previous ~= 'null' then before = cjson.decode(previous).rating end
redis.call('HSET', KEYS[1], 'feedback', ARGV[1], 'updatedAt', ARGV[4])
if before ~= ARGV[2] then
  if before then redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|' .. before, -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[3] .. '|' .. ARGV[2], 1)
end
return 1
`;

// Stats fields are "{template id}|{variant}|{generations|up|down}".
const statsPrefix = (t: TemplateUse) => `${t.id}|${t.variant}`;

/**
 * Custom templates (`user:{userId}:templates`) and template stats (`template-stats`) in
 * Redis. Feedback is stored on its generation (`gen:{id}`) in the same step as the counts.
 */
export function redisTemplateStore({ redis, k }: RedisContext): TemplateStore {
  return {
    async listTemplates(userId) {
      const all = await redis.hvals(k.templates(userId));
      return all
        .map((raw) => JSON.parse(raw) as CustomTemplate)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async getTemplate(userId, id) {
      const raw = await redis.hget(k.templates(userId), id);
      return raw ? (JSON.parse(raw) as CustomTemplate) : null;
    },
    async putTemplate(template) {
      await redis.hset(k.templates(template.userId), template.id, JSON.stringify(template));
    },
    async deleteTemplate(userId, id) {
      return (await redis.hdel(k.templates(userId), id)) === 1;
    },

    async recordTemplateUse(template) {
      await redis.hincrby(k.templateStats, `${statsPrefix(template)}|generations`, 1);
    },
    async recordFeedback(generationId, feedback, template) {
      const recorded = await redis.eval(
        RECORD_FEEDBACK,
        2,
        k.gen(generationId),
        k.templateStats,
        JSON.stringify(feedback),
        feedback.rating,
        statsPrefix(template),
        JSON.stringify(feedback.at),
      );
      return recorded === 1;
    },
    async templateStats() {
      const byVariant = new Map<string, TemplateStats>();
      for (const [field, value] of Object.entries(await redis.hgetall(k.templateStats))) {
        const [template = "", variant = "", count = ""] = field.split("|");
        const stats = byVariant.get(`${template}|${variant}`) ?? {
          template,
          variant,
          generations: 0,
          up: 0,
          down: 0,
        };
        if (count === "generations" || count === "up" || count === "down") {
          stats[count] = Number(value);
        }
        byVariant.set(`${template}|${variant}`, stats);
      }
      return [...byVariant.values()].sort(compareStats);
    },
  };
}
