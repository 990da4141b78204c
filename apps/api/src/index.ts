export { type AppDeps, createApp } from "./app.ts";
export { createApiKey } from "./routes/admin.ts";
export { type RunningApi, startApi } from "./server.ts";
