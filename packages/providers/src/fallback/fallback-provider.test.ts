import { AppError } from "@nanobanana/errors";
import { describe, expect, it } from "vitest";
import type { ImageProvider, ImageRequest } from "../image-provider.ts";
import { createFallbackProvider } from "./fallback-provider.ts";

/** A maker that answers as told, and remembers the budget it was given. */
function maker(name: string, answer: "ok" | "down" | "refuse" | "invalid") {
  const budgets: Array<number | undefined> = [];
  const provider: ImageProvider = {
    name,
    models: [`${name}-model`],
    defaultModel: `${name}-model`,
    async generate(request, options = {}) {
      budgets.push(options.maxCalls);
      if (answer === "down") {
        // A maker that retries spends every call it is given.
        throw new AppError("PROVIDER_ERROR", `${name} is down`, {
          retryable: true,
          details: { calls: options.maxCalls ?? 1 },
        });
      }
      if (answer === "refuse") throw new AppError("SAFETY_BLOCKED", `${name} refused`);
      if (answer === "invalid")
        throw new AppError("INVALID_REQUEST", `${name} takes no such thing`);
      return {
        bytes: Buffer.from("png"),
        mimeType: "image/png",
        provider: name,
        model: request.model ?? provider.defaultModel,
        costUsd: 0.01,
        calls: 1,
      };
    },
  };
  return { provider, budgets };
}

const request: ImageRequest = {
  prompt: "a lighthouse",
  subject: "a lighthouse",
  label: { domain: "photography", subcategory: "landscape" },
  quality: "standard",
  aspectRatio: "1:1",
};
const breaker = { failures: 2, openMs: 60_000 };

describe("createFallbackProvider", () => {
  it("keeps a call for each maker after the first, so a failing maker cannot spend them all", async () => {
    const a = maker("a", "down");
    const b = maker("b", "down");
    const c = maker("c", "ok");
    const fallback = createFallbackProvider([a, b, c], { breaker });
    const result = await fallback.generate(request, { maxCalls: 6 });
    expect(a.budgets).toEqual([4]);
    expect(b.budgets).toEqual([1]);
    expect(c.budgets).toEqual([1]);
    expect(result).toMatchObject({ provider: "c", calls: 6 });
    expect(result.fallbackReason).toBe("a failed (a is down); b failed (b is down)");
  });

  it("draws a model the caller named with its own maker only, and passes a refusal straight on", async () => {
    const a = maker("a", "ok");
    const b = maker("b", "down");
    const named = createFallbackProvider([a, b], { breaker });
    await expect(
      named.generate({ ...request, model: "b-model", modelChoice: "requested" }),
    ).rejects.toMatchObject({ code: "PROVIDER_ERROR", retryable: true });
    expect(a.budgets).toEqual([]);

    const refusing = createFallbackProvider([maker("r", "refuse"), a], { breaker });
    await expect(refusing.generate(request)).rejects.toMatchObject({ code: "SAFETY_BLOCKED" });
    expect(a.budgets).toEqual([]);
  });

  it("passes over a maker that refuses the request as invalid without counting it against its circuit", async () => {
    const picky = maker("p", "invalid");
    const ok = maker("o", "ok");
    const fallback = createFallbackProvider([picky, ok], { breaker });
    for (let i = 0; i < 3; i++) await fallback.generate(request);
    expect(picky.budgets).toHaveLength(3);
    expect(fallback.breakers()).toEqual([
      { maker: "p", state: "closed" },
      { maker: "o", state: "closed" },
    ]);
  });

  it("fails retryably, naming why, when every maker's circuit is open", async () => {
    const a = maker("a", "down");
    const fallback = createFallbackProvider([a], { breaker });
    for (let i = 0; i < 2; i++) await expect(fallback.generate(request)).rejects.toThrow();
    const error = await fallback.generate(request).catch((e: AppError) => e);
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true });
    expect((error as AppError).message).toContain("a's circuit is open");
    expect(a.budgets).toHaveLength(2);
  });
});
