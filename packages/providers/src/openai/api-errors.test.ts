import { describe, expect, it } from "vitest";
import { openAIRetryAfterMs, parseResetDuration } from "./api-errors.ts";

describe("parseResetDuration", () => {
  it("reads the durations x-ratelimit-reset-* carry", () => {
    expect(parseResetDuration("1s")).toBe(1_000);
    expect(parseResetDuration("20ms")).toBe(20);
    expect(parseResetDuration("6m0s")).toBe(360_000);
    expect(parseResetDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseResetDuration("soon")).toBeUndefined();
    expect(parseResetDuration("5 s")).toBeUndefined();
  });
});

describe("openAIRetryAfterMs", () => {
  it("prefers retry-after-ms, then retry-after", () => {
    expect(openAIRetryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "3" }))).toBe(
      250,
    );
    expect(openAIRetryAfterMs(new Headers({ "retry-after": "3" }))).toBe(3_000);
  });

  it("else waits for the longest reset of the limits that are used up", () => {
    const headers = new Headers({
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1s",
      "x-ratelimit-remaining-tokens": "0",
      "x-ratelimit-reset-tokens": "6m0s",
      "x-ratelimit-remaining-images": "3",
      "x-ratelimit-reset-images": "1h0m0s",
    });
    expect(openAIRetryAfterMs(headers)).toBe(360_000);
  });

  it("says nothing when OpenAI did not", () => {
    expect(
      openAIRetryAfterMs(new Headers({ "x-ratelimit-remaining-requests": "4" })),
    ).toBeUndefined();
    expect(openAIRetryAfterMs(undefined)).toBeUndefined();
  });
});
