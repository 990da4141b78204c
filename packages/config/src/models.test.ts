import { describe, expect, it } from "vitest";
import { imagePriceOf, MODEL_CATALOG, priceTable } from "./models.ts";

describe("imagePriceOf", () => {
  const prices = priceTable({});

  it("prices an OpenAI image by the quality asked for and the orientation drawn", () => {
    const gptImage2 = (
      quality: "draft" | "standard" | "premium",
      aspectRatio: "1:1" | "16:9" | "2:3",
    ) => imagePriceOf(prices, "gpt-image-2", { imageSize: "1K", quality, aspectRatio });
    expect(gptImage2("draft", "1:1")).toBe(0.006);
    expect(gptImage2("standard", "1:1")).toBe(0.053);
    // Drawn 1536x1024 (3:2), which GPT Image 2 bills below a square.
    expect(gptImage2("standard", "16:9")).toBe(0.041);
    expect(gptImage2("premium", "2:3")).toBe(0.165);
    expect(
      imagePriceOf(prices, "gpt-image-1.5", {
        imageSize: "1K",
        quality: "premium",
        aspectRatio: "2:3",
      }),
    ).toBe(0.2);
  });

  it("prices by size alone where quality changes nothing (Gemini, Stability AI)", () => {
    for (const quality of ["draft", "premium"] as const) {
      expect(
        imagePriceOf(prices, "stable-image-ultra", {
          imageSize: "1K",
          quality,
          aspectRatio: "16:9",
        }),
      ).toBe(0.08);
      expect(
        imagePriceOf(prices, "gemini-3.1-flash-image", {
          imageSize: "2K",
          quality,
          aspectRatio: "1:1",
        }),
      ).toBe(0.101);
    }
    expect(
      imagePriceOf(prices, "gpt-image-2", {
        imageSize: "2K",
        quality: "standard",
        aspectRatio: "1:1",
      }),
    ).toBe(0);
  });

  it("lets MODEL_PRICES set one price for every quality of an OpenAI model", () => {
    const overridden = priceTable({ "gpt-image-2": 0.07 });
    for (const quality of ["draft", "standard", "premium"] as const) {
      expect(
        imagePriceOf(overridden, "gpt-image-2", { imageSize: "1K", quality, aspectRatio: "3:2" }),
      ).toBe(0.07);
    }
  });
});

describe("the catalog's makers without a batch mode", () => {
  it("charge their standard price in the batch column, in the catalog and under MODEL_PRICES", () => {
    const noBatch = Object.entries(MODEL_CATALOG).filter(([, spec]) =>
      ["openai", "stability"].includes(spec.provider),
    );
    expect(noBatch.map(([model]) => model).sort()).toEqual([
      "gpt-image-1.5",
      "gpt-image-2",
      "sd3.5-large",
      "sd3.5-large-turbo",
      "sd3.5-medium",
      "stable-image-core",
      "stable-image-ultra",
    ]);
    for (const [, spec] of noBatch) {
      for (const price of Object.values(spec.prices)) expect(price.batchUsd).toBe(price.usd);
    }
    const table = priceTable({ "stable-image-core": 0.04, "gemini-3-pro-image": { "4K": 0.3 } });
    expect(table["stable-image-core"]?.["1K"]).toEqual({ usd: 0.04, batchUsd: 0.04 });
    expect(table["gemini-3-pro-image"]?.["4K"]).toEqual({ usd: 0.3, batchUsd: 0.15 });
  });

  it("list the standard quality's dearest orientation as an OpenAI model's price for its size", () => {
    for (const model of ["gpt-image-2", "gpt-image-1.5"]) {
      const spec = MODEL_CATALOG[model];
      const standard = spec?.qualityPrices?.["1K"]?.standard;
      expect(spec?.prices["1K"]?.usd).toBe(Math.max(...Object.values(standard ?? {})));
    }
  });
});
