/**
 * Typo repair against a known vocabulary: a word the vocabulary lacks is replaced by the one
 * known word within a single edit (insert, delete, substitute or swap two neighbours).
 * Only words of 5+ letters are touched; shorter ones have too many neighbours to guess.
 * A correctly spelt word is never a typo, even one edit from a known word ("stage" is not
 * "state", "knight" is not "night"): `words` lists such words beyond the vocabulary.
 */
export interface TypoCorrector {
  correct(word: string): string | undefined;
}

const MIN_LENGTH = 5;

const deletions = (word: string): string[] =>
  Array.from({ length: word.length }, (_, i) => word.slice(0, i) + word.slice(i + 1));

/**
 * @param vocabulary the words a typo may be corrected to (what the classifier has evidence for)
 * @param words other correctly spelt words: never corrected, and never a correction
 */
export function typoCorrector(
  vocabulary: Iterable<string>,
  words: Iterable<string> = [],
): TypoCorrector {
  const known = new Set(vocabulary);
  const spelt = new Set(words);
  // Symmetric-delete index: a word and each of its one-letter deletions → the known words.
  const index = new Map<string, Set<string>>();
  const add = (key: string, word: string) => {
    const set = index.get(key) ?? new Set<string>();
    set.add(word);
    index.set(key, set);
  };
  for (const word of known) {
    if (word.length < MIN_LENGTH - 1 || /\d/.test(word)) continue;
    add(word, word);
    for (const d of deletions(word)) add(d, word);
  }
  return {
    correct(word) {
      if (word.length < MIN_LENGTH || known.has(word) || spelt.has(word)) return undefined;
      const candidates = new Set<string>();
      for (const key of [word, ...deletions(word)]) {
        for (const c of index.get(key) ?? []) if (withinOneEdit(word, c)) candidates.add(c);
      }
      if (candidates.size === 1) return [...candidates][0];
      // Several known words fit ("portriat": "portrait", or the German "portrat"): an
      // English one wins if it is the only one; otherwise it is a guess, and none is made.
      const english = [...candidates].filter((c) => spelt.has(c));
      return english.length === 1 ? english[0] : undefined;
    },
  };
}

function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
