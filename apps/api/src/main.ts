import { runService } from "@nanobanana/lifecycle";
import { startApi } from "./server.ts";

await runService("api", startApi);
