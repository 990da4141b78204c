import { isLabel } from "@nanobanana/domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import englishWords from "./english-words.json" with { type: "json" };
import {
  CLASSIFIER_SETTINGS,
  classifyPrompt,
  compileModel,
  evaluate,
  naiveBayesScores,
  readCorpus,
  trainNaiveBayes,
} from "./index.ts";
import trainedModel from "./model.generated.json" with { type: "json" };
import { featuresOf } from "./naive-bayes.ts";
import { normalizeText } from "./normalize.ts";
import { typoCorrector } from "./typos.ts";

describe("classifyPrompt", () => {
  it.each([
    ["wireless headphones on a desk", "products", "ecommerce"],
    ["Wireless headphones", "products", "ecommerce"],
    ["headshot of a CEO, studio lighting", "photography", "portrait"],
    ["a violinist on stage", "photography", "portrait"],
    ["an old fisherman mending nets", "photography", "portrait"],
    ["sunset over snowy mountains and a lake", "photography", "landscape"],
    ["macro shot of a bee covered in pollen", "photography", "macro"],
    ["product photography of a perfume bottle, still life", "photography", "product"],
    ["system architecture for a microservices app on kubernetes", "diagrams", "architecture"],
    ["flowchart of the user onboarding process", "diagrams", "flowchart"],
    ["login screen wireframe for a mobile app", "diagrams", "wireframe"],
    ["exploded view of a gearbox", "diagrams", "technical"],
    ["Impressionist garden in the style of Monet", "art", "painting"],
    ["a portrait painted in oil", "art", "painting"],
    ["pixel art of a knight fighting a dragon", "art", "digital_art"],
    ["low poly 3d render of an island", "art", "3d_render"],
    ["abstract geometric shapes in bold colours", "art", "abstract"],
    ["3D render of a sneaker for our shop", "products", "ecommerce"],
    ["woman drinking coffee in a cozy kitchen holding a mug", "products", "lifestyle"],
    ["flat lay of skincare products for a magazine feature", "products", "editorial"],
    ["billboard ad for a new energy drink", "products", "advertising"],
  ])("%s → %s/%s", (prompt, domain, subcategory) => {
    const result = classifyPrompt(prompt);
    expect({ domain: result.domain, subcategory: result.subcategory }).toEqual({
      domain,
      subcategory,
    });
  });

  it("uses negative evidence: a painting of a person is art, a photo of one is photography", () => {
    expect(classifyPrompt("painting of an old fisherman").domain).toBe("art");
    expect(classifyPrompt("photo of an old fisherman").domain).toBe("photography");
  });

  it("does not read 'style' as a diagram cue", () => {
    expect(classifyPrompt("a garden in impressionist style").domain).not.toBe("diagrams");
  });

  it("ignores case, accents and plurals", () => {
    const a = classifyPrompt("WIRELESS HEADPHONES");
    const b = classifyPrompt("wireless headphone");
    expect([a.domain, a.subcategory]).toEqual([b.domain, b.subcategory]);
    expect(classifyPrompt("Café scene PAINTING of crêpes").domain).toBe("art");
  });

  it("is unsure when there is no evidence, and sure when there is", () => {
    expect(classifyPrompt("something").confidence).toBeLessThan(
      CLASSIFIER_SETTINGS.subcategoryThreshold,
    );
    expect(classifyPrompt("flowchart of an approval workflow").confidence).toBeGreaterThan(0.8);
  });

  it("reports the evidence it used", () => {
    expect(classifyPrompt("macro shot of a bee").evidence).toContainEqual({
      matched: "macro",
      supports: "photography/macro",
      weight: 4,
    });
  });

  it("gives any prompt a valid label, a confidence in (0,1] and domain scores that sum to 1", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (prompt) => {
        const result = classifyPrompt(prompt);
        expect(isLabel(result.domain, result.subcategory)).toBe(true);
        expect(result.confidence).toBeGreaterThan(0);
        expect(result.confidence).toBeLessThanOrEqual(1);
        const sum = Object.values(result.scores).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 2);
      }),
    );
  });

  it("reads typos of known words", () => {
    const result = classifyPrompt("wirelss headphnoes");
    expect([result.domain, result.subcategory]).toEqual(["products", "ecommerce"]);
    expect(result.corrections).toContainEqual({ from: "headphnoe", to: "headphone" });
  });

  it.each([
    "stage",
    "state",
    "lines",
    "trail",
    "plane",
    "cover",
    "knight",
    "fighting",
    "grass",
    "ballet",
    "latte",
    "expressionism",
  ])("never corrects the English word %s", (word) => {
    expect(classifyPrompt(`a violinist on ${word}`).corrections).toEqual([]);
  });

  it("does not read 'stage' as a typo of 'state' (red-team report)", () => {
    const result = classifyPrompt("a violinist on stage");
    expect(result.corrections).toEqual([]);
    expect([result.domain, result.subcategory]).toEqual(["photography", "portrait"]);
  });

  it("still repairs genuine typos", () => {
    expect(classifyPrompt("diagam of a login flowchrat").corrections).toEqual([
      { from: "diagam", to: "diagram" },
      { from: "flowchrat", to: "flowchart" },
    ]);
    // One edit from "portrait" and from the German "portrat": the English word wins.
    const portrait = classifyPrompt("portriat of a baker");
    expect(portrait.corrections).toEqual([{ from: "portriat", to: "portrait" }]);
    expect(portrait.subcategory).toBe("portrait");
  });

  it("never corrects any word of its English word list", () => {
    const words = englishWords.words.split(" ");
    expect(words.length).toBeGreaterThan(40_000);
    // The list is checked after normalising, so it holds words the normaliser leaves alone.
    expect(words.filter((w) => normalizeText(w) !== w)).toEqual([]);
    expect(classifyPrompt(englishWords.words).corrections).toEqual([]);
  });

  it("reads Spanish, German, French and Portuguese", () => {
    const label = (p: string) => {
      const r = classifyPrompt(p);
      return `${r.domain}/${r.subcategory}`;
    };
    expect(label("diagrama de flujo del proceso de ventas")).toBe("diagrams/flowchart");
    expect(label("Aquarell eines Leuchtturms")).toBe("art/painting");
    expect(label("paysage de montagne en hiver")).toBe("photography/landscape");
    expect(label("anúncio de um perfume para o instagram")).toBe("products/advertising");
  });

  it("lists the best alternatives, most likely first, the chosen label included", () => {
    const result = classifyPrompt("sequence diagram of a login");
    expect(result.alternatives).toHaveLength(3);
    expect(result.alternatives[0]).toMatchObject({
      domain: result.domain,
      subcategory: result.subcategory,
      score: result.confidence,
    });
    const scores = result.alternatives.map((a) => a.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("says how specific a template may be: unsure prompts are not given a specific one", () => {
    expect(classifyPrompt("something nice").certainty).not.toBe("subcategory");
    expect(classifyPrompt("flowchart of an approval workflow").certainty).toBe("subcategory");
    const vague = classifyPrompt("a photo of something");
    expect(vague.domain).toBe("photography");
    expect(vague.confidence).toBeLessThan(CLASSIFIER_SETTINGS.subcategoryThreshold);
    expect(vague.certainty).toBe("domain");
  });
});

describe("classifyPrompt's whole answer", () => {
  // What the API returns for these prompts, to the last digit: confidence, the domain scores,
  // the alternatives and the order of the evidence (equal weights stay in the order found).
  // Update them when the model or the lexicon changes on purpose, not for a refactoring.
  it.each([
    [
      "wireless headphones on a desk",
      {
        domain: "products",
        subcategory: "ecommerce",
        confidence: 0.974,
        scores: { photography: 0.005, diagrams: 0.002, art: 0.005, products: 0.988 },
        alternatives: [
          { domain: "products", subcategory: "ecommerce", score: 0.974 },
          { domain: "products", subcategory: "lifestyle", score: 0.01 },
          { domain: "products", subcategory: "advertising", score: 0.003 },
        ],
        evidence: [
          { matched: "headphone", supports: "products/ecommerce", weight: 1.5 },
          { matched: "wireless", supports: "products/ecommerce", weight: 1 },
          { matched: "desk", supports: "products/lifestyle", weight: 0.5 },
        ],
        corrections: [],
        certainty: "subcategory",
      },
    ],
    [
      "diagam of a login flowchrat",
      {
        domain: "diagrams",
        subcategory: "flowchart",
        confidence: 1,
        scores: { photography: 0, diagrams: 1, art: 0, products: 0 },
        alternatives: [
          { domain: "diagrams", subcategory: "flowchart", score: 1 },
          { domain: "diagrams", subcategory: "technical", score: 0 },
          { domain: "diagrams", subcategory: "architecture", score: 0 },
        ],
        evidence: [
          { matched: "flowchart", supports: "diagrams/flowchart", weight: 4 },
          { matched: "diagram", supports: "diagrams", weight: 3 },
          { matched: "a diagram of something is a diagram", supports: "diagrams", weight: 3 },
        ],
        corrections: [
          { from: "diagam", to: "diagram" },
          { from: "flowchrat", to: "flowchart" },
        ],
        certainty: "subcategory",
      },
    ],
    [
      "Café scene PAINTING of crêpes",
      {
        domain: "art",
        subcategory: "painting",
        confidence: 0.964,
        scores: { photography: 0, diagrams: 0, art: 1, products: 0 },
        alternatives: [
          { domain: "art", subcategory: "painting", score: 0.964 },
          { domain: "art", subcategory: "digital_art", score: 0.015 },
          { domain: "art", subcategory: "abstract", score: 0.012 },
        ],
        evidence: [
          {
            matched: "a painting/illustration of something is art, whatever the subject",
            supports: "art",
            weight: 3,
          },
          { matched: "painting", supports: "art", weight: 2.5 },
          { matched: "painting", supports: "art/painting", weight: 2 },
          { matched: "cafe", supports: "products/lifestyle", weight: 1.5 },
        ],
        corrections: [],
        certainty: "subcategory",
      },
    ],
    [
      "",
      {
        domain: "photography",
        subcategory: "landscape",
        confidence: 0.095,
        scores: { photography: 0.305, diagrams: 0.194, art: 0.226, products: 0.275 },
        alternatives: [
          { domain: "photography", subcategory: "landscape", score: 0.095 },
          { domain: "products", subcategory: "ecommerce", score: 0.095 },
          { domain: "art", subcategory: "digital_art", score: 0.07 },
        ],
        evidence: [],
        corrections: [],
        certainty: "none",
      },
    ],
    [
      "🙂🎨!!",
      {
        domain: "photography",
        subcategory: "landscape",
        confidence: 0.095,
        scores: { photography: 0.305, diagrams: 0.194, art: 0.226, products: 0.275 },
        alternatives: [
          { domain: "photography", subcategory: "landscape", score: 0.095 },
          { domain: "products", subcategory: "ecommerce", score: 0.095 },
          { domain: "art", subcategory: "digital_art", score: 0.07 },
        ],
        evidence: [],
        corrections: [],
        certainty: "none",
      },
    ],
    [
      "a violinist on stage",
      {
        domain: "photography",
        subcategory: "portrait",
        confidence: 0.626,
        scores: { photography: 0.703, diagrams: 0.036, art: 0.098, products: 0.164 },
        alternatives: [
          { domain: "photography", subcategory: "portrait", score: 0.626 },
          { domain: "products", subcategory: "ecommerce", score: 0.063 },
          { domain: "art", subcategory: "painting", score: 0.061 },
        ],
        evidence: [{ matched: "violinist", supports: "photography/portrait", weight: 2 }],
        corrections: [],
        certainty: "subcategory",
      },
    ],
    [
      "candid photo of a grandmother laughing at the dinner table",
      {
        domain: "photography",
        subcategory: "portrait",
        confidence: 0.939,
        scores: { photography: 1, diagrams: 0, art: 0, products: 0 },
        alternatives: [
          { domain: "photography", subcategory: "portrait", score: 0.939 },
          { domain: "photography", subcategory: "landscape", score: 0.026 },
          { domain: "photography", subcategory: "product", score: 0.02 },
        ],
        evidence: [
          { matched: "photo", supports: "photography", weight: 2 },
          {
            matched: "a photo of something is photography unless a commercial use says otherwise",
            supports: "photography",
            weight: 2,
          },
          { matched: "candid", supports: "photography", weight: 1.5 },
          { matched: "grandmother", supports: "photography/portrait", weight: 1.5 },
        ],
        corrections: [],
        certainty: "subcategory",
      },
    ],
  ])("%j", (prompt, expected) => {
    expect(classifyPrompt(prompt)).toEqual(expected);
  });

  it("answers the same for the same prompt, whatever was classified in between", () => {
    const first = classifyPrompt("macro shot of a bee covered in pollen");
    classifyPrompt("diagam of a login flowchrat ".repeat(50));
    classifyPrompt("Straße 🙂 ﬁnancial chart");
    expect(classifyPrompt("macro shot of a bee covered in pollen")).toEqual(first);
  });
});

describe("normalizeText", () => {
  it.each([
    ["Wireless HEADPHONES!", "wireless headphone"],
    ["Straße in München", "strasse in munchen"],
    ["ﬁnancial ＣＨＡＲＴ, x²", "financial chart x2"],
    ["cities lamps status physics analysis dies bus", "city lamp status physics analysis die bus"],
    ["  --- 🙂 ...  ", ""],
  ])("%j → %j", (text, normalized) => {
    expect(normalizeText(text)).toBe(normalized);
  });
});

describe("naiveBayesScores", () => {
  it("is the mean log-probability of the prompt's distinct known features, plus the base", () => {
    const model = compileModel(trainedModel);
    const prompts = [
      ...readCorpus("test").map((e) => normalizeText(e.prompt)),
      "a a a photo photo of of a a",
      "",
      "Not_Normalised text, with 🙂",
    ];
    for (const normalized of prompts) {
      const known = featuresOf(normalized).flatMap((f) => model.features.get(f) ?? []);
      const sums = model.base.map(() => 0);
      for (const { labels, extra } of known) {
        labels.forEach((label, i) => {
          sums[label] = (sums[label] as number) + (extra[i] as number);
        });
      }
      const expected = sums.map((sum, label) =>
        known.length === 0 ? 0 : sum / known.length + (model.base[label] as number),
      );
      expect(naiveBayesScores(model, normalized)).toEqual(expected);
    }
  });
});

describe("typoCorrector", () => {
  it("corrects a word one edit from the one known word it could be", () => {
    const corrector = typoCorrector(["state", "diagram"]);
    expect(corrector.correct("stete")).toBe("state");
    expect(corrector.correct("diagarm")).toBe("diagram");
    expect(corrector.correct("diagram")).toBeUndefined();
    expect(corrector.correct("stat")).toBeUndefined(); // too short to guess
  });

  it("leaves a correctly spelt word alone, and prefers the only English candidate", () => {
    const corrector = typoCorrector(["state", "portrait", "portrat"], ["stage", "portrait"]);
    expect(corrector.correct("stage")).toBeUndefined();
    expect(corrector.correct("portriat")).toBe("portrait");
    // Two English candidates: a guess, so none is made.
    expect(typoCorrector(["paint", "pain"], ["paint", "pain"]).correct("paine")).toBeUndefined();
  });
});

describe("the classifier against its corpus", () => {
  it("meets the goal on the held-out test split: ≥95% domain, ≥85% subcategory", () => {
    const report = evaluate(readCorpus("test"), (prompt) => classifyPrompt(prompt));
    expect(report.n).toBeGreaterThanOrEqual(150);
    expect(report.domainAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.subcategoryAccuracy).toBeGreaterThanOrEqual(0.85);
  });

  it("has at least 600 labelled prompts covering all 16 subcategories in both splits", () => {
    const train = readCorpus("train");
    const test = readCorpus("test");
    expect(train.length + test.length).toBeGreaterThanOrEqual(600);
    const covered = (split: typeof train) =>
      new Set(split.map((e) => `${e.labels[0]?.domain}/${e.labels[0]?.subcategory}`)).size;
    expect(covered(train)).toBe(16);
    expect(covered(test)).toBe(16);
    const trainPrompts = new Set(train.map((e) => e.prompt.toLowerCase()));
    expect(test.filter((e) => trainPrompts.has(e.prompt.toLowerCase()))).toEqual([]);
  });

  it("ships the model trained on the current training split (run npm run train:classifier)", () => {
    expect(JSON.parse(JSON.stringify(trainNaiveBayes(readCorpus("train"))))).toEqual(trainedModel);
  });
});
