export { type CliIo, runCli } from "./cli.ts";
export { resolveConnection } from "./connection.ts";
