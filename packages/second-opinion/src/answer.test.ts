import { DOMAINS, LABELS } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import { checkAnswer, costOf, labelAnswerKey } from "./answer.ts";
import { RESPONSE_SCHEMA } from "./request.ts";

describe("labelAnswerKey", () => {
  it("keeps one answer for a prompt however it is spaced or capitalised", () => {
    const key = labelAnswerKey("a red kite over the dunes", "m", "user:alice");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(labelAnswerKey("  A Red  Kite over\tthe DUNES ", "m", "user:alice")).toBe(key);
  });

  it("asks again for another prompt, another model, or another user's cache", () => {
    const key = labelAnswerKey("a red kite", "m", "user:alice");
    expect(labelAnswerKey("a blue kite", "m", "user:alice")).not.toBe(key);
    expect(labelAnswerKey("a red kite", "other-model", "user:alice")).not.toBe(key);
    expect(labelAnswerKey("a red kite", "m", "user:bob")).not.toBe(key);
    expect(labelAnswerKey("a red kite", "m", "global")).not.toBe(key);
  });
});

describe("costOf", () => {
  const price = { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 };

  it("prices input and output tokens, thinking billed as output", () => {
    // 800 × $0.25 + (24 + 8) × $1.50, per 1M tokens.
    expect(
      costOf({ promptTokenCount: 800, candidatesTokenCount: 24, thoughtsTokenCount: 8 }, price),
    ).toBe(0.000248);
  });

  it("costs nothing when no usage came back", () => {
    expect(costOf(undefined, price)).toBe(0);
  });
});

describe("checkAnswer", () => {
  it("takes one of the 16 labels, with its reason", () => {
    expect(
      checkAnswer('{"domain":"art","subcategory":"painting","reason":"  a watercolour look "}'),
    ).toEqual({ ok: true, domain: "art", subcategory: "painting", reason: "a watercolour look" });
    expect(checkAnswer('{"domain":"diagrams","subcategory":"flowchart"}')).toEqual({
      ok: true,
      domain: "diagrams",
      subcategory: "flowchart",
      reason: null,
    });
  });

  it("keeps a long reason short rather than refusing a good label", () => {
    const answer = checkAnswer(
      JSON.stringify({ domain: "art", subcategory: "abstract", reason: "x".repeat(500) }),
    );
    expect(answer.ok && answer.reason?.length).toBe(200);
  });

  it.each([
    ["Sure! It is art, a painting.", /not JSON/],
    ["", /not JSON/],
    ['{"domain":"art"}', /subcategory/],
    ['{"domain":"art","subcategory":"sculpture"}', /subcategory/],
    ['{"domain":"poetry","subcategory":"painting"}', /domain/],
    // The schema's enums are separate: a domain with another domain's subcategory.
    ['{"domain":"art","subcategory":"portrait"}', /not one of the domain's/],
  ])("refuses %j", (text, problem) => {
    const answer = checkAnswer(text);
    expect(answer.ok).toBe(false);
    expect(!answer.ok && answer.problem).toMatch(problem);
  });
});

describe("RESPONSE_SCHEMA", () => {
  it("offers exactly the taxonomy's domains and subcategories, and asks for both", () => {
    expect(RESPONSE_SCHEMA.properties?.domain?.enum).toEqual(DOMAINS);
    expect(RESPONSE_SCHEMA.properties?.subcategory?.enum).toEqual(LABELS.map((l) => l.subcategory));
    expect(RESPONSE_SCHEMA.required).toEqual(["domain", "subcategory"]);
  });
});
