import { classifyPrompt } from "@nanobanana/classifier";
import { createLogger } from "@nanobanana/logger";
import { createSecondOpinion } from "@nanobanana/second-opinion";
import { createRedisStore } from "@nanobanana/store";
import {
  FAKE_GEMINI_LABEL,
  type FakeGemini,
  startFakeGemini,
  testRedis,
  uniquePrefix,
} from "@nanobanana/testing";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

/**
 * POST /classify's `secondOpinion` flag, against the Gemini stand-in, whose text model answers
 * photography/landscape for 800 input and 32 output tokens: $0.000248 at gemini-3.1-flash-lite's
 * price. Without a second opinion configured the flag is refused.
 */
const TEXT_MODEL = "gemini-3.1-flash-lite";
const ALICE = "alice-key-123";
const apiKeys = [{ key: ALICE, userId: "alice", admin: false }];
const as = (key: string) => ({ Authorization: `Bearer ${key}` });
const UNSURE = "zxqv blorp wemble"; // the local classifier: art/abstract, far below 0.6
const SURE = "flowchart of a refund process";

const labels = testRedis();
let fake: FakeGemini;
let withOpinion: ReturnType<typeof apiUnderTest>;
const without = apiUnderTest({ label: "classify-plain", apiKeys });
beforeAll(async () => {
  fake = await startFakeGemini();
  withOpinion = apiUnderTest({
    label: "classify-opinion",
    apiKeys,
    overrides: {
      secondOpinion: createSecondOpinion({
        model: TEXT_MODEL,
        below: 0.6,
        timeoutMs: 5_000,
        price: { inputUsdPerMillion: 0.25, outputUsdPerMillion: 1.5 },
        apiKey: "test-key",
        baseUrl: fake.url,
        store: createRedisStore(labels, uniquePrefix("labels")),
        cacheTtlSeconds: 3_600,
        logger: createLogger({ service: "test", level: "silent" }),
      }),
    },
  });
});
afterAll(async () => {
  await Promise.all([withOpinion.close(), without.close()]);
  await fake.close();
  await labels.quit();
});

const classify = (app: typeof without.app, body: object) =>
  request(app).post("/classify").set(as(ALICE)).send(body);
const textCalls = (prompt: string) =>
  fake.calls.filter((c) => c.model === TEXT_MODEL && c.prompt === prompt);

describe("POST /classify with secondOpinion", () => {
  it("puts an unsure prompt to the text model, answers its label, and bills the caller once", async () => {
    const local = classifyPrompt(UNSURE);
    expect(local.confidence).toBeLessThan(0.6);
    const first = (
      await classify(withOpinion.app, { prompt: UNSURE, secondOpinion: true }).expect(200)
    ).body;
    expect(first).toMatchObject({
      ...FAKE_GEMINI_LABEL,
      confidence: local.confidence,
      certainty: "subcategory",
      source: "gemini",
      local: { domain: local.domain, subcategory: local.subcategory },
      secondOpinion: { model: TEXT_MODEL, costUsd: 0.000248, cached: false },
      // The rest is still the local classifier's.
      alternatives: local.alternatives,
    });
    // Asked again: the answer kept for this user, at no cost.
    const again = (
      await classify(withOpinion.app, { prompt: UNSURE, secondOpinion: true }).expect(200)
    ).body;
    expect(again).toMatchObject({ source: "gemini", secondOpinion: { costUsd: 0, cached: true } });
    expect(textCalls(UNSURE)).toHaveLength(1);
    // No generation carries this cost: it is on the caller's month by itself.
    const cost = (await request(withOpinion.app).get("/user/me/cost").set(as(ALICE)).expect(200))
      .body;
    expect(cost.month).toMatchObject({ usd: 0.000248, images: 0 });
    expect(cost.byModel).toEqual([{ model: TEXT_MODEL, usd: 0.000248, images: 0 }]);
  });

  it("asks nothing about a sure prompt, nor without the flag", async () => {
    const sure = (
      await classify(withOpinion.app, { prompt: SURE, secondOpinion: true }).expect(200)
    ).body;
    expect(sure).toMatchObject({ domain: "diagrams", subcategory: "flowchart", source: "local" });
    expect(sure.secondOpinion).toBeUndefined();
    const plain = (await classify(withOpinion.app, { prompt: `${UNSURE} again` }).expect(200)).body;
    expect(plain).toMatchObject({ source: "local" });
    expect(textCalls(SURE)).toHaveLength(0);
    expect(textCalls(`${UNSURE} again`)).toHaveLength(0);
  });

  it("refuses the flag where no second opinion is configured, saying which setting turns it on", async () => {
    const res = await classify(without.app, { prompt: UNSURE, secondOpinion: true }).expect(400);
    expect(res.body.error).toMatchObject({ code: "INVALID_REQUEST" });
    expect(res.body.error.message).toMatch(/CLASSIFIER_SECOND_OPINION/);
    await classify(without.app, { prompt: UNSURE, secondOpinion: "yes" }).expect(400);
  });
});
