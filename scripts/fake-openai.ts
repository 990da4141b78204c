/**
 * `npm run fake:openai`: the OpenAI Images API stand-in on its own, to try the OpenAI provider
 * offline:
 *   npm run fake:openai [-- PORT]            # prints its URL (default port 8091)
 *   OPENAI_API_KEY=any OPENAI_BASE_URL=<url> … (the URL printed, /v1 included)
 * Put a marker such as [openai:rate-limited-once] in a prompt to pick an answer.
 */
import { OPENAI_SCENARIOS, startFakeOpenAI } from "@nanobanana/testing/fake-openai";

const fake = await startFakeOpenAI({
  port: Number(process.argv[2] ?? 8091),
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
});
const list = Object.entries(OPENAI_SCENARIOS)
  .map(([name, what]) => `  [openai:${name}]  ${what}`)
  .join("\n");
process.stdout.write(
  `Fake OpenAI Images API on ${fake.url}\nScenarios (put the marker in a prompt):\n${list}\n`,
);
process.on("SIGINT", () => void fake.close().then(() => process.exit(0)));
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
