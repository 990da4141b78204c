import { newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { createRedisStore } from "@nanobanana/store";
import {
  FAKE_GEMINI_LABEL,
  type FakeGemini,
  startFakeGemini,
  testRedis,
  uniquePrefix,
} from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESPONSE_SCHEMA, SYSTEM_INSTRUCTION } from "./request.ts";
import { createSecondOpinion, type LocalLabel } from "./second-opinion.ts";

/**
 * The second opinion through the official SDK over HTTP to the Gemini stand-in, which answers
 * a text model asked with a responseSchema by the [gemini:label=…] or [gemini:label-…] marker
 * in the prompt, billing 800 input and 32 output tokens: $0.000248 at gemini-3.1-flash-lite's
 * $0.25 / $1.50 per 1M.
 */
const redis = testRedis();
let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ slowMs: 1_000 });
});
afterAll(async () => {
  await fake.close();
  await redis.quit();
});

const MODEL = "gemini-3.1-flash-lite";
const unsure: LocalLabel = {
  domain: "photography",
  subcategory: "product",
  confidence: 0.31,
  certainty: "none",
};
const sure: LocalLabel = { ...unsure, confidence: 0.93, certainty: "subcategory" };

function setup(options: { timeoutMs?: number } = {}) {
  const store = createRedisStore(redis, uniquePrefix("opinion"));
  const opinion = createSecondOpinion({
    model: MODEL,
    below: 0.6,
    timeoutMs: options.timeoutMs ?? 5_000,
    price: { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 },
    apiKey: "test-key",
    baseUrl: fake.url,
    store,
    cacheTtlSeconds: 3_600,
    logger: createLogger({ service: "test", level: "silent" }),
  });
  // Each test's own prompts, so calls are told apart by their text.
  const tag = newId("req");
  const prompt = (text: string) => `${text} ${tag}`;
  const calls = () => fake.calls.filter((c) => c.model === MODEL && c.prompt.includes(tag));
  return { opinion, prompt, calls };
}

describe("the second opinion", () => {
  it("asks the text model about an unsure label with the schema, and uses its label at its price", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(
      t.prompt("a vase of tulips [gemini:label=art/painting]"),
      unsure,
      { scope: "user:alice" },
    );
    expect(verdict).toEqual({
      domain: "art",
      subcategory: "painting",
      confidence: 0.31,
      certainty: "subcategory",
      source: "gemini",
      local: unsure,
      secondOpinion: {
        model: MODEL,
        costUsd: 0.000248,
        cached: false,
        reason: "the label the marker asked for",
      },
    });
    const [call] = t.calls();
    expect(t.calls()).toHaveLength(1);
    expect(call).toMatchObject({ status: 200, apiKey: "test-key" });
    expect(call?.systemInstruction).toBe(SYSTEM_INSTRUCTION);
    expect(call?.responseSchema).toMatchObject({
      type: "OBJECT",
      properties: {
        domain: { enum: RESPONSE_SCHEMA.properties?.domain?.enum },
        subcategory: { enum: RESPONSE_SCHEMA.properties?.subcategory?.enum },
      },
    });
  });

  it("answers a label it agrees with as its own, without the local one beside it", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(
      t.prompt("a teapot [gemini:label=photography/product]"),
      unsure,
      { scope: "user:alice" },
    );
    expect(verdict).toMatchObject({ source: "gemini", certainty: "subcategory" });
    expect(verdict.local).toBeUndefined();
  });

  it("answers the stand-in's usual label when no marker names one", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(t.prompt("something at dusk"), unsure, {
      scope: "user:alice",
    });
    expect(verdict).toMatchObject({ ...FAKE_GEMINI_LABEL, source: "gemini" });
  });

  it("asks once for the same prompt: the second time is the cached answer, free", async () => {
    const t = setup();
    const text = t.prompt("A jug by a window [gemini:label=art/painting]");
    const first = await t.opinion.decide(text, unsure, { scope: "user:alice" });
    // The same prompt as people retype it: other spaces, other case.
    const again = await t.opinion.decide(`  ${text.toLowerCase()}  `, unsure, {
      scope: "user:alice",
    });
    expect(t.calls()).toHaveLength(1);
    expect(first.secondOpinion).toMatchObject({ costUsd: 0.000248, cached: false });
    expect(again).toMatchObject({ domain: "art", subcategory: "painting", source: "gemini" });
    expect(again.secondOpinion).toMatchObject({ costUsd: 0, cached: true });
    // Another user's cache is their own: they are asked for (and pay) their own answer.
    const bobs = await t.opinion.decide(text, unsure, { scope: "user:bob" });
    expect(bobs.secondOpinion).toMatchObject({ costUsd: 0.000248, cached: false });
    expect(t.calls()).toHaveLength(2);
  });

  it("leaves a sure label alone and asks nothing", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(t.prompt("a teapot [gemini:label=art/painting]"), sure, {
      scope: "user:alice",
    });
    expect(verdict).toEqual({ ...sure, source: "local" });
    expect(t.calls()).toHaveLength(0);
  });

  it("keeps the local label when the answer is not JSON, and still counts the billed tokens", async () => {
    const t = setup();
    const text = t.prompt("a jug [gemini:label-invalid-json]");
    const verdict = await t.opinion.decide(text, unsure, { scope: "user:alice" });
    expect(verdict).toMatchObject({
      ...unsure,
      source: "local",
      secondOpinion: { model: MODEL, costUsd: 0.000248, cached: false },
    });
    expect(verdict.secondOpinion?.error).toMatch(/not JSON/);
    // A bad answer is not kept: the next time it is asked again.
    await t.opinion.decide(text, unsure, { scope: "user:alice" });
    expect(t.calls()).toHaveLength(2);
  });

  it("keeps the local label when the answer is a domain with another domain's subcategory", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(t.prompt("a jug [gemini:label=art/portrait]"), unsure, {
      scope: "user:alice",
    });
    expect(verdict).toMatchObject({ domain: "photography", subcategory: "product" });
    expect(verdict.secondOpinion?.error).toMatch(/not one of the domain's/);
  });

  it("keeps the local label, at no cost, when the model answers 503", async () => {
    const t = setup();
    const verdict = await t.opinion.decide(t.prompt("a jug [gemini:label-503]"), unsure, {
      scope: "user:alice",
    });
    expect(verdict).toMatchObject({
      ...unsure,
      source: "local",
      secondOpinion: { costUsd: 0, cached: false },
    });
    expect(verdict.secondOpinion?.error).toMatch(/503/);
    // One call, no retry: a second opinion is not worth holding a generation up for.
    expect(t.calls()).toHaveLength(1);
  });

  it("gives up waiting after its timeout and keeps the local label", async () => {
    const t = setup({ timeoutMs: 300 });
    const started = Date.now();
    const verdict = await t.opinion.decide(t.prompt("a jug [gemini:label-slow]"), unsure, {
      scope: "user:alice",
    });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(verdict).toMatchObject({ source: "local", domain: "photography" });
    expect(verdict.secondOpinion?.error).toBeDefined();
  });

  it("stops for a cancelled generation instead of falling back", async () => {
    const t = setup();
    const cancel = new AbortController();
    const asking = t.opinion.decide(t.prompt("a jug [gemini:label-slow]"), unsure, {
      scope: "user:alice",
      signal: cancel.signal,
    });
    setTimeout(() => cancel.abort(), 100);
    await expect(asking).rejects.toThrow();
  });
});
