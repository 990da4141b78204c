import {
  type Certainty,
  DOMAINS,
  type Domain,
  LABELS,
  type Label,
  type Subcategory,
} from "@nanobanana/domain";
import { ENGLISH_WORDS, glossesOf } from "./glossary.ts";
import { type Evidence, LEXICON_WORDS, lexiconScores } from "./lexicon-scores.ts";
import trainedModel from "./model.generated.json" with { type: "json" };
import {
  type CompiledModel,
  compileModel,
  type NaiveBayesModel,
  naiveBayesEvidence,
} from "./naive-bayes.ts";
import { isAscii, normalizedWords } from "./normalize.ts";
import { typoCorrector } from "./typos.ts";

export {
  type CorpusSplit,
  type LabelledPrompt,
  parseCorpus,
  readCheckSet,
  readCorpus,
  readCorpusGroups,
} from "./corpus.ts";
export {
  accuracyAtConfidence,
  crossGroup,
  crossValidate,
  type EvaluationReport,
  evaluate,
  expectedCalibrationError,
  formatReport,
  type HeldOut,
  labelKey,
  type Prediction,
} from "./evaluate.ts";
export { wordClassCount } from "./generalise.ts";
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
 * The tuned constants, chosen on held-out groups of the corpus (`npm run eval:classifier`
 * prints the comparison): each group is classified by a model trained without it.
 * - LEARNED_WEIGHT: how much the naive-Bayes model counts beside the hand-written lexicon
 *   (16: learned from ~2 900 prompts in nine registers, it generalises better than the rules);
 * - EVIDENCE_HALF: the number of known features at which naive Bayes has half its say;
 * - SHARPNESS: softmax temperature, where calibration error is least on held-out groups
 *   (4.2%), with 98.7% of the answers given at ≥ 0.9 right;
 * - the thresholds below which a template falls back to a general one.
 */
export const CLASSIFIER_SETTINGS = {
  learnedWeight: 16,
  evidenceHalf: 30,
  sharpness: 0.45,
  /** The most confidence a prompt that names media of two domains is answered with. */
  mixedMediaCap: 0.85,
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
  ENGLISH_WORDS,
);

// Each label's domain as an index into DOMAINS, for adding up the domains' probabilities.
const DOMAIN_INDEX = Object.fromEntries(DOMAINS.map((d, i) => [d, i])) as Record<Domain, number>;
const LABEL_DOMAIN = LABELS.map((l) => DOMAIN_INDEX[l.domain]);

interface Options {
  model?: CompiledModel | null;
  settings?: typeof CLASSIFIER_SETTINGS;
  /** false: foreign words are not glossed (to measure what the glossary adds). */
  glosses?: boolean;
}

export function classifyPrompt(prompt: string, options: Options = {}): Classification {
  const settings = options.settings ?? CLASSIFIER_SETTINGS;
  const learned = options.model === undefined ? model : options.model;
  const corrections: Classification["corrections"] = [];
  const ascii = isAscii(prompt);
  const words = normalizedWords(prompt, ascii);
  // Glossed before typos are corrected: a foreign word is not an English word misspelt.
  const glosses =
    options.glosses === false ? [] : glossesOf(words, ascii ? "" : prompt.toLowerCase(), ascii);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    const fixed = corrector.correct(word);
    if (!fixed) continue;
    corrections.push({ from: word, to: fixed });
    words[i] = fixed;
  }
  for (const gloss of glosses) words.push(gloss);

  const lexical = lexiconScores(words);
  const combined = lexical.scores;
  if (learned && settings.learnedWeight > 0) {
    const { scores: nb, known } = naiveBayesEvidence(learned, words);
    const top = maxOf(nb);
    // Naive Bayes averages over the features it knows: two n-grams of a nonsense word would
    // speak as loudly as a whole prompt. Its say grows with how much of the prompt it knew.
    const weight = (settings.learnedWeight * known) / (known + settings.evidenceHalf);
    for (let i = 0; i < combined.length; i++) {
      combined[i] = (combined[i] as number) + weight * ((nb[i] as number) - top);
    }
  }

  const max = maxOf(combined);
  const probability = combined;
  let total = 0;
  for (let i = 0; i < probability.length; i++) {
    const p = Math.exp(settings.sharpness * ((combined[i] as number) - max));
    probability[i] = p;
    total += p;
  }
  // Per domain (DOMAINS order), the sum of its labels' probabilities, added in LABELS order.
  const domainSums = [0, 0, 0, 0];
  let ordered = true;
  for (let i = 0; i < probability.length; i++) {
    const p = (probability[i] as number) / total;
    probability[i] = p;
    if (Number.isNaN(p)) ordered = false;
    const d = LABEL_DOMAIN[i];
    if (d !== undefined) domainSums[d] = (domainSums[d] as number) + p;
  }
  const scores = {
    photography: domainSums[DOMAIN_INDEX.photography] as number,
    diagrams: domainSums[DOMAIN_INDEX.diagrams] as number,
    art: domainSums[DOMAIN_INDEX.art] as number,
    products: domainSums[DOMAIN_INDEX.products] as number,
  } satisfies Record<Domain, number>;
  // The answer is the likeliest domain's likeliest label, not simply the likeliest label:
  // where three photography labels share 0.6 and one art label has 0.3, it is a photograph.
  const ranked = ordered ? topIndexes(probability, 4) : sortedIndexes(probability);
  const chosen = ordered
    ? likeliestLabelIn(probability, indexOfMax(domainSums))
    : (ranked[0] as number);
  const order = [chosen, ...ranked.filter((i) => i !== chosen)];
  const alternatives: Alternative[] = [];
  for (let k = 0; k < 3 && k < order.length; k++) {
    const i = order[k] as number;
    const label = LABELS[i] ?? { domain: "photography", subcategory: "landscape" };
    alternatives.push({
      domain: label.domain,
      subcategory: label.subcategory,
      score: round(probability[i] ?? 0),
    });
  }
  const best = alternatives[0] ?? { domain: "photography", subcategory: "landscape", score: 0 };
  const confidence = Math.min(
    probability[order[0] ?? 0] ?? 0,
    lexical.mixedMedia ? settings.mixedMediaCap : 1,
  );
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
    evidence: byWeight(lexical.evidence),
    corrections,
    certainty,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** Math.max(...values), without spreading them. */
function maxOf(values: readonly number[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i] as number);
  return max;
}

/** Indexes of all values, largest first; ties (and NaN) keep their order (a stable sort). */
const sortedIndexes = (values: readonly number[]) =>
  values.map((_, i) => i).sort((a, b) => (values[b] as number) - (values[a] as number));

function indexOfMax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** The index of the likeliest label whose domain is `domain` (an index into DOMAINS). */
function likeliestLabelIn(probability: readonly number[], domain: number): number {
  let best = -1;
  for (let i = 0; i < probability.length; i++) {
    if (LABEL_DOMAIN[i] !== domain) continue;
    if (best < 0 || (probability[i] as number) > (probability[best] as number)) best = i;
  }
  return best;
}

/**
 * The first `n` of sortedIndexes(values), for values without NaN: each time the largest
 * left, the first of equal ones, as the stable sort puts them.
 */
function topIndexes(values: readonly number[], n: number): number[] {
  const top: number[] = [];
  while (top.length < n && top.length < values.length) {
    let best = -1;
    for (let i = 0; i < values.length; i++) {
      if (top.includes(i)) continue;
      if (best < 0 || (values[i] as number) > (values[best] as number)) best = i;
    }
    top.push(best);
  }
  return top;
}

/**
 * evidence.sort((a, b) => b.weight - a.weight), strongest first, equal weights in the order
 * found: an insertion sort, stable as Array.prototype.sort is (weights are finite numbers).
 */
function byWeight(evidence: Evidence[]): Evidence[] {
  for (let i = 1; i < evidence.length; i++) {
    const item = evidence[i] as Evidence;
    let j = i - 1;
    while (j >= 0 && item.weight - (evidence[j] as Evidence).weight > 0) {
      evidence[j + 1] = evidence[j] as Evidence;
      j--;
    }
    evidence[j + 1] = item;
  }
  return evidence;
}
