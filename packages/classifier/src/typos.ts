import { wordMemo } from "./word-memo.ts";

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
  // Keyed by a hash of the key, so a prompt's word is looked up without building its
  // deletions; a hash shared by two keys only adds candidates that withinOneEdit then rejects.
  const index = new Map<number, string[]>();
  const add = (hash: number, word: string) => {
    const list = index.get(hash);
    if (!list) index.set(hash, [word]);
    else if (!list.includes(word)) list.push(word);
  };
  for (const word of known) {
    if (word.length < MIN_LENGTH - 1 || /\d/.test(word)) continue;
    for (let skip = -1; skip < word.length; skip++) add(hashWithout(word, skip), word);
  }
  // "" for no correction, so the memo keeps the many words that have none. Words shorter than
  // MIN_LENGTH never reach it (correct, below).
  const correction = wordMemo((word: string): string => {
    if (known.has(word) || spelt.has(word)) return "";
    // Every known word within one edit: the word itself as a key, and each of its deletions.
    let candidates: string[] | undefined;
    for (let skip = -1; skip < word.length; skip++) {
      for (const c of index.get(hashWithout(word, skip)) ?? NONE) {
        if (candidates?.includes(c) || !withinOneEdit(word, c)) continue;
        if (candidates) candidates.push(c);
        else candidates = [c];
      }
    }
    if (!candidates) return "";
    if (candidates.length === 1) return candidates[0] as string;
    // Several known words fit ("portriat": "portrait", or the German "portrat"): an
    // English one wins if it is the only one; otherwise it is a guess, and none is made.
    let english: string | undefined;
    let englishCount = 0;
    for (const c of candidates) {
      if (!spelt.has(c)) continue;
      english = c;
      englishCount++;
    }
    return englishCount === 1 ? (english as string) : "";
  });
  return {
    correct: (word) => (word.length < MIN_LENGTH ? undefined : correction(word) || undefined),
  };
}

const NONE: readonly string[] = [];

/** FNV-1a of the word without its character at `skip` (-1: the whole word). */
function hashWithout(word: string, skip: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    if (i === skip) continue;
    hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193);
  }
  return hash;
}

function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (sameFrom(a, i + 1, b, i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && sameFrom(a, i + 2, b, i + 2); // swap
  }
  return a.length > b.length ? sameFrom(a, i + 1, b, i) : sameFrom(a, i, b, i + 1);
}

/** a.slice(i) === b.slice(j), without making the slices. */
function sameFrom(a: string, i: number, b: string, j: number): boolean {
  const from = Math.min(i, a.length);
  const to = Math.min(j, b.length);
  if (a.length - from !== b.length - to) return false;
  for (let k = 0; from + k < a.length; k++) {
    if (a.charCodeAt(from + k) !== b.charCodeAt(to + k)) return false;
  }
  return true;
}
