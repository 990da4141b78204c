import { DOMAINS, type Domain, LABELS, type Label } from "@nanobanana/domain";
import type { LabelledPrompt } from "./corpus.ts";

export interface Prediction extends Label {
  confidence: number;
}

export interface Accuracy {
  name: string;
  n: number;
  correct: number;
  accuracy: number;
}

export interface CalibrationBand {
  /** Confidence in [from, to). */
  from: number;
  to: number;
  n: number;
  meanConfidence: number;
  accuracy: number;
}

export interface EvaluationReport {
  n: number;
  domainAccuracy: number;
  subcategoryAccuracy: number;
  perDomain: Accuracy[];
  perSubcategory: Accuracy[];
  /** confusion[expected][predicted], by each prompt's first label. */
  confusion: Record<string, Record<string, number>>;
  calibration: CalibrationBand[];
  misses: Array<{ prompt: string; expected: string; predicted: string; confidence: number }>;
}

export const labelKey = (l: Label) => `${l.domain}/${l.subcategory}`;

const BAND_EDGES = [0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001];

/** Scores a classifier against labelled prompts: a prediction is right if any accepted label matches. */
export function evaluate(
  examples: readonly LabelledPrompt[],
  classify: (prompt: string) => Prediction,
): EvaluationReport {
  const domainTally = new Map<Domain, { n: number; correct: number }>();
  const labelTally = new Map<string, { n: number; correct: number }>();
  const confusion: Record<string, Record<string, number>> = {};
  const bands = BAND_EDGES.slice(0, -1).map(() => ({ n: 0, correct: 0, confidenceSum: 0 }));
  const misses: EvaluationReport["misses"] = [];
  let domainCorrect = 0;
  let labelCorrect = 0;

  for (const { prompt, labels } of examples) {
    const predicted = classify(prompt);
    const [primary] = labels;
    if (!primary) continue;
    const domainRight = labels.some((l) => l.domain === predicted.domain);
    const labelRight = labels.some(
      (l) => l.domain === predicted.domain && l.subcategory === predicted.subcategory,
    );
    if (domainRight) domainCorrect++;
    if (labelRight) labelCorrect++;

    const d = domainTally.get(primary.domain) ?? { n: 0, correct: 0 };
    d.n++;
    if (domainRight) d.correct++;
    domainTally.set(primary.domain, d);

    const key = labelKey(primary);
    const s = labelTally.get(key) ?? { n: 0, correct: 0 };
    s.n++;
    if (labelRight) s.correct++;
    labelTally.set(key, s);

    const predictedKey = labelRight ? key : labelKey(predicted);
    confusion[key] ??= {};
    confusion[key][predictedKey] = (confusion[key][predictedKey] ?? 0) + 1;

    const bandIndex = BAND_EDGES.findIndex(
      (edge, i) => predicted.confidence < (BAND_EDGES[i + 1] ?? 2) && predicted.confidence >= edge,
    );
    const band = bands[bandIndex];
    if (band) {
      band.n++;
      band.confidenceSum += predicted.confidence;
      if (labelRight) band.correct++;
    }
    if (!labelRight) {
      misses.push({
        prompt,
        expected: labels.map(labelKey).join("|"),
        predicted: labelKey(predicted),
        confidence: predicted.confidence,
      });
    }
  }

  const accuracy = (name: string, t: { n: number; correct: number } | undefined): Accuracy => ({
    name,
    n: t?.n ?? 0,
    correct: t?.correct ?? 0,
    accuracy: t && t.n > 0 ? t.correct / t.n : 0,
  });
  const n = examples.length;
  return {
    n,
    domainAccuracy: n ? domainCorrect / n : 0,
    subcategoryAccuracy: n ? labelCorrect / n : 0,
    perDomain: DOMAINS.map((domain) => accuracy(domain, domainTally.get(domain))),
    perSubcategory: LABELS.map((l) => accuracy(labelKey(l), labelTally.get(labelKey(l)))),
    confusion,
    calibration: bands.map((b, i) => ({
      from: BAND_EDGES[i] ?? 0,
      to: Math.min(1, BAND_EDGES[i + 1] ?? 1),
      n: b.n,
      meanConfidence: b.n ? b.confidenceSum / b.n : 0,
      accuracy: b.n ? b.correct / b.n : 0,
    })),
    misses,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The report as plain-text tables, for `npm run eval:classifier`. */
export function formatReport(title: string, report: EvaluationReport): string {
  const lines = [
    `## ${title}: ${report.n} prompts`,
    `domain accuracy       ${pct(report.domainAccuracy)}`,
    `subcategory accuracy  ${pct(report.subcategoryAccuracy)}`,
    "",
    "per domain (domain right)      n   accuracy",
    ...report.perDomain.map(
      (a) => `  ${a.name.padEnd(26)} ${String(a.n).padStart(4)}   ${pct(a.accuracy)}`,
    ),
    "",
    "per subcategory (label right)  n   accuracy",
    ...report.perSubcategory.map(
      (a) => `  ${a.name.padEnd(26)} ${String(a.n).padStart(4)}   ${pct(a.accuracy)}`,
    ),
    "",
    "calibration (label right, by confidence band)",
    "  band          n   mean conf   accuracy",
    ...report.calibration
      .filter((b) => b.n > 0)
      .map(
        (b) =>
          `  ${b.from.toFixed(2)}–${b.to.toFixed(2)}  ${String(b.n).padStart(4)}   ${pct(b.meanConfidence).padStart(8)}   ${pct(b.accuracy).padStart(8)}`,
      ),
    "",
    "confusion (expected → predicted, off-diagonal only)",
    ...Object.entries(report.confusion).flatMap(([expected, row]) =>
      Object.entries(row)
        .filter(([predicted]) => predicted !== expected)
        .map(([predicted, count]) => `  ${expected.padEnd(26)} → ${predicted.padEnd(26)} ${count}`),
    ),
  ];
  return lines.join("\n");
}

/**
 * k-fold cross-validation on one split: each prompt is classified by a classifier built
 * without it. This is how methods and constants are compared without touching the test split.
 */
export function crossValidate(
  examples: readonly LabelledPrompt[],
  folds: number,
  build: (training: readonly LabelledPrompt[]) => (prompt: string) => Prediction,
): EvaluationReport {
  const outOfFold = new Map<LabelledPrompt, Prediction>();
  for (let fold = 0; fold < folds; fold++) {
    const classify = build(examples.filter((_, i) => i % folds !== fold));
    examples.forEach((example, i) => {
      if (i % folds === fold) outOfFold.set(example, classify(example.prompt));
    });
  }
  const byPrompt = new Map([...outOfFold].map(([e, p]) => [e.prompt, p]));
  return evaluate(examples, (prompt) => {
    const prediction = byPrompt.get(prompt);
    if (!prediction) throw new Error(`no out-of-fold prediction for "${prompt}"`);
    return prediction;
  });
}

/** A prompt of a held-out group with what a classifier built without that group said of it. */
export interface HeldOut {
  group: string;
  example: LabelledPrompt;
  prediction: Prediction;
  right: boolean;
  domainRight: boolean;
}

/**
 * Leave one group out: each group is classified by a classifier built from every other group,
 * so the figures say how the classifier does on a way of writing it has never seen.
 */
export function crossGroup(
  groups: ReadonlyMap<string, readonly LabelledPrompt[]>,
  build: (training: readonly LabelledPrompt[]) => (prompt: string) => Prediction,
): HeldOut[] {
  const out: HeldOut[] = [];
  for (const [group, examples] of groups) {
    const training = [...groups].filter(([g]) => g !== group).flatMap(([, e]) => e);
    const classify = build(training);
    for (const example of examples) {
      const prediction = classify(example.prompt);
      out.push({
        group,
        example,
        prediction,
        right: example.labels.some(
          (l) => l.domain === prediction.domain && l.subcategory === prediction.subcategory,
        ),
        domainRight: example.labels.some((l) => l.domain === prediction.domain),
      });
    }
  }
  return out;
}

/**
 * Expected calibration error: over ten equal confidence bins, the gap between stated
 * confidence and accuracy, weighted by how many answers fall in each bin.
 */
export function expectedCalibrationError(
  answers: ReadonlyArray<{ confidence: number; right: boolean }>,
): number {
  const bins = Array.from({ length: 10 }, () => ({ n: 0, confidence: 0, right: 0 }));
  for (const { confidence, right } of answers) {
    const bin = bins[Math.min(9, Math.floor(confidence * 10))] as (typeof bins)[number];
    bin.n++;
    bin.confidence += confidence;
    if (right) bin.right++;
  }
  const total = answers.length || 1;
  return bins.reduce((sum, b) => sum + (b.n ? Math.abs(b.confidence - b.right) / total : 0), 0);
}

/** How many answers were given at ≥ `threshold` confidence, and how many of them were right. */
export function accuracyAtConfidence(
  answers: ReadonlyArray<{ confidence: number; right: boolean }>,
  threshold: number,
): { n: number; accuracy: number } {
  const sure = answers.filter((a) => a.confidence >= threshold);
  return {
    n: sure.length,
    accuracy: sure.length ? sure.filter((a) => a.right).length / sure.length : 0,
  };
}
