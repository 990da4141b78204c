import {
  type Certainty,
  type Domain,
  LABELS,
  type Label,
  type Subcategory,
} from "@nanobanana/domain";
import englishWords from "./english-words.json" with { type: "json" };
import { type Evidence, LEXICON_WORDS, lexiconScores } from "./lexicon-scores.ts";
import trainedModel from "./model.generated.json" with { type: "json" };
import {
  type CompiledModel,
  compileModel,
  type NaiveBayesModel,
  naiveBayesScores,
} from "./naive-bayes.ts";
import { normalizeText } from "./normalize.ts";
import { typoCorrector } from "./typos.ts";

export { type CorpusSplit, type LabelledPrompt, parseCorpus, readCorpus } from "./corpus.ts";
export {
  crossValidate,
  type EvaluationReport,
  evaluate,
  formatReport,
  labelKey,
  type Prediction,
} from "./evaluate.ts";
export type { Evidence } from "./lexicon-scores.ts";
export {
  type CompiledModel,
  compileModel,
  type NaiveBayesModel,
  naiveBayesScores,
  trainNaiveBayes,
} from "./naive-bayes.ts";
export { normalizeText } from "./normalize.ts";

export interface Alternative extends Label {
  score: number;
}

export interface Classification {
  domain: Domain;
  subcategory: Subcategory;
  /** Probability of the chosen label among all 16; calibrated on the training split. */
  confidence: number;
  /** Probability per domain; sums to 1. */
  scores: Record<Domain, number>;
  /** The best labels, most likely first (the chosen one included), with probabilities. */
  alternatives: Alternative[];
  /** Lexicon terms and rules that matched, strongest first. */
  evidence: Evidence[];
  /** Words read as typos of known words, e.g. "headphnoes" → "headphone". */
  corrections: Array<{ from: string; to: string }>;
  certainty: Certainty;
}

/**
 * The tuned constants, chosen by cross-validation on the training split (`npm run
 * eval:classifier` prints the comparison):
 * - LEARNED_WEIGHT: how much the naive-Bayes model counts beside the lexicon;
 * - SHARPNESS: softmax temperature, fitted so confidence matches accuracy;
 * - the thresholds below which a template falls back to a general one.
 */
export const CLASSIFIER_SETTINGS = {
  learnedWeight: 1,
  sharpness: 1.5,
  subcategoryThreshold: 0.5,
  domainThreshold: 0.6,
};

const model = compileModel(trainedModel as NaiveBayesModel);
// Typos are corrected to words the classifier has evidence for, and a common English word
// (english-words.json) is never read as a typo: "stage" stays "stage", though "state" is known.
const corrector = typoCorrector(
  new Set([
    ...LEXICON_WORDS,
    ...[...model.features.keys()].flatMap((f) => (f.startsWith("w:") ? [f.slice(2)] : [])),
  ]),
  englishWords.words.split(" "),
);

interface Options {
  model?: CompiledModel | null;
  settings?: typeof CLASSIFIER_SETTINGS;
}

export function classifyPrompt(prompt: string, options: Options = {}): Classification {
  const settings = options.settings ?? CLASSIFIER_SETTINGS;
  const learned = options.model === undefined ? model : options.model;
  const corrections: Classification["corrections"] = [];
  const normalized = normalizeText(prompt)
    .split(" ")
    .map((word) => {
      const fixed = corrector.correct(word);
      if (!fixed) return word;
      corrections.push({ from: word, to: fixed });
      return fixed;
    })
    .join(" ");

  const lexical = lexiconScores(normalized);
  const combined = lexical.scores;
  if (learned && settings.learnedWeight > 0) {
    const nb = naiveBayesScores(learned, normalized);
    const top = Math.max(...nb);
    for (let i = 0; i < combined.length; i++) {
      combined[i] = (combined[i] as number) + settings.learnedWeight * ((nb[i] as number) - top);
    }
  }

  const max = Math.max(...combined);
  const probability = combined.map((s) => Math.exp(settings.sharpness * (s - max)));
  const total = probability.reduce((a, b) => a + b, 0);
  const scores = { photography: 0, diagrams: 0, art: 0, products: 0 } satisfies Record<
    Domain,
    number
  >;
  for (let i = 0; i < probability.length; i++) {
    const p = (probability[i] as number) / total;
    probability[i] = p;
    const label = LABELS[i];
    if (label) scores[label.domain] += p;
  }
  const order = probability
    .map((_, i) => i)
    .sort((a, b) => (probability[b] as number) - (probability[a] as number));
  const alternatives = order.slice(0, 3).map((i) => {
    const label = LABELS[i] ?? { domain: "photography", subcategory: "landscape" };
    return {
      domain: label.domain,
      subcategory: label.subcategory,
      score: round(probability[i] ?? 0),
    };
  });
  const best = alternatives[0] ?? { domain: "photography", subcategory: "landscape", score: 0 };
  const confidence = probability[order[0] ?? 0] ?? 0;
  const domainConfidence = scores[best.domain];
  const certainty: Certainty =
    confidence >= settings.subcategoryThreshold
      ? "subcategory"
      : domainConfidence >= settings.domainThreshold
        ? "domain"
        : "none";

  return {
    domain: best.domain,
    subcategory: best.subcategory,
    confidence: round(confidence),
    scores: {
      photography: round(scores.photography),
      diagrams: round(scores.diagrams),
      art: round(scores.art),
      products: round(scores.products),
    },
    alternatives,
    evidence: lexical.evidence.sort((a, b) => b.weight - a.weight),
    corrections,
    certainty,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
