/**
 * `npm run fake:stability`: the Stability AI Stable Image API stand-in on its own, to try the
 * Stability provider offline:
 *   npm run fake:stability [-- PORT]         # prints its URL (default port 8092)
 *   STABILITY_API_KEY=any STABILITY_BASE_URL=<url> …
 * Put a marker such as [stability:rate-limited-once] in a prompt to pick an answer.
 */
import { STABILITY_SCENARIOS, startFakeStability } from "@nanobanana/testing/fake-stability";

const fake = await startFakeStability({
  port: Number(process.argv[2] ?? 8092),
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
});
const list = Object.entries(STABILITY_SCENARIOS)
  .map(([name, what]) => `  [stability:${name}]  ${what}`)
  .join("\n");
process.stdout.write(
  `Fake Stability AI API on ${fake.url}\nScenarios (put the marker in a prompt):\n${list}\n`,
);
process.on("SIGINT", () => void fake.close().then(() => process.exit(0)));
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
