/**
 * `npm run fake:gemini`: the Gemini stand-in on its own, to try PROVIDER=gemini offline:
 *   npm run fake:gemini [-- PORT]            # prints its URL (default port 8090)
 *   PROVIDER=gemini GEMINI_API_KEY=any GEMINI_BASE_URL=<url> npm start
 * Put a marker such as [gemini:rate-limited-once] in a prompt to pick an answer; a text model
 * asked with a responseSchema (CLASSIFIER_SECOND_OPINION=gemini) answers the label a
 * [gemini:label=art/painting] marker names.
 * FAKE_GEMINI_BATCH_DELAY_MS sets how long a batch job takes (default 2000).
 */
import {
  BATCH_SCENARIOS,
  FAKE_GEMINI_LABEL,
  SCENARIOS,
  startFakeGemini,
} from "@nanobanana/testing/fake-gemini";

// Read like the service's own settings, from the environment as a whole.
const { FAKE_GEMINI_BATCH_DELAY_MS: delaySetting } = process.env;
const batchDelayMs = Number(delaySetting ?? 2_000);
if (!Number.isFinite(batchDelayMs) || batchDelayMs < 0) {
  process.stderr.write(
    `FAKE_GEMINI_BATCH_DELAY_MS must be a number of milliseconds, not "${delaySetting}"\n`,
  );
  process.exit(2);
}
const fake = await startFakeGemini({
  port: Number(process.argv[2] ?? 8090),
  batchDelayMs,
  log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
});
const list = (scenarios: Record<string, string>) =>
  Object.entries(scenarios)
    .map(([name, what]) => `  [gemini:${name}]  ${what}`)
    .join("\n");
process.stdout.write(
  `Fake Gemini API on ${fake.url}\nScenarios (put the marker in a prompt):\n${list(SCENARIOS)}\n` +
    `Text models asked with a responseSchema (the classifier's second opinion) answer the label [gemini:label=<domain>/<subcategory>] names, else ${FAKE_GEMINI_LABEL.domain}/${FAKE_GEMINI_LABEL.subcategory}; only the label-… markers act on them.\n` +
    `Batch jobs take ${batchDelayMs} ms (FAKE_GEMINI_BATCH_DELAY_MS); each request is answered as above, and these act on a whole job:\n${list(BATCH_SCENARIOS)}\n`,
);
process.on("SIGINT", () => void fake.close().then(() => process.exit(0)));
process.on("SIGTERM", () => void fake.close().then(() => process.exit(0)));
