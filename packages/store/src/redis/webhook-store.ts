import type { WebhookDelivery } from "@nanobanana/domain";
import type { WebhookStore } from "../store.ts";
import { decode, encode, type RedisContext, readHashes } from "./shared.ts";

// The replaced secret keeps signing for the overlap (its key expires with it).
const ROTATE_SECRET = `
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
if old and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], old, 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[2])
end
return 1
`;

// ARGV: created ms, id, retention s, then the delivery's fields. Deliveries expire with the
// records they are about; the user's index drops entries older than that.
const CREATE_DELIVERY = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]) * 1000)
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 1
`;

/** Webhook secrets (`user:{userId}:whsec`) and deliveries (`delivery:{id}` and its indexes) in Redis. */
export function redisWebhookStore({ redis, k, retentionSeconds }: RedisContext): WebhookStore {
  return {
    async getOrCreateWebhookSecret(userId, make) {
      await redis.set(k.secret(userId), make(), "NX");
      return (await redis.get(k.secret(userId))) ?? "";
    },
    async webhookSigningSecrets(userId, make) {
      const current = await this.getOrCreateWebhookSecret(userId, make);
      const previous = await redis.get(k.previousSecret(userId));
      return previous && previous !== current ? [current, previous] : [current];
    },
    async rotateWebhookSecret(userId, next, previousUntil) {
      await redis.eval(
        ROTATE_SECRET,
        2,
        k.secret(userId),
        k.previousSecret(userId),
        next,
        Math.max(0, Date.parse(previousUntil) - Date.now()),
      );
    },

    async createDelivery(delivery) {
      const created = await redis.eval(
        CREATE_DELIVERY,
        3,
        k.delivery(delivery.id),
        k.userDeliveries(delivery.userId),
        k.subjectDeliveries(delivery.subjectId),
        Date.parse(delivery.createdAt),
        delivery.id,
        retentionSeconds,
        ...encode(delivery),
      );
      return created === 1;
    },
    async getDelivery(id) {
      return decode<WebhookDelivery>(await redis.hgetall(k.delivery(id)));
    },
    async updateDelivery(id, patch) {
      await redis.hset(
        k.delivery(id),
        ...encode({ ...patch, updatedAt: patch.updatedAt ?? new Date().toISOString() }),
      );
    },
    async listDeliveries(userId, { limit }) {
      const ids = await redis.zrevrange(k.userDeliveries(userId), 0, limit - 1);
      return (await readHashes<WebhookDelivery>(redis, ids.map(k.delivery))).filter(
        (d): d is WebhookDelivery => d !== null,
      );
    },
    async deliveriesFor(subjectId) {
      const ids = await redis.lrange(k.subjectDeliveries(subjectId), 0, -1);
      return (await readHashes<WebhookDelivery>(redis, ids.map(k.delivery))).filter(
        (d): d is WebhookDelivery => d !== null,
      );
    },
  };
}
