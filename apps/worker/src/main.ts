import { runService } from "@nanobanana/entrypoint";
import { startWorker } from "./worker.ts";

await runService("worker", startWorker);
