import { DOMAINS, type Domain, LABELS, type Subcategory } from "@nanobanana/domain";
import {
  DOMAIN_CUES,
  DOMAIN_PRIOR,
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

// Compiled once at import into an index by first word, so matching costs one lookup per
// word of the prompt rather than one search per lexicon term.
const termsByFirstWord = new Map<string, CompiledTerm[]>();
let termCount = 0;
const addTerms = (
  weighted: Weighted,
  target: Pick<CompiledTerm, "domain" | "label" | "supports">,
) => {
  for (const [term, weight] of Object.entries(weighted)) {
    const words = normalizeText(term).split(" ");
    const [first] = words;
    if (!first) continue;
    const list = termsByFirstWord.get(first) ?? [];
    list.push({ words, term, weight, index: termCount++, ...target });
    termsByFirstWord.set(first, list);
  }
};
for (const domain of DOMAINS) addTerms(DOMAIN_CUES[domain], { domain, supports: domain });
LABELS.forEach(({ domain, subcategory }, label) => {
  addTerms(SUBCATEGORY_TERMS[subcategory], { label, supports: `${domain}/${subcategory}` });
});

/** Every word the lexicon knows, for typo correction. */
export const LEXICON_WORDS: ReadonlySet<string> = new Set(
  [...termsByFirstWord.values()].flatMap((terms) => terms.flatMap((t) => t.words)),
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

/** seen[t.index] === stamp: term t was already matched in this prompt. */
const seen = new Uint32Array(termCount);
let stamp = 0;

/** Each lexicon term found in the prompt's words, once, in the order first found. */
function matchTerms(words: readonly string[]): CompiledTerm[] {
  stamp = (stamp + 1) >>> 0;
  if (stamp === 0) {
    seen.fill(0);
    stamp = 1;
  }
  const found: CompiledTerm[] = [];
  for (let at = 0; at < words.length; at++) {
    const terms = termsByFirstWord.get(words[at] as string);
    if (!terms) continue;
    for (const t of terms) {
      if (seen[t.index] === stamp) continue;
      let k = 1;
      while (k < t.words.length && words[at + k] === t.words[k]) k++;
      if (k < t.words.length) continue;
      seen[t.index] = stamp;
      found.push(t);
    }
  }
  return found;
}

/**
 * Per-label evidence score (LABELS order) from the hand-written lexicon and phrase rules.
 * `words` are the prompt's normalised words and `normalized` the same joined by spaces.
 */
export function lexiconScores(
  words: readonly string[],
  normalized: string,
): { scores: number[]; evidence: Evidence[] } {
  const matched = matchTerms(words);
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
  for (const rule of rules) {
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
  return { scores, evidence };
}
