import { runServiceProcesses } from "@nanobanana/entrypoint";
import { startApi } from "./server.ts";

// API_PROCESSES API processes share the port (one without it).
await runServiceProcesses("api", startApi, (config) => config.apiProcesses);
