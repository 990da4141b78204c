import { LABELS } from "@nanobanana/domain";
import type { LabelledPrompt } from "./corpus.ts";
import { classFeaturesOf, forEachDerivedFeature, forEachHeadFeature } from "./generalise.ts";
import { wordsWithGlosses } from "./glossary.ts";
import { normalizeText } from "./normalize.ts";
import { wordMemo } from "./word-memo.ts";

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
      // Kept to single precision, which the scores do not need beyond: the scorer's rows
      // then take half the memory, and a prompt's rows half the cache lines.
      extra.push(Math.fround(Math.log((sparse[i + 1] as number) + model.smoothing) - logSmoothing));
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
 * features, looked up by number instead of by string and added up word by word (exact in any
 * order, see Scorer), so the sums are the same to the last bit.
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
 * What the scorer keeps of one word (see Scorer.wordOf), in one array so a prompt's words are
 * a handful of reads: [token, sums for each label…, features…]. The token is -1 for a word
 * without one (only the words of "w:" features and of pairs have one). The features are the
 * word's own known ones, each once: its "w:", its 3- and 4-grams and its WordNet classes
 * ("x:c:…"); only pairs and the head of "X of Y" need the words around it. The sums are their
 * extras added up per label.
 */
type WordEntry = Float64Array;

/**
 * A compiled model indexed by number: each word the model knows has a token, word pairs are a
 * pair of tokens, character n-grams are their 6-bit letter codes packed in an integer, and
 * each feature is a row of its extras for every label (0 where it has none). Features no
 * normalised prompt can produce (capitals, punctuation) are left out: they never match.
 *
 * Every extra is a single-precision number and every sum a double, so each sum of extras is
 * exact whatever the order they are added in (see the constructor): a word's own features can
 * be added up once, when the word is first seen, and the sums still match the sparse ones of
 * stringEvidence bit for bit.
 */
class Scorer {
  /** Per label, the sum of extras of the last prompt's known features. */
  readonly sums: Float64Array;
  private readonly tokens = new Map<string, number>();
  /** Token → index of its "w:" feature, or -1. */
  private readonly wordFeature: Int32Array;
  /** pairKey(first token, second token) → the pair's feature. */
  private readonly bigrams: IntTable;
  /** Derived feature ("x:…") → its index. */
  private readonly derived = new Map<string, number>();
  private readonly tokenCount: number;
  private readonly grams: IntTable;
  /** Feature f's extra for label l is rows[f × labels + l] (single precision, as compiled). */
  private readonly rows: Float32Array;
  /** seen[f] === stamp: feature f was already counted for this prompt. */
  private readonly seen: Uint32Array;
  private stamp = 0;
  /** The last prompt's words' entries (kept to spare an array a prompt). */
  private readonly entries: WordEntry[] = [];
  /** How many distinct known features the last prompt had. */
  private count = 0;
  /** False for a model whose sums this index cannot reproduce exactly (see the constructor). */
  exact = true;

  constructor(model: CompiledModel) {
    const n = model.base.length;
    this.sums = new Float64Array(n);
    const entries = [...model.features];
    this.rows = new Float32Array(entries.length * n);
    this.seen = new Uint32Array(entries.length);
    // Every extra is a multiple of the smallest extra's last place (`grain`). A prompt's sums,
    // with a word's own sums added before its repeated features' rows are taken off, stay
    // within twice `entries.length` times the largest extra: below 2^53 grains every partial
    // sum is a double exactly, in any order.
    let largest = 0;
    let grain = Number.POSITIVE_INFINITY;
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
        // twice would be added in another order, and an extra beyond single precision would
        // not fit its row: such a model is scored by its strings.
        if (label < 0 || label >= n) continue;
        if (seenLabel[label] === f + 1) this.exact = false;
        const x = extra[i] as number;
        if (Math.fround(x) !== x) this.exact = false;
        if (x !== 0) {
          largest = Math.max(largest, Math.abs(x));
          // 2^(exponent − 23) is a float's last place; one lower, in case log2 rounds up.
          grain = Math.min(grain, 2 ** (Math.floor(Math.log2(Math.abs(x))) - 24));
        }
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
    // Pair keys must fit the table's positive 31-bit integers.
    if ((this.tokenCount + 1) ** 2 >= 2 ** 31) this.exact = false;
    this.bigrams = new IntTable(
      pairs.map(([a, b, f]) => [this.pairKey(token(a), token(b)), f] as [number, number]),
    );
    this.grams = new IntTable(grams);
    if (2 * largest * entries.length >= 2 ** 53 * grain) this.exact = false;
  }

  private pairKey(a: number, b: number): number {
    return a * this.tokenCount + b + 1;
  }

  /** Adds up the extras of the words' known features into `sums`; returns how many were known. */
  sum(words: readonly string[]): number {
    this.stamp = (this.stamp + 1) >>> 0;
    if (this.stamp === 0) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    this.count = 0;
    const { sums, seen, stamp } = this;
    const n = sums.length;
    sums.fill(0);
    const entries = this.entries;
    entries.length = 0;
    for (let w = 0; w < words.length; w++) entries.push(this.wordOf(words[w] as string));
    for (let w = 0; w < entries.length; w++) {
      const entry = entries[w] as WordEntry;
      // The word's sums, less the rows of any of its features the prompt already had.
      for (let l = 0; l < n; l++) sums[l] = (sums[l] as number) + (entry[1 + l] as number);
      for (let i = 1 + n; i < entry.length; i++) {
        const f = entry[i] as number;
        if (seen[f] !== stamp) {
          seen[f] = stamp;
          this.count++;
        } else this.addRow(sums, 0, f, -1);
      }
      const token = entry[0] as number;
      const next = entries[w + 1];
      const nextToken = next ? (next[0] as number) : -1;
      if (token >= 0 && nextToken >= 0) this.add(this.bigrams.get(this.pairKey(token, nextToken)));
    }
    forEachHeadFeature(words, this.addDerived);
    return this.count;
  }

  /** What a word brings of its own, worked out the first time it is seen. */
  private readonly wordOf = wordMemo(
    (word: string): WordEntry => {
      const token = this.tokens.get(word) ?? -1;
      const features: number[] = [];
      const keep = (f: number) => {
        if (f >= 0 && !features.includes(f)) features.push(f);
      };
      if (token >= 0) keep(this.wordFeature[token] as number);
      const length = word.length + 2;
      const codes = new Uint8Array(length);
      codes[0] = OPEN;
      for (let i = 0; i < word.length; i++) codes[i + 1] = charCode(word.charCodeAt(i));
      codes[length - 1] = CLOSE;
      for (let i = 0; i + 3 <= length; i++) {
        keep(
          this.grams.get(gram3(codes[i] as number, codes[i + 1] as number, codes[i + 2] as number)),
        );
      }
      for (let i = 0; i + 4 <= length; i++) {
        const g = gram4(
          codes[i] as number,
          codes[i + 1] as number,
          codes[i + 2] as number,
          codes[i + 3] as number,
        );
        keep(this.grams.get(g));
      }
      for (const feature of classFeaturesOf(word)) keep(this.derived.get(feature) ?? -1);
      const n = this.sums.length;
      const entry = new Float64Array(1 + n + features.length);
      entry[0] = token;
      features.forEach((f, i) => {
        entry[1 + n + i] = f;
        this.addRow(entry, 1, f, 1);
      });
      return entry;
    },
    // About 400 bytes a word: 20 000 words keep the memo within 8 MiB.
    { limit: 20_000 },
  );

  private readonly addDerived = (feature: string) => this.add(this.derived.get(feature) ?? -1);

  /** Counts feature f (-1: none) and adds its row, unless it already was in this prompt. */
  private add(f: number): void {
    if (f < 0 || this.seen[f] === this.stamp) return;
    this.seen[f] = this.stamp;
    this.count++;
    this.addRow(this.sums, 0, f, 1);
  }

  /** target[at + l] += sign × feature f's extra for label l, for every label (exact: see above). */
  private addRow(target: Float64Array, at: number, f: number, sign: 1 | -1): void {
    const { rows } = this;
    const n = this.sums.length;
    for (let l = 0; l < n; l++) {
      target[at + l] = (target[at + l] as number) + sign * (rows[f * n + l] as number);
    }
  }
}
