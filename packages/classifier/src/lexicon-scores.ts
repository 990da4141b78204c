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
}

// Compiled once at import into an index by first word, so matching costs one lookup per
// word of the prompt rather than one search per lexicon term.
const termsByFirstWord = new Map<string, CompiledTerm[]>();
const addTerms = (weighted: Weighted, target: Pick<CompiledTerm, "domain" | "label">) => {
  for (const [term, weight] of Object.entries(weighted)) {
    const words = normalizeText(term).split(" ");
    const [first] = words;
    if (!first) continue;
    const list = termsByFirstWord.get(first) ?? [];
    list.push({ words, term, weight, ...target });
    termsByFirstWord.set(first, list);
  }
};
for (const domain of DOMAINS) addTerms(DOMAIN_CUES[domain], { domain });
LABELS.forEach(({ subcategory }, label) => {
  addTerms(SUBCATEGORY_TERMS[subcategory], { label });
});

/** Every word the lexicon knows, for typo correction. */
export const LEXICON_WORDS: ReadonlySet<string> = new Set(
  [...termsByFirstWord.values()].flatMap((terms) => terms.flatMap((t) => t.words)),
);

/** Each lexicon term found in the prompt's words, once. */
function matchTerms(words: readonly string[]): CompiledTerm[] {
  const found = new Set<CompiledTerm>();
  words.forEach((word, at) => {
    for (const t of termsByFirstWord.get(word) ?? []) {
      if (t.words.every((w, k) => words[at + k] === w)) found.add(t);
    }
  });
  return [...found];
}

/** Per-label evidence score (LABELS order) from the hand-written lexicon and phrase rules. */
export function lexiconScores(normalized: string): { scores: number[]; evidence: Evidence[] } {
  const matched = matchTerms(normalized.split(" "));
  const evidence: Evidence[] = [];

  const domainScore = { ...DOMAIN_PRIOR };
  for (const t of matched) {
    if (t.domain) {
      domainScore[t.domain] += t.weight;
      evidence.push({ matched: t.term, supports: t.domain, weight: t.weight });
    }
  }

  const ruleBonus: Partial<Record<Subcategory, number>> = {};
  for (const rule of PHRASE_RULES) {
    if (!rule.pattern.test(normalized)) continue;
    for (const [domain, weight] of Object.entries(rule.domains) as [Domain, number][]) {
      domainScore[domain] += weight;
    }
    for (const [sub, weight] of Object.entries(rule.subcategories ?? {}) as [
      Subcategory,
      number,
    ][]) {
      ruleBonus[sub] = (ruleBonus[sub] ?? 0) + weight;
    }
    const [strongest, weight] = Object.entries(rule.domains).sort((a, b) => b[1] - a[1])[0] ?? [
      "",
      0,
    ];
    evidence.push({ matched: rule.why, supports: strongest, weight });
  }

  const scores = LABELS.map(
    ({ domain, subcategory }) =>
      domainScore[domain] + (SUBCATEGORY_PRIOR[subcategory] ?? 0) + (ruleBonus[subcategory] ?? 0),
  );
  for (const t of matched) {
    if (t.label === undefined) continue;
    scores[t.label] = (scores[t.label] ?? 0) + t.weight;
    const label = LABELS[t.label];
    if (label) {
      evidence.push({
        matched: t.term,
        supports: `${label.domain}/${label.subcategory}`,
        weight: t.weight,
      });
    }
  }
  return { scores, evidence };
}
