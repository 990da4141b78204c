import { isLabel } from "@nanobanana/domain";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyPrompt } from "./index.ts";

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
    expect(classifyPrompt("something").confidence).toBeLessThan(0.3);
    expect(classifyPrompt("flowchart of an approval workflow").confidence).toBeGreaterThan(0.8);
  });

  it("reports the evidence it used", () => {
    expect(classifyPrompt("macro shot of a bee").evidence.join(" ")).toMatch(/macro/);
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
});
