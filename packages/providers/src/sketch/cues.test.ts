import { describe, expect, it } from "vitest";
import { type Hsl, productColours, productKindOf, readCues } from "./cues.ts";

const near = (hsl: Hsl | undefined, h: number, s?: number) => {
  expect(hsl).toBeDefined();
  const d = Math.abs((((hsl?.h ?? 0) - h + 540) % 360) - 180);
  expect(d).toBeLessThanOrEqual(15);
  if (s !== undefined) expect(hsl?.s).toBe(s);
};

describe("sketch cues: the kind of object the words name", () => {
  it.each([
    ["red sneaker", "sneaker"],
    ["Running shoes, studio shot", "sneaker"],
    ["brown leather boots", "boot"],
    ["wireless headphones", "headphones"],
    ["noise-cancelling head phones", "headphones"],
    ["white ear buds in their case", "earbuds"],
    ["a glass bottle", "bottle"],
    ["perfume", "bottle"],
    ["a coffee mug", "mug"],
    ["tea cups", "mug"],
    ["a gold wristwatch", "watch"],
    ["smart watch with a black strap", "watch"],
    ["black smartphone", "phone"],
    ["a phone case", "phone"],
    ["silver laptop", "laptop"],
    ["a wooden chair", "chair"],
    ["yellow desk lamp", "lamp"],
    ["a laptop bag", "bag"],
    ["leather handbag", "bag"],
    ["navy backpack", "backpack"],
    ["a red car", "car"],
    ["a mug and a bottle", "mug"],
    ["headphones with a carrying case", "headphones"],
    ["a sneaker on a wooden chair", "sneaker"],
    ["a bottle green mug", "mug"],
  ])("%s → %s", (text, kind) => {
    expect(productKindOf(text)).toBe(kind);
  });

  it("falls back to the generic shape when nothing drawable is named", () => {
    expect(productKindOf("a toaster")).toBe("box");
    expect(productKindOf("")).toBe("box");
    expect(readCues("a toaster").kind).toBeUndefined();
  });
});

describe("sketch cues: named colours", () => {
  it("reads the object's main colour", () => {
    near(productColours(readCues("red sneaker")).main, 0);
    near(productColours(readCues("Teal Headphones")).main, 178);
    expect(productColours(readCues("grey mug")).main).toEqual(
      productColours(readCues("gray mug")).main,
    );
  });

  it.each([
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
    "grey",
    "gray",
    "teal",
    "navy",
    "gold",
    "silver",
    "beige",
  ])("knows %s", (name) => {
    expect(productColours(readCues(`a ${name} bottle`)).main).toBeDefined();
  });

  it("takes a second colour as the accent, and a part's colour as the accent", () => {
    const twoTone = productColours(readCues("navy and gold watch"));
    near(twoTone.main, 225);
    near(twoTone.accent, 45);
    const strap = productColours(readCues("a silver watch with a black strap"));
    expect(strap.main?.s).toBeLessThan(15);
    expect(strap.accent?.l).toBeLessThan(15);
    const laces = productColours(readCues("a sneaker with red laces"));
    expect(laces.main).toBeUndefined();
    near(laces.accent, 0);
  });

  it("colours the backdrop, not the object, when the colour is the background's", () => {
    const colours = productColours(readCues("a white sneaker on a black background"));
    expect(colours.main?.l).toBeGreaterThan(90);
    expect(colours.background?.l).toBeLessThan(15);
  });

  it("ignores the setting's colours and uses a material when no colour is named", () => {
    expect(productColours(readCues("a sneaker on a wooden table")).main).toBeUndefined();
    near(productColours(readCues("brown leather boots")).main, 25);
    expect(productColours(readCues("a glass bottle")).main).toBeDefined();
    // An explicit colour beats the material: "black leather" is black.
    expect(productColours(readCues("black leather boots")).main?.l).toBeLessThan(15);
  });

  it("understands shades and two-word colours", () => {
    const light = productColours(readCues("light blue mug")).main;
    const dark = productColours(readCues("dark blue mug")).main;
    expect(light?.l).toBeGreaterThan(dark?.l ?? 100);
    near(productColours(readCues("navy blue backpack")).main, 225);
    near(productColours(readCues("a bottle green mug")).main, 140);
  });
});
