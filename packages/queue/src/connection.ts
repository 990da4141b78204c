import { Redis, type RedisOptions } from "ioredis";

export type ConnectionRole = "producer" | "worker" | "store";

/**
 * One connection per role, never shared between API and worker. Producers fail fast so
 * a Redis outage becomes a 503 instead of a hung request; workers wait Redis out.
 */
export function connectRedis(
  url: string,
  role: ConnectionRole,
  onError: (error: Error) => void,
): Redis {
  const options: RedisOptions =
    role === "worker"
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : role === "producer"
        ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }
        : { maxRetriesPerRequest: 3, connectTimeout: 5_000 };
  const redis = new Redis(url, { ...options, connectionName: `nanobanana-${role}` });
  // Without a listener, ioredis reports every reconnect attempt as an unhandled error.
  redis.on("error", onError);
  return redis;
}
