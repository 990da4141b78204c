import table from "./wordnet.generated.json" with { type: "json" };

/**
 * Features that carry a prompt past the words the training prompts used:
 * - `x:c:<class>` for each word WordNet knows, its classes (wordnet-build.ts): an unseen
 *   "focaccia" still says noun.food, an unseen "tuxedo" says anchor.clothing;
 * - `x:h:<word>` and `x:hc:<class>` for the head of "X of Y" near the start ("a watercolour of
 *   a harbour", "cutaway of a turbine", "foto de un reloj"): what the picture *is* comes
 *   before "of", what it shows after it, and the head must be able to outweigh the subject.
 */

/**
 * Word → its classes, over the table's own text: an open-addressing index of where each
 * entry starts, so start-up builds two typed arrays instead of ~140 000 strings and Map
 * entries (that took 0.6 s and 46 MiB). Each distinct set of classes is made once.
 */
class WordClasses {
  private readonly text: string;
  /** Slot → entry start + 1 (0: empty). */
  private readonly starts: Int32Array;
  /** Slot → the entry's word length. */
  private readonly lengths: Int32Array;
  /** Slot → index of its class set. */
  private readonly setOf: Int32Array;
  private readonly mask: number;
  readonly classes: string[][] = [];
  readonly features: string[][] = [];
  readonly size: number;

  constructor(table: { classes: string[]; words: string }) {
    const text = table.words;
    this.text = text;
    let entries = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 58) entries++; // ':'
    let capacity = 16;
    while (capacity < entries * 2) capacity *= 2;
    this.starts = new Int32Array(capacity);
    this.lengths = new Int32Array(capacity);
    this.setOf = new Int32Array(capacity);
    this.mask = capacity - 1;
    const setIndex = new Map<string, number>();
    let start = 0;
    while (start < text.length) {
      const colon = text.indexOf(":", start);
      if (colon < 0) break;
      let end = text.indexOf(" ", colon);
      if (end < 0) end = text.length;
      const ids = text.slice(colon + 1, end);
      let set = setIndex.get(ids);
      if (set === undefined) {
        set = this.classes.length;
        setIndex.set(ids, set);
        const classes = ids.split(",").map((id) => table.classes[Number(id)] as string);
        this.classes.push(classes);
        this.features.push(classes.map((c) => `x:c:${c}`));
      }
      let slot = hashOf(text, start, colon) & this.mask;
      while (this.starts[slot] !== 0) slot = (slot + 1) & this.mask;
      this.starts[slot] = start + 1;
      this.lengths[slot] = colon - start;
      this.setOf[slot] = set;
      start = end + 1;
    }
    this.size = entries;
  }

  /** The index of the word's class set, or -1. */
  find(word: string): number {
    let slot = hashOf(word, 0, word.length) & this.mask;
    for (;;) {
      const start = this.starts[slot] as number;
      if (start === 0) return -1;
      if (this.lengths[slot] === word.length && this.text.startsWith(word, start - 1)) {
        return this.setOf[slot] as number;
      }
      slot = (slot + 1) & this.mask;
    }
  }
}

/** FNV-1a of text[from, to). */
function hashOf(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const WORDS = new WordClasses(table);

/** How many words WordNet gives classes for (for the bench's start-up figure). */
export const wordClassCount = () => WORDS.size;

export function wordClassesOf(word: string): readonly string[] {
  const set = WORDS.find(word);
  return set < 0 ? NONE : (WORDS.classes[set] as string[]);
}
const NONE: readonly string[] = [];

/** "of" in the languages the corpus has: what the picture is comes before it. */
const OF = new Set(["of", "de", "di", "del", "della", "von", "van", "du", "des", "do", "da", "d"]);
/** Words before the head that say nothing of it. */
const FILLER = new Set([
  "a",
  "an",
  "the",
  "un",
  "une",
  "una",
  "uno",
  "ein",
  "eine",
  "einen",
  "een",
]);
/** The head must come early: "of" later in a prompt joins two parts of the subject. */
const HEAD_WITHIN = 6;

/**
 * Calls `use` with each derived feature of normalised words, in a fixed order: the head's,
 * then each word's classes. A feature may come more than once: both callers keep the first
 * (featureSet in a Set, the scorer by stamp).
 */
export function forEachDerivedFeature(words: readonly string[], use: (feature: string) => void) {
  forEachHeadFeature(words, use);
  for (const word of words) for (const feature of classFeaturesOf(word)) use(feature);
}

/** The derived features of the head of "X of Y" near the start, if the words have one. */
export function forEachHeadFeature(words: readonly string[], use: (feature: string) => void) {
  const limit = Math.min(words.length - 1, HEAD_WITHIN);
  for (let i = 1; i <= limit; i++) {
    if (!OF.has(words[i] as string)) continue;
    const head = words[i - 1] as string;
    if (FILLER.has(head)) break;
    use(`x:h:${head}`);
    for (const c of wordClassesOf(head)) use(`x:hc:${c}`);
    break;
  }
}

/** A word's `x:c:<class>` features, one per class WordNet gives it. */
export function classFeaturesOf(word: string): readonly string[] {
  const set = WORDS.find(word);
  return set < 0 ? NONE : (WORDS.features[set] as string[]);
}
