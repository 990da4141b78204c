export { createRedisStore } from "./redis-store.ts";
export type { GenerationPatch, Page, Store, UpdateOptions } from "./store.ts";
