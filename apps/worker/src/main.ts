import { runService } from "@nanobanana/lifecycle";
import { startWorker } from "./worker.ts";

await runService("worker", startWorker);
