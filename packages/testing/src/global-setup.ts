import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRedis } from "@nanobanana/local-redis";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** One real redis-server for the integration run; tests isolate by key prefix. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "nb-test-redis-"));
  const redis = await startLocalRedis({ dir, persistent: false });
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
