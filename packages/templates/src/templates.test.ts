import { ASPECT_RATIOS, LABELS, QUALITIES } from "@nanobanana/domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  enhancePrompt,
  mediumOf,
  STOCK_TEMPLATES,
  subjectOf,
  TEMPLATE_VARIANTS,
  variantFor,
  variantSeedFor,
} from "./index.ts";

const fifteenWords =
  "a pair of matte black wireless headphones resting on a walnut desk beside a laptop";
const label = { domain: "products", subcategory: "ecommerce" } as const;

describe("stock templates", () => {
  it("has 48 templates: every subcategory × every tier, each with its own clauses", () => {
    let count = 0;
    for (const { subcategory } of LABELS) {
      const template = STOCK_TEMPLATES[subcategory];
      expect(template.lead).toContain("{subject}");
      for (const quality of QUALITIES) {
        expect(template.tiers[quality].length).toBeGreaterThanOrEqual(3);
        count++;
      }
    }
    expect(count).toBe(48);
  });
});

describe("enhancePrompt", () => {
  it("turns a ~15-word prompt into a ~90-word standard specification", () => {
    const words = LABELS.map(
      (l) =>
        enhancePrompt(fifteenWords, { label: l, quality: "standard", aspectRatio: "1:1" }).words
          .out,
    );
    const mean = words.reduce((a, b) => a + b, 0) / words.length;
    expect(mean).toBeGreaterThan(75);
    expect(mean).toBeLessThan(110);
  });

  it("writes more for higher tiers", () => {
    for (const l of LABELS) {
      const [draft, standard, premium] = QUALITIES.map(
        (quality) => enhancePrompt(fifteenWords, { label: l, quality }).words.out,
      );
      expect(draft).toBeLessThan(standard ?? 0);
      expect(standard).toBeLessThan(premium ?? 0);
    }
  });

  it("uses the subcategory's craft words and names its template", () => {
    const portrait = enhancePrompt("a violinist", {
      label: { domain: "photography", subcategory: "portrait" },
      quality: "premium",
    });
    expect(portrait.enhancedPrompt).toMatch(/85mm/);
    expect(portrait.template).toMatchObject({ id: "photography.portrait.premium", version: 1 });
    const flow = enhancePrompt("password reset", {
      label: { domain: "diagrams", subcategory: "flowchart" },
      quality: "standard",
    });
    expect(flow.enhancedPrompt).toMatch(/decision/);
  });

  it("uses a user's own template instead of the stock one, subject still verbatim", () => {
    const custom = {
      id: "ecommerce.standard",
      version: 3,
      lead: "Acme catalogue photo of {subject}",
      clauses: ["on brand-yellow paper"],
    };
    const out = enhancePrompt("a red kettle", { label, quality: "standard", custom });
    expect(out.enhancedPrompt).toMatch(
      /^Acme catalogue photo of a red kettle\. On brand-yellow paper\. Avoid watermarks/,
    );
    expect(out.template).toMatchObject({ id: "custom:ecommerce.standard", version: 3 });
  });

  it("never doubles punctuation where a lead or clause already ends a sentence", () => {
    const custom = {
      id: "ecommerce.standard",
      version: 1,
      lead: "Acme catalogue photo of {subject} on a desk.",
      clauses: ["Dark slate background.", "make it pop!", "is the label sharp?", "soft light   "],
    };
    const out = enhancePrompt("a red kettle", { label, quality: "standard", custom });
    expect(out.enhancedPrompt).toBe(
      "Acme catalogue photo of a red kettle on a desk. Dark slate background. Make it pop! " +
        "Is the label sharp? Soft light. Avoid watermarks, logos, stray text, distorted " +
        "proportions and blurry details.",
    );
    // A prompt that ends its own sentence is not given a full stop after it.
    expect(
      enhancePrompt("is this the best kettle?", { label, quality: "draft" }).enhancedPrompt,
    ).toMatch(/^E-commerce product image of is this the best kettle\? [A-Z]/);
  });

  it("joins any lead and clauses into sentences without doubled stops or stray spaces", () => {
    const text = fc
      .tuple(
        fc.stringMatching(/^[a-z]{1,8}( [a-z]{1,8}){0,3}$/),
        fc.constantFrom("", ".", "!", "?", " ", "  ", ". ", "! ", "?  ", "…", '."'),
      )
      .map(([words, end]) => words + end);
    fc.assert(
      fc.property(
        text,
        fc.array(text, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...QUALITIES),
        (lead, clauses, quality) => {
          const custom = { id: "x", version: 1, lead: `Photo of {subject} ${lead}`, clauses };
          const { enhancedPrompt } = enhancePrompt("a kettle", { label, quality, custom });
          expect(enhancedPrompt).not.toMatch(/[.!?…]"?\s*[.!?]|\s\s|\s[.!?]|^\s|\s$/);
          expect(enhancedPrompt).toMatch(/[.!?…]"?$/);
        },
      ),
    );
  });

  it("states the aspect ratio when given", () => {
    expect(
      enhancePrompt("x", { label, quality: "draft", aspectRatio: "16:9" }).enhancedPrompt,
    ).toMatch(/16:9 frame/);
  });

  it("keeps $-patterns in a prompt literal", () => {
    expect(
      enhancePrompt("price tag $& and $1", { label, quality: "draft" }).enhancedPrompt,
    ).toContain("price tag $& and $1");
  });

  it("keeps the subject verbatim for any prompt, label, tier and ratio", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.constantFrom(...LABELS),
        fc.constantFrom(...QUALITIES),
        fc.constantFrom(...ASPECT_RATIOS),
        (prompt, l, quality, aspectRatio) => {
          const { enhancedPrompt } = enhancePrompt(prompt, { label: l, quality, aspectRatio });
          expect(enhancedPrompt).toContain(subjectOf(prompt));
          // subjectOf only folds whitespace and trailing full stops.
          expect(subjectOf(prompt).replace(/\s/g, "")).toBe(
            prompt.replace(/\s/g, "").replace(/\.+$/, ""),
          );
        },
      ),
    );
  });
});

describe("choosing a template", () => {
  const portrait = { domain: "photography", subcategory: "portrait" } as const;

  it("falls back to the domain's general template, or the general one, when the classifier is unsure", () => {
    const domainOnly = enhancePrompt("a photo of something", {
      label: portrait,
      quality: "standard",
      certainty: "domain",
    });
    expect(domainOnly.template.id).toBe("photography.general.standard");
    expect(domainOnly.enhancedPrompt).not.toMatch(/85mm|head-and-shoulders/);
    const none = enhancePrompt("something nice", {
      label: portrait,
      quality: "premium",
      certainty: "none",
    });
    expect(none.template.id).toBe("general.premium");
    expect(none.enhancedPrompt).toMatch(/^High-quality image of something nice\./);
  });

  it("uses a specialised template for sequence/UML diagrams and mixed media", () => {
    const flow = { domain: "diagrams", subcategory: "flowchart" } as const;
    const sequence = enhancePrompt("sequence diagram of an OAuth login", {
      label: flow,
      quality: "standard",
    });
    expect(sequence.template.id).toBe("diagrams.sequence.standard");
    expect(sequence.enhancedPrompt).toMatch(/lifelines/);
    const plural = enhancePrompt("Sequence Diagrams for the checkout", {
      label: flow,
      quality: "standard",
    });
    expect(plural.template.id).toBe("diagrams.sequence.standard");
    const uml = enhancePrompt("class diagram for a parking lot", {
      label: { domain: "diagrams", subcategory: "architecture" },
      quality: "draft",
    });
    expect(uml.template.id).toBe("diagrams.uml.draft");
    const collage = enhancePrompt("mixed media collage of a city", {
      label: { domain: "art", subcategory: "painting" },
      quality: "premium",
    });
    expect(collage.template.id).toBe("art.mixed_media.premium");
    expect(collage.enhancedPrompt).toMatch(/torn paper|collage/);
  });

  it("splits generations between a template's A/B variants by seed, the same seed always alike", () => {
    expect(TEMPLATE_VARIANTS.portrait).toBeDefined();
    const seeds = Array.from({ length: 200 }, (_, i) => `gen_${i}`);
    const variants = seeds.map(
      (seed) =>
        enhancePrompt("a violinist", { label: portrait, quality: "standard", variantSeed: seed })
          .template.variant,
    );
    const b = variants.filter((v) => v === "b").length;
    expect(b).toBeGreaterThan(70);
    expect(b).toBeLessThan(130);
    expect(variantFor("gen_7", "photography.portrait.standard")).toBe(
      variantFor("gen_7", "photography.portrait.standard"),
    );
    const [first] = seeds;
    const again = enhancePrompt("a violinist", {
      label: portrait,
      quality: "standard",
      variantSeed: first,
    });
    expect(again.template.variant).toBe(variants[0]);
    // A template without a variant is always "a".
    const flow = enhancePrompt("refunds", {
      label: { domain: "diagrams", subcategory: "flowchart" },
      quality: "standard",
      variantSeed: "gen_1",
    });
    expect(flow.template.variant).toBe("a");
  });

  it("seeds the arm from the request, so identical requests get the same seed and arm", () => {
    const request = {
      prompt: "a violinist",
      quality: "standard",
      aspectRatio: "1:1",
      userId: "alice",
    };
    const seed = variantSeedFor(request);
    expect(seed).toMatch(/^[0-9a-f]{16}$/);
    expect(variantSeedFor({ ...request })).toBe(seed);
    // Any field that differs makes another request, with its own seed.
    for (const change of [
      { prompt: "a cellist" },
      { quality: "premium" },
      { aspectRatio: "16:9" },
      { userId: "bob" },
    ]) {
      expect(variantSeedFor({ ...request, ...change })).not.toBe(seed);
    }
    // Fields run together differently are different requests too.
    expect(variantSeedFor({ ...request, prompt: "a", userId: "b" })).not.toBe(
      variantSeedFor({ ...request, prompt: "ab", userId: "" }),
    );
    const arm = (r: typeof request) =>
      enhancePrompt(r.prompt, {
        label: portrait,
        quality: "standard",
        variantSeed: variantSeedFor(r),
      }).template.variant;
    const arms = Array.from({ length: 100 }, (_, i) => ({ ...request, prompt: `violinist ${i}` }));
    expect(arms.map((r) => arm({ ...r }))).toEqual(arms.map(arm));
    expect(new Set(arms.map(arm))).toEqual(new Set(["a", "b"]));
  });
});

describe("enhancePrompt with reference images (edit mode)", () => {
  const product = { domain: "photography", subcategory: "product" } as const;
  const ask = "put this sneaker on a marble counter at sunset";
  const edit = (references: number, quality: (typeof QUALITIES)[number] = "standard") =>
    enhancePrompt(ask, { label: product, quality, aspectRatio: "4:5", references });

  it("briefs an edit of the one reference image given, the request verbatim", () => {
    const { enhancedPrompt } = edit(1);
    expect(enhancedPrompt).toMatch(
      /^Edit the reference image provided, as asked: put this sneaker on a marble counter at sunset\. /,
    );
    expect(enhancedPrompt).not.toMatch(/Studio product photograph of/);
  });

  it("says how many references a composition is given", () => {
    const { enhancedPrompt } = edit(3);
    expect(enhancedPrompt).toMatch(
      /^Compose the 3 reference images provided into one image, as asked: /,
    );
    expect(enhancedPrompt).toMatch(/everything else stays as in the 3 reference images/);
  });

  it("keeps what must not change and changes only what is asked", () => {
    const { enhancedPrompt } = edit(1);
    expect(enhancedPrompt).toContain(
      "Keep the subject of the reference image exactly as it is: its identity, shape, proportions, colours, logos and any text on it stay unchanged.",
    );
    expect(enhancedPrompt).toMatch(
      /Change only what the request asks for, such as the background, setting, pose or lighting it describes/,
    );
  });

  it("keeps the subcategory's style and tier, and does not ask to remove the reference's logos", () => {
    const { enhancedPrompt, template } = edit(1);
    expect(enhancedPrompt).toMatch(
      /Style: studio product photograph, finished to the professional standard below/,
    );
    expect(enhancedPrompt).toMatch(/100mm macro lens/);
    expect(enhancedPrompt).toMatch(/Avoid watermarks, new logos, stray text/);
    expect(enhancedPrompt).not.toMatch(/Avoid watermarks, logos/);
    expect(enhancedPrompt).toMatch(/Composed for a 4:5 frame\.$/);
    expect(template).toMatchObject({ id: "photography.product.standard", quality: "standard" });
    const [draft, standard, premium] = QUALITIES.map((q) => edit(1, q).words.out);
    expect(draft).toBeLessThan(standard ?? 0);
    expect(standard).toBeLessThan(premium ?? 0);
  });

  it("names the medium of every template without a dangling article or subject", () => {
    for (const l of LABELS) {
      for (const quality of QUALITIES) {
        const { enhancedPrompt } = enhancePrompt(ask, { label: l, quality, references: 2 });
        expect(enhancedPrompt).toMatch(/Style: [A-Za-z0-9][\w -]+, finished to/);
        expect(enhancedPrompt).not.toContain("{subject}");
      }
    }
    expect(mediumOf("UML sequence diagram of {subject}")).toBe("UML sequence diagram");
    expect(mediumOf("Abstract artwork inspired by {subject}")).toBe("abstract artwork");
    expect(mediumOf("{subject}, please")).toBe("professional image");
  });

  it("is the from-scratch brief, byte for byte, with no references", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.constantFrom(...LABELS),
        fc.constantFrom(...QUALITIES),
        fc.constantFrom(...ASPECT_RATIOS),
        (prompt, l, quality, aspectRatio) => {
          const plain = enhancePrompt(prompt, { label: l, quality, aspectRatio });
          expect(enhancePrompt(prompt, { label: l, quality, aspectRatio, references: 0 })).toEqual(
            plain,
          );
        },
      ),
    );
  });
});
