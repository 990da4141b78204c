/**
 * `npm run train:classifier`: fits the naive-Bayes half of the classifier on the training
 * split and writes packages/classifier/src/model.generated.json. Run it after editing
 * corpus/train.tsv; a unit test fails while the committed model is stale.
 */
import { writeFileSync } from "node:fs";
import { readCorpus, trainNaiveBayes } from "@nanobanana/classifier";

const model = trainNaiveBayes(readCorpus("train"));
const path = new URL("../packages/classifier/src/model.generated.json", import.meta.url);
writeFileSync(path, `${JSON.stringify(model)}\n`);
console.log(`wrote ${path.pathname}: ${Object.keys(model.counts).length} features`);
