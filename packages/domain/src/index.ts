export * from "./generation.ts";
export * from "./ids.ts";
export * from "./taxonomy.ts";
