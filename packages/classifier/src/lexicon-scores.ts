import { DOMAINS, type Domain, LABELS, type Subcategory } from "@nanobanana/domain";
import {
  DOMAIN_CUES,
  DOMAIN_PRIOR,
  MEDIUM_DOMAIN,
  PHRASE_RULES,
  SUBCATEGORY_PRIOR,
  SUBCATEGORY_TERMS,
  type Weighted,
} from "./lexicon.ts";
import { normalizeText } from "./normalize.ts";

/** A matched term or rule, and what it argued for. */
export interface Evidence {
  /** The lexicon term or phrase rule that matched. */
  matched: string;
  /** "art" or "art/painting": what it counts towards. */
  supports: string;
  weight: number;
}

interface CompiledTerm {
  /** The term's normalised words. */
  words: string[];
  term: string;
  weight: number;
  /** Where it counts: a domain index, or a label index (LABELS order). */
  domain?: Domain;
  label?: number;
  /** Its position in `terms`, to count it once per prompt. */
  index: number;
  /** What its evidence says it supports: the domain, or "domain/subcategory". */
  supports: string;
}

/** What the lexicon knows of a word: one lookup a word of the prompt tells all of it. */
interface LexiconWord {
  /** The terms that start with it. */
  terms: CompiledTerm[];
  /** The phrase rules it is a cue of (bit r: rules[r]). */
  cues: number;
  /** The domain of the medium it names ("photo", "watercolor"), if it names one. */
  medium: Domain | undefined;
}

// Compiled once at import into an index by word, so matching costs one lookup per word of the
// prompt rather than one search per lexicon term.
const lexiconWords = new Map<string, LexiconWord>();
const entryFor = (word: string): LexiconWord => {
  let entry = lexiconWords.get(word);
  if (!entry) {
    entry = { terms: [], cues: 0, medium: undefined };
    lexiconWords.set(word, entry);
  }
  return entry;
};
let termCount = 0;
const addTerms = (
  weighted: Weighted,
  target: Pick<CompiledTerm, "domain" | "label" | "supports">,
) => {
  for (const [term, weight] of Object.entries(weighted)) {
    const words = normalizeText(term).split(" ");
    const [first] = words;
    if (!first) continue;
    entryFor(first).terms.push({ words, term, weight, index: termCount++, ...target });
  }
};
for (const domain of DOMAINS) addTerms(DOMAIN_CUES[domain], { domain, supports: domain });
LABELS.forEach(({ domain, subcategory }, label) => {
  addTerms(SUBCATEGORY_TERMS[subcategory], { label, supports: `${domain}/${subcategory}` });
});

/** Every word the lexicon knows, for typo correction. */
export const LEXICON_WORDS: ReadonlySet<string> = new Set(
  [...lexiconWords.values()].flatMap(({ terms }) => terms.flatMap((t) => t.words)),
);

// The same tables as arrays by index (domains in DOMAINS order, labels in LABELS order).
const domainIndex = new Map(DOMAINS.map((d, i) => [d, i]));
const labelDomain = LABELS.map(({ domain }) => domainIndex.get(domain) as number);
const domainPrior = DOMAINS.map((d) => DOMAIN_PRIOR[d]);
const labelCount = LABELS.length;
const labelPrior = LABELS.map(({ subcategory }) => SUBCATEGORY_PRIOR[subcategory] ?? 0);
const rules = PHRASE_RULES.map((rule) => {
  const [strongest, weight] = Object.entries(rule.domains).sort((a, b) => b[1] - a[1])[0] ?? [
    "",
    0,
  ];
  return {
    pattern: rule.pattern,
    cues: rule.cues ?? cuesOf(rule.pattern),
    why: rule.why,
    strongest,
    weight,
    domains: (Object.entries(rule.domains) as [Domain, number][]).map(
      ([domain, w]) => [domainIndex.get(domain) as number, w] as const,
    ),
    // A rule's bonus for a subcategory counts for every label of that subcategory.
    labels: (Object.entries(rule.subcategories ?? {}) as [Subcategory, number][]).flatMap(
      ([sub, w]) => LABELS.flatMap((l, i) => (l.subcategory === sub ? [[i, w] as const] : [])),
    ),
  };
});

/**
 * The words one of which a rule's match must start with, where the pattern says so plainly:
 * it starts `\b(alternative|…)` or `\bword ` and every alternative is plain words. A rule none
 * of whose cues is among a prompt's words cannot match it and is not tried; one whose pattern
 * is not of that shape (undefined) is always tried.
 */
export function cuesOf(pattern: RegExp): string[] | undefined {
  // "A|B" matches where B does, whatever A starts with.
  if (hasTopLevelAlternative(pattern.source)) return undefined;
  const plain = /^[a-z0-9]+( [a-z0-9]+)*$/;
  // What follows the first word must end it: a space or \b that no quantifier makes optional
  // ("\b(shirt) ?mock" also matches "shirtmock").
  const group = /^\\b\(([^()]*)\)( |\\b)(?![?*+{])/.exec(pattern.source);
  if (group) {
    const alternatives = (group[1] as string).split("|");
    if (!alternatives.every((a) => plain.test(a))) return undefined;
    return alternatives.map((a) => a.split(" ")[0] as string);
  }
  const word = /^\\b([a-z0-9]+) (?![?*+{])/.exec(pattern.source);
  return word ? [word[1] as string] : undefined;
}

/** Whether a pattern's source has a "|" outside every group and character class. */
function hasTopLevelAlternative(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth === 0) return true;
  }
  return false;
}

/** seen[t.index] === stamp: term t was already matched in this prompt. */
const seen = new Uint32Array(termCount);
let stamp = 0;

/** What the lexicon finds in a prompt's words, in one pass over them. */
interface Reading {
  /** Each lexicon term found, once, in the order first found. */
  matched: CompiledTerm[];
  /** The rules (bit r: rules[r]) one of whose cues is among the words. */
  cued: number;
  /** Whether the words name media of two domains (a photo and a 3D render, say). */
  mixedMedia: boolean;
}

function read(words: readonly string[]): Reading {
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    seen.fill(0);
    stamp = 1;
  }
  const matched: CompiledTerm[] = [];
  let cued = 0;
  let medium: Domain | undefined;
  let mixedMedia = false;
  for (let at = 0; at < words.length; at++) {
    const entry = lexiconWords.get(words[at] as string);
    if (!entry) continue;
    cued |= entry.cues;
    if (entry.medium !== undefined) {
      if (medium === undefined) medium = entry.medium;
      else if (entry.medium !== medium) mixedMedia = true;
    }
    for (const t of entry.terms) {
      if (seen[t.index] === stamp) continue;
      let k = 1;
      while (k < t.words.length && words[at + k] === t.words[k]) k++;
      if (k < t.words.length) continue;
      seen[t.index] = stamp;
      matched.push(t);
    }
  }
  return { matched, cued, mixedMedia };
}

if (rules.length > 31) throw new Error("lexicon: more phrase rules than cue bits");
rules.forEach(({ cues, why }, r) => {
  // An empty list would keep the rule from ever being tried.
  if (cues?.length === 0) throw new Error(`lexicon: "${why}" lists no cues`);
  for (const cue of cues ?? []) entryFor(cue).cues |= 1 << r;
});
for (const [word, domain] of MEDIUM_DOMAIN) entryFor(word).medium = domain;

/**
 * Per-label evidence score (LABELS order) from the hand-written lexicon and phrase rules, and
 * whether the prompt names media of two domains. `words` are the prompt's normalised words.
 */
export function lexiconScores(words: readonly string[]): {
  scores: number[];
  evidence: Evidence[];
  mixedMedia: boolean;
} {
  const { matched, cued, mixedMedia } = read(words);
  let normalized: string | undefined;
  const evidence: Evidence[] = [];

  const domainScore = domainPrior.slice();
  for (const t of matched) {
    if (t.domain) {
      const d = domainIndex.get(t.domain) as number;
      domainScore[d] = (domainScore[d] as number) + t.weight;
      evidence.push({ matched: t.term, supports: t.supports, weight: t.weight });
    }
  }

  const ruleBonus = new Array<number>(labelCount).fill(0);
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r] as (typeof rules)[number];
    if (rule.cues && (cued & (1 << r)) === 0) continue;
    normalized ??= words.join(" ");
    if (!rule.pattern.test(normalized)) continue;
    for (const [d, weight] of rule.domains) domainScore[d] = (domainScore[d] as number) + weight;
    for (const [i, weight] of rule.labels) ruleBonus[i] = (ruleBonus[i] as number) + weight;
    evidence.push({ matched: rule.why, supports: rule.strongest, weight: rule.weight });
  }

  const scores = new Array<number>(labelCount);
  for (let i = 0; i < scores.length; i++) {
    scores[i] =
      (domainScore[labelDomain[i] as number] as number) +
      (labelPrior[i] as number) +
      (ruleBonus[i] as number);
  }
  for (const t of matched) {
    if (t.label === undefined) continue;
    scores[t.label] = (scores[t.label] as number) + t.weight;
    evidence.push({ matched: t.term, supports: t.supports, weight: t.weight });
  }
  return { scores, evidence, mixedMedia };
}
