/**
 * `npm run smoke:gemini`: one real image from Google's Gemini API, to check a key and the
 * provider end to end. Says plainly that it skipped when no credentials are set.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { classifyPrompt } from "@nanobanana/classifier";
import { createImageProvider } from "@nanobanana/composition";
import { loadConfigOrExit } from "@nanobanana/entrypoint";
import { createLogger } from "@nanobanana/logger";
import { postProcessImage } from "@nanobanana/pipeline";
import { enhancePrompt } from "@nanobanana/templates";

const config = loadConfigOrExit();
const gemini = config.gemini;
if (!gemini) {
  process.stdout.write(
    "smoke:gemini SKIPPED: GEMINI_API_KEY is not set (nor Vertex AI). Set it to generate one real image.\n",
  );
  process.exit(0);
}

const prompt = "a ripe banana on a walnut table";
const label = classifyPrompt(prompt);
const { enhancedPrompt } = enhancePrompt(prompt, {
  label,
  quality: "standard",
  aspectRatio: "1:1",
});
// No Redis: one call needs no shared rate limit. config.gemini is set, so this is Gemini.
const provider = createImageProvider(config, createLogger({ service: "smoke", level: "warn" }));
const started = Date.now();
try {
  const result = await provider.generate({
    prompt: enhancedPrompt,
    subject: prompt,
    label,
    quality: "standard",
    aspectRatio: "1:1",
  });
  const image = await postProcessImage(result.bytes, "png");
  mkdirSync(config.dataDir, { recursive: true });
  const path = join(config.dataDir, "smoke-gemini.png");
  writeFileSync(path, image.bytes);
  process.stdout.write(
    `smoke:gemini OK: ${result.model} drew ${image.width}×${image.height} (${image.bytes.length} bytes) in ${Date.now() - started} ms, ${result.calls} call(s), $${result.costUsd}\n  saved to ${path}\n${result.note ? `  model said: ${result.note}\n` : ""}`,
  );
} catch (error) {
  const e = error as { code?: string; message: string };
  process.stderr.write(`smoke:gemini FAILED: ${e.code ?? "ERROR"}: ${e.message}\n`);
  process.exit(1);
}
