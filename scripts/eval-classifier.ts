/**
 * `npm run eval:classifier`: how well the prompt classifier does on the held-out test split
 * (per domain and subcategory, confusion, calibration), after the evidence its settings were
 * chosen on: 5-fold cross-validation of the candidate methods on the training split.
 * `--misses` lists every wrong answer on the test split.
 */
import {
  CLASSIFIER_SETTINGS,
  classifyPrompt,
  compileModel,
  crossValidate,
  type EvaluationReport,
  evaluate,
  formatReport,
  type LabelledPrompt,
  naiveBayesScores,
  normalizeText,
  readCorpus,
  trainNaiveBayes,
} from "@nanobanana/classifier";
import { LABELS, QUALITIES } from "@nanobanana/domain";
import { enhancePrompt } from "@nanobanana/templates";

const train = readCorpus("train");
const test = readCorpus("test");
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

type Settings = typeof CLASSIFIER_SETTINGS;
const hybrid = (settings: Settings) => (training: readonly LabelledPrompt[]) => {
  const model = compileModel(trainNaiveBayes(training));
  return (prompt: string) => classifyPrompt(prompt, { model, settings });
};
const naiveBayesOnly = (training: readonly LabelledPrompt[]) => {
  const model = compileModel(trainNaiveBayes(training));
  return (prompt: string) => {
    const scores = naiveBayesScores(model, normalizeText(prompt));
    const best = scores.indexOf(Math.max(...scores));
    const label = LABELS[best] ?? { domain: "photography", subcategory: "landscape" };
    return { ...label, confidence: 0 };
  };
};

// Mean negative log-likelihood of "the label is right" under the stated confidence:
// lower means confidence is more honest.
const calibrationLoss = (report: EvaluationReport) =>
  report.calibration.reduce(
    (sum, band) =>
      sum -
      band.n *
        (band.accuracy * Math.log(Math.max(band.meanConfidence, 1e-6)) +
          (1 - band.accuracy) * Math.log(Math.max(1 - band.meanConfidence, 1e-6))),
    0,
  ) / report.n;

console.log(`# Prompt classifier: ${train.length} training prompts, ${test.length} test prompts\n`);
console.log("## Method comparison: 5-fold cross-validation on the training split");
console.log(
  "(the lexicon was written while reading the training split, so its own figure is optimistic)",
);
console.log("  method                                     domain   subcategory   calibration loss");
const rows: Array<[string, EvaluationReport]> = [
  ["naive Bayes alone (words + char 3-4-grams)", crossValidate(train, 5, naiveBayesOnly)],
  ["lexicon alone", crossValidate(train, 5, hybrid({ ...CLASSIFIER_SETTINGS, learnedWeight: 0 }))],
  ...[0.5, 1, 2, 4].map((w): [string, EvaluationReport] => [
    `lexicon + naive Bayes × ${w}${w === CLASSIFIER_SETTINGS.learnedWeight ? " (chosen)" : ""}`,
    crossValidate(train, 5, hybrid({ ...CLASSIFIER_SETTINGS, learnedWeight: w })),
  ]),
];
for (const [name, report] of rows) {
  const loss = name.startsWith("naive Bayes alone") ? "-" : calibrationLoss(report).toFixed(3);
  console.log(
    `  ${name.padEnd(42)} ${pct(report.domainAccuracy).padStart(6)}   ${pct(report.subcategoryAccuracy).padStart(11)}   ${loss.padStart(16)}`,
  );
}

const chosen = rows.find(([name]) => name.endsWith("(chosen)"))?.[1];
if (chosen) {
  console.log(
    "\ncalibration of the chosen method, cross-validated on the training split (sets the fallback thresholds)",
  );
  console.log("  band          n   mean conf   accuracy");
  for (const b of chosen.calibration.filter((band) => band.n > 0)) {
    console.log(
      `  ${b.from.toFixed(2)}–${b.to.toFixed(2)}  ${String(b.n).padStart(4)}   ${pct(b.meanConfidence).padStart(8)}   ${pct(b.accuracy).padStart(8)}`,
    );
  }
}

const report = evaluate(test, (prompt) => classifyPrompt(prompt));
console.log(`\n${formatReport("Held-out test split", report)}`);
const { subcategoryThreshold, domainThreshold } = CLASSIFIER_SETTINGS;
const specific = report.calibration.filter((b) => b.from >= subcategoryThreshold);
const covered = specific.reduce((n, b) => n + b.n, 0);
const right = specific.reduce((n, b) => n + b.n * b.accuracy, 0);
console.log(
  `\nfallback: below ${subcategoryThreshold} confidence the general template of the domain is used (domain sure ≥ ${domainThreshold}), else the general one.` +
    `\n  specific templates on ${covered}/${report.n} test prompts, right on ${pct(covered ? right / covered : 0)} of them`,
);

console.log("\n## Enhancement ratio on the test prompts (words in → words out, by tier)");
console.log("  tier        words in   words out   ratio (mean of per-prompt ratios)");
for (const quality of QUALITIES) {
  let wordsIn = 0;
  let wordsOut = 0;
  let ratio = 0;
  for (const { prompt } of test) {
    const c = classifyPrompt(prompt);
    const { words } = enhancePrompt(prompt, {
      label: c,
      quality,
      certainty: c.certainty,
    });
    wordsIn += words.in;
    wordsOut += words.out;
    ratio += words.out / Math.max(1, words.in);
  }
  const n = test.length;
  console.log(
    `  ${quality.padEnd(10)} ${(wordsIn / n).toFixed(1).padStart(8)}   ${(wordsOut / n).toFixed(1).padStart(9)}   ${(ratio / n).toFixed(1).padStart(5)}×`,
  );
}

if (process.argv.includes("--misses")) {
  console.log("\nmisses (confidence, expected ← predicted, prompt)");
  for (const m of report.misses) {
    console.log(`  ${m.confidence.toFixed(2)}  ${m.expected} ← ${m.predicted}  ${m.prompt}`);
  }
}
