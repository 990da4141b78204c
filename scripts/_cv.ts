import {
  CLASSIFIER_SETTINGS,
  classifyPrompt,
  compileModel,
  evaluate,
  readCorpus,
  trainNaiveBayes,
} from "@nanobanana/classifier";

const train = readCorpus("train");
const folds = 5;
const run = (name: string, weight: number, sharp = 1.2) => {
  let d = 0,
    s = 0,
    n = 0,
    ll = 0;
  for (let k = 0; k < folds; k++) {
    const tr = train.filter((_, i) => i % folds !== k),
      te = train.filter((_, i) => i % folds === k);
    const m = compileModel(trainNaiveBayes(tr));
    const settings = { ...CLASSIFIER_SETTINGS, learnedWeight: weight, sharpness: sharp };
    const r = evaluate(te, (p) => classifyPrompt(p, { model: m, settings }));
    d += r.domainAccuracy * r.n;
    s += r.subcategoryAccuracy * r.n;
    n += r.n;
    for (const e of te) {
      const c = classifyPrompt(e.prompt, { model: m, settings });
      const ok = e.labels.some((l) => l.domain === c.domain && l.subcategory === c.subcategory);
      ll += ok
        ? -Math.log(Math.max(c.confidence, 1e-6))
        : -Math.log(Math.max(1 - c.confidence, 1e-6));
    }
  }
  console.log(
    name.padEnd(20),
    ((d / n) * 100).toFixed(1),
    ((s / n) * 100).toFixed(1),
    "nll",
    (ll / n).toFixed(3),
  );
};
const args = process.argv.slice(2);
for (const w of (args[0] ?? "0,1,2,4").split(",").map(Number))
  for (const s of (args[1] ?? "1.2").split(",").map(Number)) run(`w=${w} s=${s}`, w, s);
