/**
 * `npm run move-keys`: moves the Redis keys of a release before KEY_PREFIX became a hash tag
 * (`nb:…`) to where this one reads them (`{nb}:…`): the queues with their waiting jobs, the
 * records, batches, totals and keys. Stop the API and the workers first; run it once. The
 * embedded `npm start` does this itself for the Redis it starts.
 */
import { loadConfigOrExit } from "@nanobanana/entrypoint";
import { moveKeys } from "@nanobanana/store";
import { Redis } from "ioredis";

const config = loadConfigOrExit();
if (!config.redisUrl) {
  process.stderr.write("REDIS_URL: required (the Redis whose keys to move)\n");
  process.exit(1);
}
const from = config.keyPrefix.replace(/^\{(.*)\}$/, "$1");
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
const { moved, skipped } = await moveKeys(redis, from, config.keyPrefix);
process.stdout.write(
  `moved ${moved} keys from ${from}:… to ${config.keyPrefix}:…${skipped ? `; ${skipped} left where they were, as a key of that name was already there` : ""}\n`,
);
await redis.quit();
