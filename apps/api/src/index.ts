export { type AppDeps, createApp } from "./app.ts";
export { type RunningApi, startApi } from "./server.ts";
