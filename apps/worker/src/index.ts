export { generationHandlers } from "./handlers.ts";
export { type RunningWorker, startWorker } from "./worker.ts";
