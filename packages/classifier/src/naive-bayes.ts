import { LABELS } from "@nanobanana/domain";
import type { LabelledPrompt } from "./corpus.ts";
import { normalizeText } from "./normalize.ts";

/**
 * A multinomial naive-Bayes model over words, word pairs and character n-grams of the
 * normalised prompt. The n-grams are what carry typos ("headphnoes" shares most of its
 * trigrams with "headphone") and related word forms across languages.
 */
export interface NaiveBayesModel {
  /** Per label (LABELS order): the log prior. */
  logPrior: number[];
  /** Per label: log of (total feature count + smoothing × vocabulary). */
  logDenominator: number[];
  /** Feature → per-label counts, sparse: [labelIndex, count, labelIndex, count, …]. */
  counts: Record<string, number[]>;
  smoothing: number;
}

const NGRAM_SIZES = [3, 4];

/** The features of a prompt, each once (a bag of distinct features works better on short text). */
export const featuresOf = (normalized: string): string[] => [...featureSet(normalized)];

function featureSet(normalized: string): Set<string> {
  const words = normalized.split(" ").filter(Boolean);
  const features = new Set<string>();
  words.forEach((word, i) => {
    features.add(`w:${word}`);
    const next = words[i + 1];
    if (next) features.add(`b:${word}_${next}`);
    const padded = `<${word}>`;
    for (const n of NGRAM_SIZES) {
      for (let start = 0; start + n <= padded.length; start++) {
        features.add(`c:${padded.slice(start, start + n)}`);
      }
    }
  });
  return features;
}

const labelIndex = new Map(LABELS.map((l, i) => [`${l.domain}/${l.subcategory}`, i]));

/**
 * Trains on labelled prompts (each prompt counts for its first label). Features seen in
 * fewer than `minDocs` prompts are dropped: they are noise and would only bloat the model.
 */
export function trainNaiveBayes(
  examples: readonly LabelledPrompt[],
  options: { smoothing?: number; minDocs?: number } = {},
): NaiveBayesModel {
  const smoothing = options.smoothing ?? 0.1;
  const minDocs = options.minDocs ?? 2;
  const docsPerLabel = new Array<number>(LABELS.length).fill(0);
  const perFeature = new Map<string, { docs: number; byLabel: number[] }>();
  for (const { prompt, labels } of examples) {
    const [primary] = labels;
    const index = primary ? labelIndex.get(`${primary.domain}/${primary.subcategory}`) : undefined;
    if (index === undefined) continue;
    docsPerLabel[index] = (docsPerLabel[index] ?? 0) + 1;
    for (const feature of featuresOf(normalizeText(prompt))) {
      const entry = perFeature.get(feature) ?? {
        docs: 0,
        byLabel: new Array<number>(LABELS.length).fill(0),
      };
      entry.docs++;
      entry.byLabel[index] = (entry.byLabel[index] ?? 0) + 1;
      perFeature.set(feature, entry);
    }
  }
  const counts: Record<string, number[]> = {};
  const totals = new Array<number>(LABELS.length).fill(0);
  for (const [feature, { docs, byLabel }] of [...perFeature].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (docs < minDocs) continue;
    const sparse: number[] = [];
    byLabel.forEach((count, i) => {
      if (count > 0) {
        sparse.push(i, count);
        totals[i] = (totals[i] ?? 0) + count;
      }
    });
    counts[feature] = sparse;
  }
  const vocabulary = Object.keys(counts).length;
  const allDocs = docsPerLabel.reduce((a, b) => a + b, 0);
  return {
    logPrior: docsPerLabel.map((d) => Math.log((d + 1) / (allDocs + LABELS.length))),
    logDenominator: totals.map((t) => Math.log(t + smoothing * vocabulary)),
    counts,
    smoothing,
  };
}

/** A model prepared for scoring: per feature, the log-probability it adds to each label. */
export interface CompiledModel {
  logPrior: number[];
  /** What an unseen-for-this-label feature adds: log(smoothing) − log(denominator). */
  base: number[];
  /** Feature → label indexes and the extra log-probability over `base` for each. */
  features: Map<string, { labels: number[]; extra: number[] }>;
}

export function compileModel(model: NaiveBayesModel): CompiledModel {
  const logSmoothing = Math.log(model.smoothing);
  const features = new Map<string, { labels: number[]; extra: number[] }>();
  for (const [feature, sparse] of Object.entries(model.counts)) {
    const labels: number[] = [];
    const extra: number[] = [];
    for (let i = 0; i < sparse.length; i += 2) {
      labels.push(sparse[i] as number);
      extra.push(Math.log((sparse[i + 1] as number) + model.smoothing) - logSmoothing);
    }
    features.set(feature, { labels, extra });
  }
  return {
    logPrior: model.logPrior,
    base: model.logDenominator.map((d) => logSmoothing - d),
    features,
  };
}

/**
 * Per-label log-likelihood of a normalised prompt, averaged over its known features so
 * long prompts are not more certain than short ones just for being long.
 */
export function naiveBayesScores(model: CompiledModel, normalized: string): number[] {
  const n = model.base.length;
  const sums = new Float64Array(n);
  let known = 0;
  for (const feature of featureSet(normalized)) {
    const entry = model.features.get(feature);
    if (!entry) continue;
    known++;
    const { labels, extra } = entry;
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i] as number;
      sums[label] = (sums[label] ?? 0) + (extra[i] as number);
    }
  }
  const scores = new Array<number>(n);
  // Every known feature adds `base` to each label: add it once, then average.
  for (let i = 0; i < n; i++) {
    scores[i] = known === 0 ? 0 : (sums[i] ?? 0) / known + (model.base[i] as number);
  }
  return scores;
}
