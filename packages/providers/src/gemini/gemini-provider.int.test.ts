import { randomUUID } from "node:crypto";
import { ASPECT_RATIOS } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { type FakeGemini, startFakeGemini } from "@nanobanana/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeImageProviderContract } from "../image-provider.contract.ts";
import type { ImageRequest } from "../image-provider.ts";
import { createGeminiProvider, type GeminiProviderOptions } from "./gemini-provider.ts";

/**
 * The Gemini adapter through the real SDK, over HTTP to the Gemini stand-in (reached only
 * through baseUrl, as Google is). The stand-in picks its answer from a [gemini:…] marker in
 * the prompt and counts the calls each prompt brought it.
 */
let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini({ slowMs: 2_000 });
});
afterAll(() => fake.close());

const FLASH = "gemini-3.1-flash-image";
const PRO = "gemini-3-pro-image";
// Per size, as the price table has them.
const PRICES: Record<string, Record<string, number>> = {
  [FLASH]: { "512": 0.045, "1K": 0.067, "2K": 0.101, "4K": 0.151 },
  [PRO]: { "1K": 0.134, "2K": 0.134, "4K": 0.24 },
};

const gemini = (overrides: Partial<GeminiProviderOptions> = {}) =>
  createGeminiProvider({
    apiKey: "test-key",
    baseUrl: fake.url,
    model: FLASH,
    premiumModel: PRO,
    fallback: true,
    timeoutMs: 500,
    maxRetries: 2,
    retryBaseMs: 20,
    models: [FLASH, PRO, "gemini-3.1-flash-lite-image"],
    priceOf: (model, size) => PRICES[model]?.[size] ?? 0,
    ...overrides,
  });

const marked =
  (scenario: string) =>
  (request: ImageRequest): ImageRequest => ({
    ...request,
    prompt: `${request.prompt} [gemini:${scenario}]`,
  });

const callsFor = (request: ImageRequest) => fake.calls.filter((c) => c.prompt === request.prompt);

// The contract's slow call must stay slow: a timeout shorter than the stand-in's 2 s delay
// would end it (and retry) on its own, hiding whether the abort did.
describeImageProviderContract(
  "gemini (SDK over HTTP to the stand-in)",
  () => gemini({ timeoutMs: 10_000 }),
  {
    refusal: { request: marked("prompt-blocked") },
    outage: { request: marked("server-error-twice") },
    rateLimit: { request: marked("rate-limited-once") },
    slow: { request: marked("slow-once") },
    callsSeen: (request) => callsFor(request).length,
    aspectRatios: ASPECT_RATIOS,
  },
);

const request = (scenario: string, overrides: Partial<ImageRequest> = {}): ImageRequest => ({
  prompt: `a lighthouse at dusk [gemini:${scenario}] ${randomUUID()}`,
  subject: "a lighthouse at dusk",
  label: { domain: "photography", subcategory: "landscape" },
  quality: "standard",
  aspectRatio: "1:1",
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("Gemini adapter", () => {
  it("sends the API key and the aspect ratio, and reads the image, the model's note, tokens and price", async () => {
    const asked = request("ok", { aspectRatio: "4:3" });
    const result = await gemini().generate(asked);
    expect(result).toMatchObject({
      provider: "gemini",
      model: FLASH,
      mimeType: "image/png",
      costUsd: 0.067,
      note: "Here is your image.",
      usage: { inputTokens: 120, outputTokens: 1290, totalTokens: 1410 },
      calls: 1,
    });
    expect(await sharp(result.bytes).metadata()).toMatchObject({ width: 1184, height: 864 });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({
        model: FLASH,
        apiKey: "test-key",
        aspectRatio: "4:3",
        imageSize: "1K",
        inlineImages: [],
      }),
    ]);
  });

  it("draws with the model the request names, at the size asked, priced for that size", async () => {
    const asked = request("ok", { model: PRO, imageSize: "2K", aspectRatio: "21:9" });
    const result = await gemini().generate(asked);
    expect(result).toMatchObject({ model: PRO, costUsd: 0.134 });
    expect(await sharp(result.bytes).metadata()).toMatchObject({ width: 3072, height: 1344 });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({ model: PRO, imageSize: "2K", aspectRatio: "21:9" }),
    ]);
  });

  it("sends reference images as inline parts after the brief, in order", async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    const jpeg = await sharp(png).jpeg().toBuffer();
    const asked = request("ok", {
      references: [
        { bytes: png, mimeType: "image/png" },
        { bytes: jpeg, mimeType: "image/jpeg" },
      ],
    });
    await gemini().generate(asked);
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({ inlineImages: ["image/png", "image/jpeg"] }),
    ]);
  });

  it("hands a model Google no longer serves (404) to the fallback at once, without retrying it", async () => {
    const asked = request("ok");
    const result = await gemini({ model: "gemini-2.5-flash-image" }).generate(asked);
    expect(result).toMatchObject({ model: PRO, calls: 2 });
    expect(callsFor(asked).map((c) => [c.model, c.status])).toEqual([
      ["gemini-2.5-flash-image", 404],
      [PRO, 200],
    ]);
  });

  it("fails a named model that is gone without retrying, saying which setting to change", async () => {
    const asked = request("ok", { model: "gemini-3-pro-image-preview", modelChoice: "requested" });
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(/gemini-3-pro-image-preview is not available \(404/);
    expect(error.message).toMatch(/GEMINI_MODEL, GEMINI_PREMIUM_MODEL or MODEL_ROUTES/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("checks models with models.get: today's are there, a retired one is not", async () => {
    const checks = await gemini().checkModels?.([FLASH, "gemini-2.5-flash-image"]);
    expect(checks).toEqual([
      { model: FLASH, ok: true },
      { model: "gemini-2.5-flash-image", ok: false, problem: expect.stringMatching(/NOT_FOUND/) },
    ]);
  });

  it("marks a refused drawing (not a refused prompt) so a plainer brief may be tried", async () => {
    const error = await failure(gemini().generate(request("image-safety")));
    expect(error).toMatchObject({ code: "SAFETY_BLOCKED", details: { refusedImage: true } });
    const blocked = await failure(gemini().generate(request("prompt-blocked")));
    expect((blocked.details as { refusedImage?: boolean }).refusedImage).toBeUndefined();
  });

  it("finds the image when it comes before the text", async () => {
    const result = await gemini().generate(request("image-first"));
    expect(result).toMatchObject({ note: "Here is the image you asked for.", calls: 1 });
  });

  it("looks through every candidate for the image", async () => {
    const result = await gemini().generate(request("multi-candidate"));
    expect(result.calls).toBe(1);
    expect(result.note).toContain("Let me draw that.");
  });

  it("says a blocked prompt was blocked, why, and to rephrase it (SAFETY_BLOCKED)", async () => {
    const error = await failure(gemini().generate(request("prompt-blocked")));
    expect(error).toMatchObject({ code: "SAFETY_BLOCKED", details: { calls: 1, model: FLASH } });
    expect(error.message).toMatch(/blocked the prompt \(SAFETY\).*Rephrase/);
  });

  it("maps a blocked image (IMAGE_SAFETY) to SAFETY_BLOCKED after one call", async () => {
    const asked = request("image-safety");
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "SAFETY_BLOCKED", retryable: false });
    expect(error.message).toMatch(/IMAGE_SAFETY/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("fails a text-only refusal with a PROVIDER_ERROR that quotes what came back, not retried", async () => {
    const asked = request("text-only");
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(/answered with text and no image: "I can't create that image/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("waits out a 429's Retry-After and succeeds on exactly one retry", async () => {
    const asked = request("rate-limited-once");
    const result = await gemini().generate(asked);
    expect(result).toMatchObject({ model: FLASH, calls: 2 });
    const [first, second] = callsFor(asked);
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("retries 500s with backoff and succeeds on the third call", async () => {
    const asked = request("server-error-twice");
    const result = await gemini().generate(asked);
    expect(result).toMatchObject({ model: FLASH, calls: 3 });
    expect(callsFor(asked).map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it("retries a call that runs past the timeout", async () => {
    const result = await gemini().generate(request("slow-once"));
    expect(result).toMatchObject({ calls: 2, note: "Sorry for the wait." });
  });

  it("falls back to the premium model when the default keeps answering 503, and charges its price", async () => {
    const asked = request("flash-down");
    const result = await gemini().generate(asked);
    expect(result).toMatchObject({ model: PRO, costUsd: 0.134, calls: 4 });
    expect(callsFor(asked).map((c) => `${c.model}:${c.status}`)).toEqual([
      `${FLASH}:503`,
      `${FLASH}:503`,
      `${FLASH}:503`,
      `${PRO}:200`,
    ]);
  });

  it("does not swap a model the caller named: no fallback, a retryable failure instead", async () => {
    const asked = request("flash-down", { model: FLASH, modelChoice: "requested" });
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true, details: { calls: 3 } });
    expect(new Set(callsFor(asked).map((c) => c.model))).toEqual(new Set([FLASH]));
  });

  it("does not retry a 400, and says what Google said", async () => {
    const asked = request("bad-request");
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toBe(
      `${FLASH} refused the request (400): INVALID_ARGUMENT: Request contains an invalid argument.`,
    );
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("treats an unreadable answer as transient: every retry on both models, then a retryable failure", async () => {
    const asked = request("malformed");
    const error = await failure(gemini().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true, details: { calls: 6 } });
    expect(error.message).toMatch(/gave up after 6 calls, fallback to gemini-3-pro-image\b/);
    expect(callsFor(asked).map((c) => c.model)).toEqual([FLASH, FLASH, FLASH, PRO, PRO, PRO]);
  });

  it("stops in the middle of its retries when maxCalls runs out, and says the failure is final", async () => {
    const asked = request("malformed");
    const error = await failure(gemini().generate(asked, { maxCalls: 4 }));
    expect(error).toMatchObject({ retryable: false, details: { calls: 4 } });
    expect(error.message).toMatch(/all the provider calls it was allowed/);
    expect(callsFor(asked)).toHaveLength(4);
  });
});
