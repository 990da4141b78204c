import { loadConfig, modelOffer } from "@nanobanana/config";
import { describe, expect, it } from "vitest";
import { chooseModel, type WhatIsDrawn } from "./choose-model.ts";

const routing = modelOffer(loadConfig({ GEMINI_API_KEY: "k" }));
const drawn = (overrides: Partial<WhatIsDrawn> = {}): WhatIsDrawn => ({
  label: { domain: "photography", subcategory: "landscape" },
  quality: "standard",
  imageSize: "1K",
  aspectRatio: "1:1",
  references: 0,
  requestedModel: null,
  ...overrides,
});

describe("chooseModel", () => {
  it("draws with the default when no route matches", () => {
    expect(chooseModel(routing, drawn())).toEqual({
      model: "gemini-3.1-flash-image",
      choice: "routed",
      reason: "the default model",
    });
  });

  it("routes by domain, then by tier, first match first", () => {
    const diagram = drawn({ label: { domain: "diagrams", subcategory: "flowchart" } });
    expect(chooseModel(routing, diagram)).toMatchObject({
      model: "gemini-3-pro-image",
      reason: "route: domain diagrams",
    });
    // A draft diagram still goes to Pro: the diagrams rule comes first.
    expect(chooseModel(routing, { ...diagram, quality: "draft" }).model).toBe("gemini-3-pro-image");
    expect(chooseModel(routing, drawn({ quality: "draft" }))).toMatchObject({
      model: "gemini-3.1-flash-lite-image",
      reason: "route: quality draft",
    });
  });

  it("passes over a route whose model cannot draw what was asked, and says so", () => {
    expect(chooseModel(routing, drawn({ quality: "draft", imageSize: "2K" }))).toEqual({
      model: "gemini-3.1-flash-image",
      choice: "routed",
      reason:
        "the default model (passed over: imageSize: gemini-3.1-flash-lite-image does not draw 2K (it draws 1K))",
    });
  });

  it("lets the request's model win over everything, then the user's preference over the table", () => {
    const diagram = drawn({ label: { domain: "diagrams", subcategory: "flowchart" } });
    expect(chooseModel(routing, { ...diagram, requestedModel: "gemini-3.1-flash-image" })).toEqual({
      model: "gemini-3.1-flash-image",
      choice: "requested",
      reason: "named by the request",
    });
    expect(
      chooseModel(routing, { ...diagram, preferredModel: "gemini-3.1-flash-lite-image" }),
    ).toEqual({
      model: "gemini-3.1-flash-lite-image",
      choice: "routed",
      reason: "the user's preferences",
    });
  });
});
