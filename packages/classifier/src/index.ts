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

export { normalizeText } from "./normalize.ts";

export interface Classification {
  domain: Domain;
  subcategory: Subcategory;
  /** Probability of the chosen label among all 16 (softmax of the evidence). */
  confidence: number;
  /** Probability per domain; sums to 1. */
  scores: Record<Domain, number>;
  /** The terms and rules that moved the decision, strongest first. */
  evidence: string[];
}

interface CompiledTerm {
  needle: string;
  term: string;
  weight: number;
}

const compile = (weighted: Weighted): CompiledTerm[] =>
  Object.entries(weighted).map(([term, weight]) => ({
    needle: ` ${normalizeText(term)} `,
    term,
    weight,
  }));

// Compiled once at import: matching is then plain substring search on a padded string.
const domainCues = DOMAINS.map((domain) => ({ domain, terms: compile(DOMAIN_CUES[domain]) }));
const subcategoryTerms = LABELS.map((label) => ({
  ...label,
  terms: compile(SUBCATEGORY_TERMS[label.subcategory]),
}));

// Softmax sharpness: one decisive term (weight 3) alone gives roughly 0.6 confidence.
const SHARPNESS = 1.5;

export function classifyPrompt(prompt: string): Classification {
  const normalized = normalizeText(prompt);
  const padded = ` ${normalized} `;
  const evidence: Array<{ what: string; weight: number }> = [];

  const domainScore = { ...DOMAIN_PRIOR };
  for (const { domain, terms } of domainCues) {
    for (const t of terms) {
      if (padded.includes(t.needle)) {
        domainScore[domain] += t.weight;
        evidence.push({ what: `${t.term} → ${domain}`, weight: t.weight });
      }
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
    evidence.push({ what: rule.why, weight: Math.max(...Object.values(rule.domains)) });
  }

  const labelScores = subcategoryTerms.map(({ domain, subcategory, terms }) => {
    let score =
      domainScore[domain] + (SUBCATEGORY_PRIOR[subcategory] ?? 0) + (ruleBonus[subcategory] ?? 0);
    for (const t of terms) {
      if (padded.includes(t.needle)) {
        score += t.weight;
        evidence.push({ what: `${t.term} → ${domain}/${subcategory}`, weight: t.weight });
      }
    }
    return { domain, subcategory, score };
  });

  const max = Math.max(...labelScores.map((l) => l.score));
  const exps = labelScores.map((l) => Math.exp(SHARPNESS * (l.score - max)));
  const total = exps.reduce((a, b) => a + b, 0);

  let best = 0;
  for (let i = 1; i < labelScores.length; i++) {
    if ((labelScores[i]?.score ?? -Infinity) > (labelScores[best]?.score ?? -Infinity)) best = i;
  }
  const scores = Object.fromEntries(DOMAINS.map((d) => [d, 0])) as Record<Domain, number>;
  labelScores.forEach((l, i) => {
    scores[l.domain] += (exps[i] ?? 0) / total;
  });
  const winner = labelScores[best] ?? { domain: "photography", subcategory: "landscape" };

  return {
    domain: winner.domain,
    subcategory: winner.subcategory,
    confidence: round((exps[best] ?? 0) / total),
    scores: Object.fromEntries(DOMAINS.map((d) => [d, round(scores[d])])) as Record<Domain, number>,
    evidence: evidence.sort((a, b) => b.weight - a.weight).map((e) => e.what),
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
