/**
 * `npm run fake:gemini`: the Gemini stand-in on its own, to try PROVIDER=gemini offline:
 *   npm run fake:gemini [-- PORT]            # prints its URL (default port 8090)
 *   PROVIDER=gemini GEMINI_API_KEY=any GEMINI_BASE_URL=<url> npm start
 * Put a marker such as [gemini:rate-limited-once] in a prompt to pick an answer.
 */
import { SCENARIOS, startFakeGemini } from "@nanobanana/testing/fake-gemini";

const fake = await startFakeGemini({
  port: Number(process.argv[2] ?? 8090),
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
});
const lines = Object.entries(SCENARIOS).map(([name, what]) => `  [gemini:${name}]  ${what}`);
process.stdout.write(
  `Fake Gemini API on ${fake.url}\nScenarios (put the marker in a prompt):\n${lines.join("\n")}\n`,
);
process.on("SIGINT", () => void fake.close().then(() => process.exit(0)));
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
