export * from "./api-keys.ts";
export * from "./aspect-ratios.ts";
export * from "./cost.ts";
export * from "./generation.ts";
export * from "./ids.ts";
export * from "./present.ts";
export * from "./taxonomy.ts";
export * from "./webhook.ts";
