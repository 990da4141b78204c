import { testRedis, uniquePrefix } from "@nanobanana/testing";
import { afterAll } from "vitest";
import { createRedisStore } from "./redis-store.ts";
import { describeStoreContract } from "./store.contract.ts";

const redis = testRedis();
afterAll(() => redis.quit());

describeStoreContract("redis", () => createRedisStore(redis, uniquePrefix("store")));
