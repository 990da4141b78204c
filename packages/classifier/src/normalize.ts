/**
 * Lowercase, strip accents and punctuation, singularise simple plurals. Applied to the
 * prompt and to every lexicon term, so both sides meet in the same form.
 */
export function normalizeText(text: string): string {
  return normalizedWords(text).join(" ");
}

/**
 * The words of `normalizeText(text)`, unjoined: the runs of [a-z0-9] left once the text is
 * folded, each singularised. The classifier reads these directly, without a string to split.
 */
export function normalizedWords(text: string, ascii = isAscii(text)): string[] {
  const folded = ascii ? text.toLowerCase() : foldUnicode(text);
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= folded.length; i++) {
    const c = i < folded.length ? folded.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words.push(singular(folded.slice(start, i)));
      start = -1;
    }
  }
  return words;
}

// ASCII text needs none of the Unicode steps: no ß, and NFKD leaves it as it is.
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

// ß, Polish ł and Turkish dotless ı have no decomposition for NFKD to strip: folded by hand, so
// "układ" and "akış" stay one word ("uklad", "akis") instead of splitting at the letter.
const foldUnicode = (text: string): string =>
  text
    .replace(/ß/g, "ss")
    .replace(/[łŁ]/g, "l")
    .replace(/ı/g, "i")
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();

const S = "s".charCodeAt(0);
const U = "u".charCodeAt(0);
const I = "i".charCodeAt(0);
const C = "c".charCodeAt(0);
const E = "e".charCodeAt(0);
const fromEnd = (word: string, n: number) => word.charCodeAt(word.length - n);

/** "cities" → "city", "lamps" → "lamp"; words of 3 letters or fewer and -ss, -us, -is, -ics stay. */
function singular(word: string): string {
  if (word.length <= 3 || fromEnd(word, 1) !== S) return word;
  const before = fromEnd(word, 2);
  if (before === S || before === U || before === I || (before === C && fromEnd(word, 3) === I)) {
    return word;
  }
  // -ies in a word of 5+ letters: "cities" → "city" (but "dies" → "die")
  if (before === E && fromEnd(word, 3) === I && word.length > 4) return `${word.slice(0, -3)}y`;
  return word.slice(0, -1);
}
