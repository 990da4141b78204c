/**
 * A function of one word, kept for the words seen before. Prompts draw on a small vocabulary,
 * so a running service works each word out about once, as tokenizers (tiktoken, Hugging Face)
 * keep a word's tokens. Bounded: once `limit` words are kept it starts again empty, and words
 * longer than `longest` are never kept, so a flood of unique strings cannot grow it past the
 * limit. The value must depend on the word alone.
 */
export function wordMemo<V>(
  compute: (word: string) => V,
  { limit = 50_000, longest = 32 } = {},
): (word: string) => V {
  const kept = new Map<string, V>();
  return (word) => {
    const value = kept.get(word);
    if (value !== undefined) return value;
    const computed = compute(word);
    if (word.length > longest || computed === undefined) return computed;
    if (kept.size >= limit) kept.clear();
    kept.set(word, computed);
    return computed;
  };
}
