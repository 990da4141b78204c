/**
 * The classifier's start-up, in a fresh process (as the API and each worker pay it): how long
 * importing it takes (the WordNet word classes and the model are read and indexed then) and
 * the memory it adds. Prints one JSON line; bench/run.ts runs it.
 */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
const { classifyPrompt, wordClassCount } = await import("@nanobanana/classifier");
classifyPrompt("warm the scorer's index: a lighthouse at dusk");
const importMs = performance.now() - start;
gc();
const { rss, heapUsed } = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ importMs, rssMiB: (rss - rssBefore) / 2 ** 20, heapMiB: (heapUsed - heapBefore) / 2 ** 20, words: wordClassCount() })}\n`,
);
