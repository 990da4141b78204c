import { randomUUID } from "node:crypto";
import { ASPECT_RATIOS, type AspectRatio, STABILITY_ASPECT_RATIOS } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { type FakeStability, startFakeStability } from "@nanobanana/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeImageProviderContract } from "../image-provider.contract.ts";
import type { ImageRequest } from "../image-provider.ts";
import { createStabilityProvider, type StabilityProviderOptions } from "./stability-provider.ts";

/**
 * The Stability AI adapter over HTTP (plain fetch, multipart) to the Stable Image stand-in,
 * reached only through baseUrl, as Stability is. The stand-in picks its answer from a
 * [stability:…] marker in the prompt, checks each request as Stability does, and counts the
 * calls each prompt brought it.
 */
let fake: FakeStability;
beforeAll(async () => {
  fake = await startFakeStability({ slowMs: 2_000, apiKey: "sk-test" });
});
afterAll(() => fake.close());

const ULTRA = "stable-image-ultra";
const CORE = "stable-image-core";
const SD35_LARGE = "sd3.5-large";
// Per image, as the price table has them: credits at $0.01.
const PRICES: Record<string, number> = { [ULTRA]: 0.08, [CORE]: 0.03, [SD35_LARGE]: 0.065 };

const stability = (overrides: Partial<StabilityProviderOptions> = {}) =>
  createStabilityProvider({
    apiKey: "sk-test",
    baseUrl: fake.url,
    model: CORE,
    models: [CORE, ULTRA, SD35_LARGE],
    timeoutMs: 500,
    maxRetries: 2,
    retryBaseMs: 20,
    priceOf: (model) => PRICES[model] ?? 0,
    // The contract's rate limit is to be got past in a test's time, not Stability's 60 s.
    rateLimitWaitMs: 1_000,
    ...overrides,
  });

const marked =
  (scenario: string) =>
  (request: ImageRequest): ImageRequest => ({
    ...request,
    prompt: `${request.prompt} [stability:${scenario}]`,
  });

const callsFor = (request: ImageRequest) => fake.callsForPrompt(request.prompt);

// The contract's slow call must stay slow: a timeout shorter than the stand-in's 2 s delay
// would end it (and retry) on its own, hiding whether the abort did.
describeImageProviderContract(
  "stability (fetch over HTTP to the stand-in)",
  () => stability({ timeoutMs: 10_000 }),
  {
    refusal: { request: marked("refusal") },
    outage: { request: marked("server-error-twice") },
    rateLimit: { request: marked("rate-limited-once") },
    slow: { request: marked("slow-once") },
    callsSeen: (request) => callsFor(request).length,
    aspectRatios: STABILITY_ASPECT_RATIOS,
  },
);

const request = (scenario: string, overrides: Partial<ImageRequest> = {}): ImageRequest => ({
  prompt: `a lighthouse at dusk [stability:${scenario}] ${randomUUID()}`,
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

const png = () =>
  sharp({ create: { width: 128, height: 72, channels: 3, background: "red" } })
    .png()
    .toBuffer();

describe("Stability AI adapter", () => {
  it("posts the prompt and the ratio as a form to the model's endpoint, and reads the image's bytes and price", async () => {
    const asked = request("ok", { aspectRatio: "16:9" });
    const result = await stability().generate(asked);
    expect(result).toMatchObject({
      provider: "stability",
      model: CORE,
      mimeType: "image/png",
      costUsd: 0.03,
      calls: 1,
    });
    expect(await sharp(result.bytes).metadata()).toMatchObject({ width: 1344, height: 768 });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({
        endpoint: "core",
        apiKey: "sk-test",
        accept: "image/*",
        aspectRatio: "16:9",
        outputFormat: "png",
        status: 200,
      }),
    ]);
  });

  it("sends an SD 3.5 model to the sd3 endpoint by name, and prices it as that model", async () => {
    const asked = request("ok", { model: SD35_LARGE, aspectRatio: "2:3" });
    expect(await stability().generate(asked)).toMatchObject({ model: SD35_LARGE, costUsd: 0.065 });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({ endpoint: "sd3", model: SD35_LARGE, aspectRatio: "2:3" }),
    ]);
  });

  it("asks for the nearest ratio it takes in the same orientation: 4:3 as 5:4, 3:4 as 4:5", async () => {
    const provider = stability();
    const sent: Record<string, string | undefined> = {};
    for (const aspectRatio of ASPECT_RATIOS) {
      const asked = request("ok", { aspectRatio });
      await provider.generate(asked);
      sent[aspectRatio] = callsFor(asked)[0]?.aspectRatio;
    }
    const expected: Record<AspectRatio, string> = {
      "1:1": "1:1",
      "2:3": "2:3",
      "3:2": "3:2",
      "3:4": "4:5",
      "4:3": "5:4",
      "4:5": "4:5",
      "5:4": "5:4",
      "9:16": "9:16",
      "16:9": "16:9",
      "21:9": "21:9",
    };
    expect(sent).toEqual(expected);
  });

  it("draws from a reference: Ultra takes it as the image with a strength, the sd3 endpoint in image-to-image mode", async () => {
    const reference = { bytes: await png(), mimeType: "image/png" };
    const ultra = request("ok", { model: ULTRA, references: [reference] });
    expect(await stability({ referenceStrength: 0.35 }).generate(ultra)).toMatchObject({
      model: ULTRA,
      costUsd: 0.08,
    });
    expect(callsFor(ultra)).toEqual([
      expect.objectContaining({
        endpoint: "ultra",
        image: "image/png",
        strength: "0.35",
        aspectRatio: undefined,
        status: 200,
      }),
    ]);
    const sd3 = request("ok", { model: SD35_LARGE, references: [reference] });
    const drawn = await stability().generate(sd3);
    // The reference's 16:9 kept, not the request's 1:1.
    expect(await sharp(drawn.bytes).metadata()).toMatchObject({ width: 1344, height: 768 });
    expect(callsFor(sd3)).toEqual([
      expect.objectContaining({ endpoint: "sd3", mode: "image-to-image", strength: "0.5" }),
    ]);
  });

  it("refuses, before any call, a reference for Core and more than one for any model", async () => {
    const reference = { bytes: await png(), mimeType: "image/png" };
    const core = request("ok", { references: [reference] });
    expect(await failure(stability().generate(core))).toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/draws from text alone/),
    });
    const two = request("ok", { model: ULTRA, references: [reference, reference] });
    expect(await failure(stability().generate(two))).toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/one reference image at most \(got 2\)/),
    });
    expect([...callsFor(core), ...callsFor(two)]).toHaveLength(0);
  });

  it("maps content moderation (403) to SAFETY_BLOCKED after one call, quoting Stability", async () => {
    const asked = request("refusal");
    const error = await failure(stability().generate(asked));
    expect(error).toMatchObject({
      code: "SAFETY_BLOCKED",
      retryable: false,
      details: { calls: 1, model: CORE },
    });
    expect(error.message).toMatch(/content_moderation: Your request was flagged.*Rephrase/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("maps a blurred CONTENT_FILTERED image to SAFETY_BLOCKED, marked as a refused drawing, and charges nothing", async () => {
    const asked = request("filtered");
    const error = await failure(stability().generate(asked));
    expect(error).toMatchObject({
      code: "SAFETY_BLOCKED",
      retryable: false,
      details: { refusedImage: true, calls: 1 },
    });
    expect(error.message).toMatch(/CONTENT_FILTERED/);
  });

  it("waits after a 429 that names no Retry-After, then succeeds on exactly one retry", async () => {
    const asked = request("rate-limited-once");
    expect(await stability().generate(asked)).toMatchObject({ calls: 2 });
    const [first, second] = callsFor(asked);
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("by default does not sit out Stability's 60 s time-out in the job: one call, then a retryable failure", async () => {
    const asked = request("rate-limited-once");
    const error = await failure(stability({ rateLimitWaitMs: undefined }).generate(asked));
    expect(error).toMatchObject({
      code: "PROVIDER_ERROR",
      retryable: true,
      details: { calls: 1, retryAfterMs: 60_000 },
    });
    expect(error.message).toMatch(/answered 429: rate_limit_exceeded/);
  });

  it("honours a Retry-After on a 429 over its own wait", async () => {
    // Stability's 429 carries none today; a gateway in front of it may add one.
    const withRetryAfter: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (response.status !== 429) return response;
      const headers = new Headers(response.headers);
      headers.set("retry-after", "0");
      return new Response(await response.arrayBuffer(), { status: 429, headers });
    };
    const asked = request("rate-limited-once");
    const started = Date.now();
    const result = await stability({ fetch: withRetryAfter, rateLimitWaitMs: 60_000 }).generate(
      asked,
    );
    expect(result).toMatchObject({ calls: 2 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("stops waiting out a rate limit when the signal is aborted: no second call", async () => {
    const asked = request("rate-limited-once");
    const controller = new AbortController();
    const pending = stability().generate(asked, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(900);
    expect(callsFor(asked).map((c) => c.status)).toEqual([429]);
  });

  it("retries 500s with backoff and succeeds on the third call", async () => {
    const asked = request("server-error-twice");
    expect(await stability().generate(asked)).toMatchObject({ calls: 3 });
    expect(callsFor(asked).map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it("fails a service that keeps answering 503 retryably, after its retries", async () => {
    const error = await failure(stability().generate(request("always-503")));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true, details: { calls: 3 } });
    expect(error.message).toMatch(/answered 503: service_unavailable.*gave up after 3 calls/);
  });

  it("retries a call that runs past the timeout", async () => {
    const asked = request("slow-once");
    expect(await stability().generate(asked)).toMatchObject({ calls: 2 });
    // The first is recorded when the stand-in sees the client go, so sorted: the order is a race.
    expect(
      callsFor(asked)
        .map((c) => c.status)
        .sort(),
    ).toEqual([200, 499]);
  });

  it("does not retry a model the sd3 endpoint does not know (400), and quotes Stability's errors", async () => {
    const asked = request("ok", { model: "sd3-medium" });
    const error = await failure(stability().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(
      /sd3-medium refused the request \(400\): bad_request: model: must be one of/,
    );
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("does not retry a wrong API key (401)", async () => {
    const asked = request("ok");
    const error = await failure(stability({ apiKey: "sk-wrong" }).generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(/\(401\): unauthorized/);
    expect(callsFor(asked)).toHaveLength(1);
  });
});
