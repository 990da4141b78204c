import { randomUUID } from "node:crypto";
import { ASPECT_RATIOS, type AspectRatio, orientationOf } from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import { type FakeOpenAI, startFakeOpenAI } from "@nanobanana/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeImageProviderContract } from "../image-provider.contract.ts";
import type { ImageRequest, PricedImage } from "../image-provider.ts";
import { createOpenAIProvider, type OpenAIProviderOptions } from "./openai-provider.ts";

/**
 * The OpenAI adapter through the real SDK, over HTTP to the Images API stand-in (reached only
 * through baseUrl, as OpenAI is). The stand-in picks its answer from an [openai:…] marker in
 * the prompt, checks each request as OpenAI does, and counts the calls each prompt brought it.
 */
let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ slowMs: 2_000, apiKey: "sk-test" });
});
afterAll(() => fake.close());

const GPT_IMAGE_2 = "gpt-image-2";
const GPT_IMAGE_1_5 = "gpt-image-1.5";
// Per quality and orientation, as the price table has them.
const PRICES: Record<string, Record<string, [square: number, oblong: number]>> = {
  [GPT_IMAGE_2]: { draft: [0.006, 0.005], standard: [0.053, 0.041], premium: [0.211, 0.165] },
  [GPT_IMAGE_1_5]: { draft: [0.009, 0.013], standard: [0.034, 0.05], premium: [0.133, 0.2] },
};
const priceOf = (model: string, image: PricedImage) =>
  PRICES[model]?.[image.quality]?.[orientationOf(image.aspectRatio) === "square" ? 0 : 1] ?? 0;

const openai = (overrides: Partial<OpenAIProviderOptions> = {}) =>
  createOpenAIProvider({
    apiKey: "sk-test",
    baseUrl: fake.url,
    model: GPT_IMAGE_2,
    models: [GPT_IMAGE_2, GPT_IMAGE_1_5, "gpt-image-2.6-flare"],
    timeoutMs: 500,
    maxRetries: 2,
    retryBaseMs: 20,
    priceOf,
    ...overrides,
  });

const marked =
  (scenario: string) =>
  (request: ImageRequest): ImageRequest => ({
    ...request,
    prompt: `${request.prompt} [openai:${scenario}]`,
  });

const callsFor = (request: ImageRequest) => fake.callsForPrompt(request.prompt);

// The contract's slow call must stay slow: a timeout shorter than the stand-in's 2 s delay
// would end it (and retry) on its own, hiding whether the abort did.
describeImageProviderContract(
  "openai (SDK over HTTP to the stand-in)",
  () => openai({ timeoutMs: 10_000 }),
  {
    refusal: { request: marked("refusal") },
    outage: { request: marked("server-error-twice") },
    rateLimit: { request: marked("rate-limited-once") },
    slow: { request: marked("slow-once") },
    callsSeen: (request) => callsFor(request).length,
    aspectRatios: ["1:1", "3:2", "2:3"],
  },
);

const request = (scenario: string, overrides: Partial<ImageRequest> = {}): ImageRequest => ({
  prompt: `a lighthouse at dusk [openai:${scenario}] ${randomUUID()}`,
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

describe("OpenAI adapter", () => {
  it("asks for the size of the ratio's orientation at the tier's quality, and prices what it drew", async () => {
    const asked = request("ok", { aspectRatio: "16:9" });
    const result = await openai().generate(asked);
    expect(result).toMatchObject({
      provider: "openai",
      model: GPT_IMAGE_2,
      mimeType: "image/png",
      costUsd: 0.041,
      calls: 1,
      usage: { outputTokens: 1584 },
    });
    expect(await sharp(result.bytes).metadata()).toMatchObject({
      format: "png",
      width: 1536,
      height: 1024,
    });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({
        endpoint: "generations",
        model: GPT_IMAGE_2,
        apiKey: "sk-test",
        size: "1536x1024",
        quality: "medium",
        outputFormat: "png",
        status: 200,
      }),
    ]);
  });

  it("maps every ratio onto its orientation's size, and each tier onto low, medium or high", async () => {
    const provider = openai();
    const sent: Record<string, string | undefined> = {};
    for (const aspectRatio of ASPECT_RATIOS) {
      const asked = request("ok", { aspectRatio });
      await provider.generate(asked);
      sent[aspectRatio] = callsFor(asked)[0]?.size;
    }
    const sizes: Record<AspectRatio, string> = {
      "1:1": "1024x1024",
      "2:3": "1024x1536",
      "3:2": "1536x1024",
      "3:4": "1024x1536",
      "4:3": "1536x1024",
      "4:5": "1024x1536",
      "5:4": "1536x1024",
      "9:16": "1024x1536",
      "16:9": "1536x1024",
      "21:9": "1536x1024",
    };
    expect(sent).toEqual(sizes);
    const draft = request("ok", { quality: "draft" });
    const premium = request("ok", {
      quality: "premium",
      aspectRatio: "9:16",
      model: GPT_IMAGE_1_5,
    });
    expect((await provider.generate(draft)).costUsd).toBe(0.006);
    expect((await provider.generate(premium)).costUsd).toBe(0.2);
    expect([callsFor(draft)[0]?.quality, callsFor(premium)[0]?.quality]).toEqual(["low", "high"]);
  });

  it("edits when the request carries references: each goes as an image file, in order, HEIF as PNG", async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    const jpeg = await sharp(png).jpeg().toBuffer();
    const heif = await sharp(png).heif({ compression: "av1" }).toBuffer();
    const asked = request("ok", {
      aspectRatio: "2:3",
      references: [
        { bytes: jpeg, mimeType: "image/jpeg" },
        { bytes: png, mimeType: "image/png" },
        { bytes: heif, mimeType: "image/heif" },
      ],
    });
    const result = await openai().generate(asked);
    expect(result).toMatchObject({ calls: 1, costUsd: 0.041 });
    expect(callsFor(asked)).toEqual([
      expect.objectContaining({
        endpoint: "edits",
        size: "1024x1536",
        images: ["image/jpeg", "image/png", "image/png"],
        status: 200,
      }),
    ]);
  });

  it("waits out a 429's retry-after and succeeds on exactly one retry", async () => {
    const asked = request("rate-limited-once");
    const result = await openai().generate(asked);
    expect(result).toMatchObject({ calls: 2 });
    const [first, second] = callsFor(asked);
    expect([first?.status, second?.status]).toEqual([429, 200]);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it("stops waiting out a rate limit when the signal is aborted: no second call", async () => {
    const asked = request("rate-limited-once");
    const controller = new AbortController();
    const pending = openai().generate(asked, { signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(900);
    expect(callsFor(asked).map((c) => c.status)).toEqual([429]);
  });

  it("maps a refused prompt to SAFETY_BLOCKED after one call, and marks a refused drawing", async () => {
    const asked = request("refusal");
    const error = await failure(openai().generate(asked));
    expect(error).toMatchObject({
      code: "SAFETY_BLOCKED",
      retryable: false,
      details: { calls: 1, model: GPT_IMAGE_2 },
    });
    expect(error.message).toMatch(/safety system refused the prompt \(violence\).*Rephrase/);
    expect((error.details as { refusedImage?: boolean }).refusedImage).toBeUndefined();
    expect(callsFor(asked)).toHaveLength(1);
    const drawing = await failure(openai().generate(request("refusal-output")));
    expect(drawing).toMatchObject({ code: "SAFETY_BLOCKED", details: { refusedImage: true } });
  });

  it("does not retry a 429 that says the account is out of credit", async () => {
    const asked = request("quota-exceeded");
    const error = await failure(openai().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(/out of credit \(insufficient_quota\)/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("retries 500s with backoff and succeeds on the third call", async () => {
    const asked = request("server-error-twice");
    expect(await openai().generate(asked)).toMatchObject({ calls: 3 });
    expect(callsFor(asked).map((c) => c.status)).toEqual([500, 500, 200]);
  });

  it("fails a model that keeps answering 503 retryably, after its retries", async () => {
    const asked = request("always-503");
    const error = await failure(openai().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true, details: { calls: 3 } });
    expect(error.message).toMatch(/answered 503: The server is overloaded.*gave up after 3 calls/);
  });

  it("retries a call that runs past the timeout", async () => {
    const asked = request("slow-once");
    expect(await openai().generate(asked)).toMatchObject({ calls: 2 });
    // The first is recorded when the stand-in sees the client go, so sorted: the order is a race.
    expect(
      callsFor(asked)
        .map((c) => c.status)
        .sort(),
    ).toEqual([200, 499]);
  });

  it("fails a model OpenAI no longer serves without retrying, naming the models it may use", async () => {
    const asked = request("ok", { model: "gpt-image-1" });
    const error = await failure(openai().generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(
      /gpt-image-1 is not available \(404: The model `gpt-image-1` does not exist/,
    );
    expect(error.message).toMatch(/gpt-image-2, gpt-image-1\.5, gpt-image-2\.6-flare/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("does not retry a wrong API key (401), and says what OpenAI said", async () => {
    const asked = request("ok");
    const error = await failure(openai({ apiKey: "sk-wrong" }).generate(asked));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: false });
    expect(error.message).toMatch(/refused the request \(401 invalid_api_key\): Incorrect API key/);
    expect(callsFor(asked)).toHaveLength(1);
  });

  it("refuses a size it cannot draw before calling OpenAI", async () => {
    const asked = request("ok", { imageSize: "2K" });
    const error = await failure(openai().generate(asked));
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect(error.message).toMatch(/draws about 1K only/);
    expect(callsFor(asked)).toHaveLength(0);
  });
});
