import { join, relative } from "node:path";
import { startApi } from "@nanobanana/api";
import { publicBaseUrl } from "@nanobanana/composition";
import { runService } from "@nanobanana/entrypoint";
import { type LocalRedis, startLocalRedis } from "@nanobanana/local-redis";
import { moveKeys } from "@nanobanana/store";
import { startWorker } from "@nanobanana/worker";
import { Redis } from "ioredis";
import { ensureLocalKey } from "./local-key.ts";

/** A path as the user would type it: relative when under the working directory. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
};

/**
 * `npm start`: everything on one machine. Starts a redis-server under DATA_DIR when REDIS_URL
 * is unset, makes an API key when API_KEYS is unset, then runs the worker and the API.
 */
await runService("local", async (config, logger) => {
  let redis: LocalRedis | undefined;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const dir = join(config.dataDir, "redis");
      redis = await startLocalRedis({
        dir,
        bin: config.redisServerBin,
        onLog: (line) => logger.info({ redis: line }, "redis-server"),
      });
      closers.push(() => redis?.stop() ?? Promise.resolve());
      redisUrl = redis.url;
      logger.info({ url: redisUrl, dir }, "started a local redis-server (append-only file on)");
      // Its own Redis, which nothing else uses: keys an earlier release wrote before
      // KEY_PREFIX became a hash tag (`nb:…`) move to where this one reads them (`{nb}:…`).
      const client = new Redis(redisUrl);
      const { moved } = await moveKeys(
        client,
        config.keyPrefix.replace(/^\{(.*)\}$/, "$1"),
        config.keyPrefix,
      );
      await client.quit();
      if (moved > 0) logger.info({ moved }, `moved keys to ${config.keyPrefix}:…`);
    }
    const local = config.apiKeys.length === 0 ? ensureLocalKey(config.dataDir) : undefined;
    const effective = { ...config, redisUrl, apiKeys: local ? [local.entry] : config.apiKeys };

    const worker = await startWorker(effective, logger.child({ component: "worker" }));
    closers.push(worker.close);
    const api = await startApi(effective, logger.child({ component: "api" }));
    // The API closes first (stop accepting), then the worker (finish jobs), then Redis.
    closers.push(api.close);

    const base = publicBaseUrl({ publicUrl: config.publicUrl, port: api.port });
    const lines = [
      "",
      `NanoBanana is running on ${base} (provider: ${config.makers.join(", ")}, store: ${config.store}, images under ${shown(config.dataDir)})`,
    ];
    if (local) {
      const key = local.entry.key;
      lines.push(
        `Your API key${local.created ? " (new)" : ""}, saved in ${shown(local.path)}:`,
        `  ${key}`,
        "",
        "Open the console (this link signs you in):",
        `  ${base}/#/sign-in?key=${key}`,
        "",
        "Try it:",
        `  curl -s -X POST ${base}/generate -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" -d '{"prompt":"wireless headphones on a desk"}'`,
        `  curl -s ${base}/generation/<id>/status -H "Authorization: Bearer ${key}"`,
      );
    }
    lines.push("", "Press Ctrl+C to stop.", "");
    process.stdout.write(`${lines.join("\n")}\n`);
    return { close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
});
