/**
 * `npm run eval:classifier`: how well the prompt classifier does on ways of writing it has
 * never seen. The corpus is in groups (packages/classifier/corpus: the seed corpus, and one
 * file per register or language, each written apart from it); every figure here holds one
 * group out, trains on the rest, and classifies the group held out. Printed:
 * - what each part of the classifier buys, cross-group;
 * - the chosen classifier per group, its calibration (ECE, accuracy of answers given at ≥ 0.9)
 *   and how often the templates fall back to general ones;
 * - the confusion table by group (expected → predicted, off the diagonal);
 * - the enhancement ratio per quality tier.
 * `--misses` lists every wrong answer of the chosen classifier.
 */

import {
  accuracyAtConfidence,
  CLASSIFIER_SETTINGS,
  classifyPrompt,
  compileModel,
  crossGroup,
  expectedCalibrationError,
  type HeldOut,
  type LabelledPrompt,
  labelKey,
  readCheckSet,
  readCorpusGroups,
  trainNaiveBayes,
} from "@nanobanana/classifier";
import { QUALITIES } from "@nanobanana/domain";
import { enhancePrompt } from "@nanobanana/templates";

const groups = readCorpusGroups();
const all = [...groups.values()].flat();
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const share = <T>(items: readonly T[], right: (item: T) => boolean) =>
  items.length ? items.filter(right).length / items.length : 0;

console.log(`# Prompt classifier: ${all.length} labelled prompts in ${groups.size} groups\n`);
for (const [group, examples] of groups) console.log(`  ${group.padEnd(20)} ${examples.length}`);

type Settings = typeof CLASSIFIER_SETTINGS;
interface Variant {
  name: string;
  /** The training prompts a held-out group's classifier learns from. */
  training?: (others: readonly LabelledPrompt[]) => readonly LabelledPrompt[];
  derived?: boolean;
  glosses?: boolean;
  settings?: Partial<Settings>;
}
const seed = groups.get("seed") ?? [];
const inSeed = new Set(seed);
const variants: Variant[] = [
  {
    name: "before: seed corpus only, lexicon + naive Bayes × 1",
    training: (others) => others.filter((e) => inSeed.has(e)),
    derived: false,
    glosses: false,
    settings: { learnedWeight: 1, sharpness: 1.5 },
  },
  {
    name: "+ trained on the other groups",
    derived: false,
    glosses: false,
    settings: { learnedWeight: 1, sharpness: 1.5 },
  },
  {
    name: "+ glossary of foreign words",
    derived: false,
    settings: { learnedWeight: 1, sharpness: 1.5 },
  },
  { name: "+ WordNet classes and the head of 'X of Y'", settings: { learnedWeight: 1 } },
  { name: "+ naive Bayes weighted 16 beside the lexicon (chosen)" },
  { name: "  (naive Bayes alone, no lexicon)", settings: { learnedWeight: 1000 } },
];

const run = (variant: Variant) =>
  crossGroup(groups, (others) => {
    const model = compileModel(
      trainNaiveBayes(variant.training?.(others) ?? others, {
        derived: variant.derived ?? true,
        glosses: variant.glosses ?? true,
      }),
    );
    const settings = { ...CLASSIFIER_SETTINGS, ...variant.settings };
    return (prompt) =>
      classifyPrompt(prompt, { model, settings, glosses: variant.glosses ?? true });
  });

console.log("\n## What each change bought: every group held out in turn (all prompts)");
console.log("  classifier                                                 domain   subcategory");
let chosen: HeldOut[] = [];
for (const variant of variants) {
  const held = run(variant);
  if (variant.name.endsWith("(chosen)")) chosen = held;
  console.log(
    `  ${variant.name.padEnd(58)} ${pct(share(held, (h) => h.domainRight)).padStart(6)}   ${pct(share(held, (h) => h.right)).padStart(11)}`,
  );
}

console.log("\n## The chosen classifier, per group held out");
console.log("  group                   n   domain   subcategory   right at ≥ 0.9 (answers)");
for (const group of groups.keys()) {
  const held = chosen.filter((h) => h.group === group);
  const sure = accuracyAtConfidence(
    held.map((h) => ({ confidence: h.prediction.confidence, right: h.right })),
    0.9,
  );
  console.log(
    `  ${group.padEnd(20)} ${String(held.length).padStart(4)}   ${pct(share(held, (h) => h.domainRight)).padStart(6)}   ${pct(share(held, (h) => h.right)).padStart(11)}   ${pct(sure.accuracy).padStart(6)} (${sure.n})`,
  );
}
const answers = chosen.map((h) => ({ confidence: h.prediction.confidence, right: h.right }));
const sure = accuracyAtConfidence(answers, 0.9);
console.log(
  `  ${"all".padEnd(20)} ${String(chosen.length).padStart(4)}   ${pct(share(chosen, (h) => h.domainRight)).padStart(6)}   ${pct(share(chosen, (h) => h.right)).padStart(11)}   ${pct(sure.accuracy).padStart(6)} (${sure.n})`,
);

// The check set was written by another hand for checking only: the shipped model (trained on
// every group) never saw it, and nothing here is tuned on it.
const check = readCheckSet().map((example) => {
  const c = classifyPrompt(example.prompt);
  return {
    confidence: c.confidence,
    domainRight: example.labels.some((l) => l.domain === c.domain),
    right: example.labels.some((l) => labelKey(l) === labelKey(c)),
  };
});
const checkSure = accuracyAtConfidence(check, 0.9);
console.log(
  `  ${"check set (shipped)".padEnd(20)} ${String(check.length).padStart(4)}   ${pct(share(check, (c) => c.domainRight)).padStart(6)}   ${pct(share(check, (c) => c.right)).padStart(11)}   ${pct(checkSure.accuracy).padStart(6)} (${checkSure.n})`,
);
console.log(
  "  (check set: corpus/check, 480 prompts by another hand, never trained or tuned on; classified by the shipped model)",
);

console.log("\n## Calibration, cross-group (label right, by stated confidence)");
console.log(`  expected calibration error (10 bins): ${pct(expectedCalibrationError(answers))}`);
console.log(
  `  answers at ≥ 0.9: ${sure.n} of ${answers.length}, right ${pct(sure.accuracy)}, ${Math.round(sure.n * (1 - sure.accuracy))} wrong (aim ≥ 99%)`,
);
console.log("  band          n   mean conf   accuracy");
for (let bin = 0; bin < 10; bin++) {
  // The last bin holds confidence 1 too.
  const band = answers.filter((a) => Math.min(9, Math.floor(a.confidence * 10)) === bin);
  if (band.length === 0) continue;
  const mean = band.reduce((s, a) => s + a.confidence, 0) / band.length;
  console.log(
    `  ${(bin / 10).toFixed(1)}–${((bin + 1) / 10).toFixed(1)}  ${String(band.length).padStart(5)}   ${pct(mean).padStart(8)}   ${pct(band.filter((a) => a.right).length / band.length).padStart(8)}`,
  );
}
const { subcategoryThreshold, domainThreshold } = CLASSIFIER_SETTINGS;
const specific = chosen.filter((h) => h.prediction.confidence >= subcategoryThreshold);
console.log(
  `  templates: the subcategory's own on ${specific.length} of ${chosen.length} prompts (confidence ≥ ${subcategoryThreshold}), right on ${pct(share(specific, (h) => h.right))}; below it the domain's general one (domain ≥ ${domainThreshold}) or the general one`,
);

console.log("\n## Confusion by group held out (expected → predicted, off the diagonal; ≥ 2)");
for (const group of groups.keys()) {
  const pairs = new Map<string, number>();
  for (const h of chosen) {
    if (h.group !== group || h.right) continue;
    const key = `${labelKey(h.example.labels[0] ?? h.prediction)} → ${labelKey(h.prediction)}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  const shown = [...pairs].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1]);
  console.log(`  ${group}: ${shown.map(([pair, n]) => `${pair} ${n}`).join("; ") || "none twice"}`);
}

console.log("\n## Enhancement ratio on the seed prompts (words in → words out, by tier)");
console.log("  tier        words in   words out   ratio (mean of per-prompt ratios)");
for (const quality of QUALITIES) {
  let wordsIn = 0;
  let wordsOut = 0;
  let ratio = 0;
  for (const { prompt } of seed) {
    const c = classifyPrompt(prompt);
    const { words } = enhancePrompt(prompt, { label: c, quality, certainty: c.certainty });
    wordsIn += words.in;
    wordsOut += words.out;
    ratio += words.out / Math.max(1, words.in);
  }
  const n = seed.length || 1;
  console.log(
    `  ${quality.padEnd(10)} ${(wordsIn / n).toFixed(1).padStart(8)}   ${(wordsOut / n).toFixed(1).padStart(9)}   ${(ratio / n).toFixed(1).padStart(5)}×`,
  );
}

if (process.argv.includes("--misses")) {
  console.log(
    "\nmisses of the chosen classifier, held out (group, confidence, expected ← predicted)",
  );
  for (const h of chosen.filter((x) => !x.right)) {
    console.log(
      `  ${h.group} ${h.prediction.confidence.toFixed(2)}  ${h.example.labels.map(labelKey).join("|")} ← ${labelKey(h.prediction)}  ${h.example.prompt}`,
    );
  }
}
