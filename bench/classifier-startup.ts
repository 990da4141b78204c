/**
 * The classifier's start-up, in a fresh process (as the API and each worker pay it): how long
 * importing it takes (the WordNet word classes and the model are read and indexed then) and
 * the memory it adds. Then what a word seen for the first time costs: the classifier keeps
 * what it works out of each word (wordMemo), so after the seed corpus has warmed the code, the
 * independent check set (written by another hand, after the model) is classified once, its
 * new words worked out on the way, and then again. Prints one JSON line; bench/run.ts runs it.
 */
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const start = performance.now();
const { classifyPrompt, readCheckSet, readCorpusGroups, wordClassCount, normalizeText } =
  await import("@nanobanana/classifier");
classifyPrompt("warm the scorer's index: a lighthouse at dusk");
const importMs = performance.now() - start;
gc();
const { rss, heapUsed } = process.memoryUsage();

const seed = (readCorpusGroups().get("seed") ?? []).map((e) => e.prompt);
const check = readCheckSet().map((e) => e.prompt);
const seedWords = new Set(seed.flatMap((p) => normalizeText(p).split(" ")));
const checkWords = check.flatMap((p) => normalizeText(p).split(" "));
const newWords = new Set(checkWords.filter((w) => !seedWords.has(w)));
for (let pass = 0; pass < 10; pass++) for (const p of seed) classifyPrompt(p);
const meanUs = (passes: number) => {
  const from = performance.now();
  for (let pass = 0; pass < passes; pass++) for (const p of check) classifyPrompt(p);
  return ((performance.now() - from) * 1000) / (passes * check.length);
};
const firstSightUs = meanUs(1);
const againUs = meanUs(5);
process.stdout.write(
  `${JSON.stringify({
    importMs,
    rssMiB: (rss - rssBefore) / 2 ** 20,
    heapMiB: (heapUsed - heapBefore) / 2 ** 20,
    words: wordClassCount(),
    checkPrompts: check.length,
    newWords: newWords.size,
    firstSightUs,
    againUs,
  })}\n`,
);
