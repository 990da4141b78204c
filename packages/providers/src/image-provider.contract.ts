import { randomUUID } from "node:crypto";
import {
  ASPECT_RATIOS,
  type AspectRatio,
  nearestAspectRatio,
  orientationOf,
} from "@nanobanana/domain";
import { AppError } from "@nanobanana/errors";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ImageProvider, ImageRequest, ImageResult } from "./image-provider.ts";

/** How an adapter test provokes a situation: a request that causes it, a provider set up for it, or both. */
export interface Provocation {
  /** The request that provokes it, made from the suite's plain request (a marker in the prompt, say). */
  request?: (plain: ImageRequest) => ImageRequest;
  /** A provider set up so that it happens (default: a fresh one from makeProvider). */
  provider?: () => ImageProvider | Promise<ImageProvider>;
}

/**
 * What each adapter says about itself. Every field is required: a provider that cannot be
 * made to refuse, go down or be rate limited says `null`, and the suite states in its own
 * test that it asserts nothing about that for this provider (no hidden skips).
 */
export interface ImageProviderScenarios {
  /** A refusal on policy grounds (what a user's prompt provokes), or null: it never refuses. */
  refusal: Provocation | null;
  /** A transient outage that passes: the first call fails, a later one would answer. */
  outage: Provocation | null;
  /** A rate limit that passes: the first call is told to wait. */
  rateLimit: Provocation | null;
  /**
   * A call that would take the provider at least two seconds to settle (its own timeouts must
   * not end it sooner), to be aborted while it is in flight.
   */
  slow: Provocation;
  /**
   * Calls that reached the model for this request, as the model's side counted them; null when
   * there is nothing to count but the provider's own word (a renderer in the process).
   */
  callsSeen: ((request: ImageRequest) => number) | null;
  /**
   * The ratios it draws true to ASPECT_RATIO_TOLERANCE (all of ASPECT_RATIOS where the maker
   * takes every one). Asked for any other, it must draw the nearest of these in the same
   * orientation (`nearestAspectRatio`): OpenAI's GPT Image models draw 16:9 as 3:2.
   */
  aspectRatios: readonly AspectRatio[];
}

/**
 * How far an image's width/height may be from the requested ratio. Models size images on their
 * own pixel grid: Gemini 2.5 Flash Image answers 4:3 with 1184×864 (1.370, 2.8% over 4:3) and
 * 16:9 with 1344×768 (1.6% under). A wrong orientation or a square for 16:9 is far outside.
 */
export const ASPECT_RATIO_TOLERANCE = 0.03;

/** A rejection this long after the abort is not prompt. Slow calls take at least twice as long. */
const PROMPTLY_MS = 1_000;

/** The MIME types that name a format sharp decoded (it reports AVIF as heif). */
const mimeTypesFor = (format: string | undefined) =>
  format === "heif" ? ["image/heif", "image/avif"] : [`image/${format}`];

/** A request no other test has made, so a stand-in's per-prompt state and call counts are its own. */
function plainRequest(overrides: Partial<ImageRequest> = {}): ImageRequest {
  const subject = "a lighthouse on a cliff at dusk";
  return {
    prompt: `${subject}, golden hour, wide shot (${randomUUID()})`,
    subject,
    label: { domain: "photography", subcategory: "landscape" },
    quality: "standard",
    aspectRatio: "1:1",
    ...overrides,
  };
}

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

async function rejectsWithin(promise: Promise<unknown>, from: number): Promise<unknown> {
  const outcome = await settle(promise);
  const elapsed = Date.now() - from;
  expect(outcome.error, "the call resolved although it was aborted").toBeDefined();
  expect(elapsed, "rejected, but not promptly").toBeLessThan(PROMPTLY_MS);
  return outcome.error;
}

function expectAppError(error: unknown): AppError {
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

/**
 * One behaviour suite for every ImageProvider adapter, as a user of the port would notice it.
 * `makeProvider` gives a fresh provider; `scenarios` says how to provoke what the suite checks.
 */
export function describeImageProviderContract(
  name: string,
  makeProvider: () => ImageProvider | Promise<ImageProvider>,
  scenarios: ImageProviderScenarios,
) {
  const provoke = async (provocation: Provocation) => ({
    provider: await (provocation.provider ?? makeProvider)(),
    request: (provocation.request ?? ((r: ImageRequest) => r))(plainRequest()),
  });
  const expectCallsSeen = (request: ImageRequest, expected: (seen: number) => void) => {
    if (scenarios.callsSeen) expected(scenarios.callsSeen(request));
  };
  const expectWellReported = (provider: ImageProvider, result: ImageResult) => {
    expect(result.provider).toBe(provider.name);
    expect(provider.models).toContain(result.model);
    expect(Number.isFinite(result.costUsd) && result.costUsd >= 0).toBe(true);
    expect(Number.isInteger(result.calls) && result.calls >= 1).toBe(true);
  };

  describe(`ImageProvider contract: ${name}`, () => {
    it("names itself and the models it draws with, the default among them", async () => {
      const provider = await makeProvider();
      expect(provider.name).toMatch(/\S/);
      expect(provider.models.length).toBeGreaterThan(0);
      expect(provider.models).toContain(provider.defaultModel);
    });

    it.each(ASPECT_RATIOS)(
      "draws an image that decodes, labelled with its type, in aspect ratio %s or the nearest it draws in that orientation",
      async (aspectRatio) => {
        const provider = await makeProvider();
        const result = await provider.generate(plainRequest({ aspectRatio }));
        const { info } = await sharp(result.bytes).raw().toBuffer({ resolveWithObject: true });
        const meta = await sharp(result.bytes).metadata();
        expect(mimeTypesFor(meta.format)).toContain(result.mimeType);
        const drawn = `${info.width}×${info.height} for ${aspectRatio}`;
        // Checked on its own, so a model that swaps orientation fails here whatever it claims to draw.
        expect(orientationOf(`${info.width}:${info.height}`), drawn).toBe(
          orientationOf(aspectRatio),
        );
        const target = nearestAspectRatio(aspectRatio, scenarios.aspectRatios);
        expect(target, `it draws no ${orientationOf(aspectRatio)} ratio`).toBeDefined();
        const [w = 1, h = 1] = (target ?? aspectRatio).split(":").map(Number);
        const drift = info.width / info.height / (w / h) - 1;
        expect(Math.abs(drift), `${drawn} (${target} expected)`).toBeLessThanOrEqual(
          ASPECT_RATIO_TOLERANCE,
        );
      },
    );

    it("reports the provider, the default model, a cost and its calls when no model is asked for", async () => {
      const provider = await makeProvider();
      const request = plainRequest();
      const result = await provider.generate(request);
      expectWellReported(provider, result);
      expect(result.model).toBe(provider.defaultModel);
      expectCallsSeen(request, (seen) => expect(seen).toBe(result.calls));
    });

    it("draws with each model of its list when that model is asked for", async () => {
      const provider = await makeProvider();
      for (const model of provider.models) {
        const result = await provider.generate(plainRequest({ model }));
        expectWellReported(provider, result);
        expect(result.model).toBe(model);
      }
    });

    it("rejects at once, without calling the model, when the signal is already aborted", async () => {
      const provider = await makeProvider();
      const request = plainRequest();
      const started = Date.now();
      await rejectsWithin(provider.generate(request, { signal: AbortSignal.abort() }), started);
      expectCallsSeen(request, (seen) => expect(seen).toBe(0));
    });

    it("rejects promptly when the signal is aborted while a slow call is in flight", async () => {
      const { provider, request } = await provoke(scenarios.slow);
      const controller = new AbortController();
      const pending = provider.generate(request, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const abortedAt = Date.now();
      controller.abort();
      await rejectsWithin(pending, abortedAt);
    });

    it("makes no call with maxCalls 0 and fails with an AppError that is not retryable", async () => {
      const provider = await makeProvider();
      const request = plainRequest();
      const error = expectAppError(
        (await settle(provider.generate(request, { maxCalls: 0 }))).error,
      );
      expect(error.retryable).toBe(false);
      expectCallsSeen(request, (seen) => expect(seen).toBe(0));
    });

    it("stays within maxCalls 1 when one call is enough", async () => {
      const provider = await makeProvider();
      const request = plainRequest();
      const result = await provider.generate(request, { maxCalls: 1 });
      expect(result.calls).toBe(1);
      expectCallsSeen(request, (seen) => expect(seen).toBe(1));
    });

    if (scenarios.refusal) {
      const refusal = scenarios.refusal;
      it("maps a refusal to SAFETY_BLOCKED, not retryable, and does not ask again", async () => {
        const { provider, request } = await provoke(refusal);
        const error = expectAppError((await settle(provider.generate(request))).error);
        expect(error).toMatchObject({ code: "SAFETY_BLOCKED", retryable: false });
        expectCallsSeen(request, (seen) => expect(seen).toBeLessThanOrEqual(1));
      });
    } else {
      it("cannot refuse (refusal: null): the suite asserts nothing about refusals for it", () => {
        expect(scenarios.refusal).toBeNull();
      });
    }

    const passing: Array<[string, Provocation | null]> = [
      ["a transient outage", scenarios.outage],
      ["a rate limit", scenarios.rateLimit],
    ];
    for (const [what, provocation] of passing) {
      if (!provocation) {
        it(`cannot meet ${what} (null): the suite asserts nothing about ${what} for it`, () => {
          expect(provocation).toBeNull();
        });
        continue;
      }
      it(`gets past ${what}, or fails it as retryable, never as final`, async () => {
        const { provider, request } = await provoke(provocation);
        const outcome = await settle(provider.generate(request));
        if (outcome.value) {
          expectWellReported(provider, outcome.value);
          expect(outcome.value.calls).toBeGreaterThanOrEqual(2);
          expectCallsSeen(request, (seen) => expect(seen).toBe(outcome.value?.calls));
        } else {
          const error = expectAppError(outcome.error);
          expect(error.code).not.toBe("SAFETY_BLOCKED");
          expect(error.retryable).toBe(true);
        }
      });

      it(`fails ${what} as final, after one call, when maxCalls 1 leaves nothing to retry with`, async () => {
        const { provider, request } = await provoke(provocation);
        const error = expectAppError(
          (await settle(provider.generate(request, { maxCalls: 1 }))).error,
        );
        expect(error.retryable).toBe(false);
        expectCallsSeen(request, (seen) => expect(seen).toBe(1));
      });
    }
  });
}
