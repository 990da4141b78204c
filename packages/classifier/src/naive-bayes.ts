import { LABELS } from "@nanobanana/domain";
import type { LabelledPrompt } from "./corpus.ts";
import { forEachDerivedFeature } from "./generalise.ts";
import { wordsWithGlosses } from "./glossary.ts";
import { normalizeText } from "./normalize.ts";

/**
 * A multinomial naive-Bayes model over words, word pairs and character n-grams of the
 * normalised prompt, and the features derived from its words (generalise.ts: WordNet classes,
 * the head of "X of Y"). The n-grams are what carry typos ("headphnoes" shares most of its
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
export const featuresOf = (normalized: string, derived = true): string[] => [
  ...featureSet(normalized, derived),
];

function featureSet(normalized: string, derived = true): Set<string> {
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
  if (derived) forEachDerivedFeature(words, (feature) => features.add(feature));
  return features;
}

const labelIndex = new Map(LABELS.map((l, i) => [`${l.domain}/${l.subcategory}`, i]));

/**
 * Trains on labelled prompts (each prompt counts for its first label). Features seen in
 * fewer than `minDocs` prompts are dropped: they are noise and would only bloat the model.
 */
export function trainNaiveBayes(
  examples: readonly LabelledPrompt[],
  options: {
    smoothing?: number;
    minDocs?: number;
    /** false: words, pairs and n-grams only (to measure what the derived features add). */
    derived?: boolean;
    /** false: without the glosses of foreign words (glossary.ts). */
    glosses?: boolean;
  } = {},
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
    const words =
      options.glosses === false ? normalizeText(prompt) : wordsWithGlosses(prompt).join(" ");
    for (const feature of featuresOf(words, options.derived)) {
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

/**
 * A model prepared for scoring: per feature, the log-probability it adds to each label.
 * Read-only once made: scoring indexes it by number the first time (see Scorer).
 */
export interface CompiledModel {
  logPrior: number[];
  /** What an unseen-for-this-label feature adds: log(smoothing) − log(denominator). */
  base: number[];
  /** Feature → label indexes and the extra log-probability over `base` for each. */
  features: Map<string, { labels: number[]; extra: number[] }>;
}

/** Each compiled model's numeric index, made when it is compiled (or first scored). */
const scorers = new WeakMap<CompiledModel, Scorer>();

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
  const compiled = {
    logPrior: model.logPrior,
    base: model.logDenominator.map((d) => logSmoothing - d),
    features,
  };
  scorers.set(compiled, new Scorer(compiled));
  return compiled;
}

/**
 * Per-label log-likelihood of a normalised prompt, averaged over its known features so
 * long prompts are not more certain than short ones just for being long.
 */
export function naiveBayesScores(model: CompiledModel, normalized: string): number[] {
  const words = normalized.split(" ").filter(Boolean);
  if (words.every(isPlainWord)) return naiveBayesEvidence(model, words).scores;
  // Text that is not normalised (e.g. "a_b", capitals): score its feature strings as they are.
  return stringEvidence(model, normalized).scores;
}

function stringEvidence(
  model: CompiledModel,
  normalized: string,
): { scores: number[]; known: number } {
  const sums = new Float64Array(model.base.length);
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
  return { scores: averaged(model, sums, known), known };
}

/**
 * `naiveBayesScores` of normalised words (each non-empty, of a-z and 0-9 only, as
 * `normalizedWords` gives them), and how many of their features the model knew: the same
 * features in the same order, looked up by number instead of by string, so the sums are the
 * same to the last bit.
 */
export function naiveBayesEvidence(
  model: CompiledModel,
  words: readonly string[],
): { scores: number[]; known: number } {
  let scorer = scorers.get(model);
  if (!scorer) {
    scorer = new Scorer(model);
    scorers.set(model, scorer);
  }
  if (!scorer.exact) return stringEvidence(model, words.join(" "));
  const known = scorer.sum(words);
  return { scores: averaged(model, scorer.sums, known), known };
}

function averaged(model: CompiledModel, sums: Float64Array, known: number): number[] {
  const n = model.base.length;
  const scores = new Array<number>(n);
  // Every known feature adds `base` to each label: add it once, then average.
  for (let i = 0; i < n; i++) {
    scores[i] = known === 0 ? 0 : (sums[i] ?? 0) / known + (model.base[i] as number);
  }
  return scores;
}

/** Letters of the padded word `<word>` as 1–38 (6 bits); 0 for any other character. */
const CHAR_CODE = new Uint8Array(128);
CHAR_CODE[60] = 1; // <
CHAR_CODE[62] = 2; // >
for (let c = 97; c <= 122; c++) CHAR_CODE[c] = c - 94; // a–z: 3–28
for (let c = 48; c <= 57; c++) CHAR_CODE[c] = c - 19; // 0–9: 29–38
const charCode = (c: number) => (c < 128 ? (CHAR_CODE[c] as number) : 0);
const OPEN = 1;
const CLOSE = 2;
const gram3 = (a: number, b: number, c: number) => (a << 12) | (b << 6) | c;
const gram4 = (a: number, b: number, c: number, d: number) =>
  (1 << 24) | (a << 18) | (b << 12) | (c << 6) | d;

function isPlainWord(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = charCode(word.charCodeAt(i));
    if (c === 0 || c === OPEN || c === CLOSE) return false;
  }
  return word.length > 0;
}

/** An open-addressing hash table from positive 31-bit integers to feature indexes. */
class IntTable {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly shift: number;
  private readonly mask: number;

  constructor(entries: ReadonlyArray<readonly [number, number]>) {
    let bits = 4;
    while (1 << bits < entries.length * 2) bits++;
    this.keys = new Int32Array(1 << bits);
    this.values = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    for (const [key, value] of entries) {
      let slot = this.slot(key);
      while (this.keys[slot] !== 0 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.values[slot] = value;
    }
  }

  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The value for `key` (> 0), or -1. */
  get(key: number): number {
    let slot = this.slot(key);
    for (;;) {
      const k = this.keys[slot] as number;
      if (k === key) return this.values[slot] as number;
      if (k === 0) return -1;
      slot = (slot + 1) & this.mask;
    }
  }
}

/**
 * A compiled model indexed by number: each word the model knows has a token, word pairs are a
 * pair of tokens, character n-grams are their 6-bit letter codes packed in an integer, and
 * each feature is a row of its extras for every label (0 where it has none: adding 0 to a sum
 * that started at 0 changes nothing, so the sums match the sparse ones bit for bit). Features
 * no normalised prompt can produce (capitals, punctuation) are left out: they never match.
 */
class Scorer {
  /** Per label, the sum of extras of the last prompt's known features. */
  readonly sums: Float64Array;
  private readonly tokens = new Map<string, number>();
  /** Token → index of its "w:" feature, or -1. */
  private readonly wordFeature: Int32Array;
  private readonly bigrams: Map<number, number>;
  /** Derived feature ("x:…") → its index. */
  private readonly derived = new Map<string, number>();
  private readonly tokenCount: number;
  private readonly grams: IntTable;
  /** Feature f's extra for label l is rows[f × labels + l]. */
  private readonly rows: Float64Array;
  /** seen[f] === stamp: feature f was already counted for this prompt. */
  private readonly seen: Uint32Array;
  private stamp = 0;
  /** The prompt's known features, each once, in the order first found: found[0 … count). */
  private readonly found: Int32Array;
  private count = 0;
  private codes = new Uint8Array(64);
  /** False for a model whose sums this index cannot reproduce exactly (see the constructor). */
  exact = true;

  constructor(model: CompiledModel) {
    const n = model.base.length;
    this.sums = new Float64Array(n);
    const entries = [...model.features];
    this.rows = new Float64Array(entries.length * n);
    this.seen = new Uint32Array(entries.length);
    this.found = new Int32Array(entries.length);
    const token = (word: string) => {
      let id = this.tokens.get(word);
      if (id === undefined) {
        id = this.tokens.size;
        this.tokens.set(word, id);
      }
      return id;
    };
    const seenLabel = new Int32Array(n);
    const words: Array<[number, number]> = [];
    const pairs: Array<[string, string, number]> = [];
    const grams: Array<[number, number]> = [];
    entries.forEach(([feature, { labels, extra }], f) => {
      for (let i = 0; i < labels.length; i++) {
        const label = labels[i] as number;
        // A label out of range adds to no sum (a typed array ignores the write); one listed
        // twice would be added in another order, so such a model is scored by its strings.
        if (label < 0 || label >= n) continue;
        if (seenLabel[label] === f + 1) this.exact = false;
        seenLabel[label] = f + 1;
        this.rows[f * n + label] = extra[i] as number;
      }
      const kind = feature.slice(0, 2);
      const text = feature.slice(2);
      if (kind === "w:" && isPlainWord(text)) words.push([token(text), f]);
      if (kind === "x:") this.derived.set(feature, f);
      const underscore = text.indexOf("_");
      if (kind === "b:" && underscore >= 0 && underscore === text.lastIndexOf("_")) {
        const first = text.slice(0, underscore);
        const second = text.slice(underscore + 1);
        if (isPlainWord(first) && isPlainWord(second)) {
          pairs.push([first, second, f]);
          token(first);
          token(second);
        }
      }
      if (kind === "c:" && (text.length === 3 || text.length === 4)) {
        // gram3 or gram4 of the letters' codes, if every one is a letter of `<word>`
        let key = text.length === 4 ? 1 : 0;
        for (let i = 0; i < text.length && key >= 0; i++) {
          const code = charCode(text.charCodeAt(i));
          key = code === 0 ? -1 : (key << 6) | code;
        }
        if (key >= 0) grams.push([key, f]);
      }
    });
    this.tokenCount = this.tokens.size;
    this.wordFeature = new Int32Array(this.tokenCount).fill(-1);
    for (const [id, f] of words) this.wordFeature[id] = f;
    this.bigrams = new Map(
      pairs.map(([a, b, f]) => [this.pairKey(token(a), token(b)), f] as [number, number]),
    );
    this.grams = new IntTable(grams);
  }

  private pairKey(a: number, b: number): number {
    return a * this.tokenCount + b;
  }

  /** Adds up the extras of the words' known features into `sums`; returns how many were known. */
  sum(words: readonly string[]): number {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    this.count = 0;
    const tokens = this.tokens;
    const grams = this.grams;
    let next = words.length > 0 ? (tokens.get(words[0] as string) ?? -1) : -1;
    for (let w = 0; w < words.length; w++) {
      const word = words[w] as string;
      const token = next;
      next = w + 1 < words.length ? (tokens.get(words[w + 1] as string) ?? -1) : -1;
      // The order of featureSet: the word, the pair it starts, its 3-grams, its 4-grams.
      if (token >= 0) {
        this.add(this.wordFeature[token] as number);
        if (next >= 0) this.add(this.bigrams.get(this.pairKey(token, next)) ?? -1);
      }
      const length = word.length + 2;
      if (this.codes.length < length) this.codes = new Uint8Array(length * 2);
      const codes = this.codes;
      codes[0] = OPEN;
      for (let i = 0; i < word.length; i++) codes[i + 1] = charCode(word.charCodeAt(i));
      codes[length - 1] = CLOSE;
      for (let i = 0; i + 3 <= length; i++) {
        this.add(
          grams.get(gram3(codes[i] as number, codes[i + 1] as number, codes[i + 2] as number)),
        );
      }
      for (let i = 0; i + 4 <= length; i++) {
        const g = gram4(
          codes[i] as number,
          codes[i + 1] as number,
          codes[i + 2] as number,
          codes[i + 3] as number,
        );
        this.add(grams.get(g));
      }
    }
    // Then, as featureSet adds them, the derived features.
    forEachDerivedFeature(words, this.addDerived);
    this.accumulate();
    return this.count;
  }

  /**
   * sums[l] = the found features' extras for label l, added in the order found: what the
   * sparse sums add, in the same order (and zeros, which change nothing). Eight labels at a
   * time, so eight independent sums are in flight instead of one.
   */
  private accumulate(): void {
    const { sums, rows, found, count } = this;
    const n = sums.length;
    let l = 0;
    for (; l + 8 <= n; l += 8) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      for (let k = 0; k < count; k++) {
        const at = (found[k] as number) * n + l;
        s0 += rows[at] as number;
        s1 += rows[at + 1] as number;
        s2 += rows[at + 2] as number;
        s3 += rows[at + 3] as number;
        s4 += rows[at + 4] as number;
        s5 += rows[at + 5] as number;
        s6 += rows[at + 6] as number;
        s7 += rows[at + 7] as number;
      }
      sums[l] = s0;
      sums[l + 1] = s1;
      sums[l + 2] = s2;
      sums[l + 3] = s3;
      sums[l + 4] = s4;
      sums[l + 5] = s5;
      sums[l + 6] = s6;
      sums[l + 7] = s7;
    }
    for (; l < n; l++) {
      let sum = 0;
      for (let k = 0; k < count; k++) sum += rows[(found[k] as number) * n + l] as number;
      sums[l] = sum;
    }
  }

  private readonly addDerived = (feature: string) => this.add(this.derived.get(feature) ?? -1);

  /** Notes feature f (-1: none) as found, unless it already was in this prompt. */
  private add(f: number): void {
    if (f < 0 || this.seen[f] === this.stamp) return;
    this.seen[f] = this.stamp;
    this.found[this.count++] = f;
  }
}
