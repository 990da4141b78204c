/**
 * `nanobanana …` (bin of @nanobanana/cli; `npm run cli -- …` in the repository).
 * Ctrl+C stops waiting: what was created goes on, and the CLI says how to follow it; a second
 * Ctrl+C quits at once.
 */
import { runCli } from "./cli.ts";

const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
