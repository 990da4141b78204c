import { runService } from "@nanobanana/entrypoint";
import { startApi } from "./server.ts";

await runService("api", startApi);
