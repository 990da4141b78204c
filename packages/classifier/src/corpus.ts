import { readdirSync, readFileSync } from "node:fs";
import { isLabel, type Label } from "@nanobanana/domain";

/** One labelled prompt; `labels` lists every answer a person would accept, best first. */
export interface LabelledPrompt {
  prompt: string;
  labels: Label[];
}

export type CorpusSplit = "train" | "test";

/** Parses the corpus format: `domain/subcategory[|domain/subcategory…]<TAB>prompt`, `#` comments. */
export function parseCorpus(text: string): LabelledPrompt[] {
  return text.split("\n").flatMap((line, index) => {
    if (line.trim() === "" || line.startsWith("#")) return [];
    const [labelText, prompt, extra] = line.split("\t");
    if (!labelText || !prompt || extra !== undefined) {
      throw new Error(`corpus line ${index + 1}: expected "labels<TAB>prompt"`);
    }
    const labels = labelText.split("|").map((pair) => {
      const [domain = "", subcategory = ""] = pair.split("/");
      if (!isLabel(domain, subcategory)) {
        throw new Error(`corpus line ${index + 1}: unknown label "${pair}"`);
      }
      return { domain, subcategory } as Label;
    });
    return [{ prompt, labels }];
  });
}

/** Reads a split from packages/classifier/corpus (scripts and tests only; the service never does). */
export function readCorpus(split: CorpusSplit): LabelledPrompt[] {
  const url = new URL(`../corpus/${split}.tsv`, import.meta.url);
  return parseCorpus(readFileSync(url, "utf8"));
}

/**
 * The independent check set (corpus/check): written by another hand, after the model, for
 * checking only; no model is trained and nothing is tuned on it.
 */
export function readCheckSet(): LabelledPrompt[] {
  const url = new URL("../corpus/check/independent-2026-11-26.tsv", import.meta.url);
  return parseCorpus(readFileSync(url, "utf8"));
}

/**
 * Every labelled prompt by the group it was written in: `seed` (the first corpus, train and
 * test splits, one author) and each file of corpus/groups (a register or a language, each
 * written apart from the seed). Groups, not prompts, are what a test holds out.
 */
export function readCorpusGroups(): Map<string, LabelledPrompt[]> {
  const groups = new Map<string, LabelledPrompt[]>([
    ["seed", [...readCorpus("train"), ...readCorpus("test")]],
  ]);
  const dir = new URL("../corpus/groups/", import.meta.url);
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith(".tsv")) continue;
    groups.set(file.slice(0, -4), parseCorpus(readFileSync(new URL(file, dir), "utf8")));
  }
  return groups;
}
