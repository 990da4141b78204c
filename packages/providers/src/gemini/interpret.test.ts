import type { GenerateContentResponse } from "@google/genai";
import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "./gemini-provider.ts";
import { interpretResponse, SAFETY_REASONS } from "./interpret.ts";

const image = {
  inlineData: { mimeType: "image/png", data: Buffer.from("png").toString("base64") },
};
const answer = (r: object) => r as GenerateContentResponse;

describe("interpretResponse", () => {
  it("takes the first image from any candidate and part, keeping text as the note", () => {
    const drawn = interpretResponse(
      answer({
        candidates: [
          { content: { parts: [{ text: "thinking…", thought: true }, { text: "Here" }] } },
          { content: { parts: [image, { text: "done" }] } },
        ],
      }),
      "m",
    );
    expect(drawn.bytes.toString()).toBe("png");
    expect(drawn.note).toBe("Here done");
  });

  it.each([...SAFETY_REASONS])("treats finishReason %s as a safety block", (reason) => {
    expect(() =>
      interpretResponse(answer({ candidates: [{ finishReason: reason }] }), "m"),
    ).toThrow(expect.objectContaining({ code: "SAFETY_BLOCKED", retryable: false }));
  });

  it.each(["NO_IMAGE", "IMAGE_OTHER"])(
    "says the model drew nothing on %s, and that it is worth retrying",
    (reason) => {
      expect(() =>
        interpretResponse(answer({ candidates: [{ finishReason: reason }] }), "m"),
      ).toThrow(
        expect.objectContaining({
          code: "PROVIDER_ERROR",
          retryable: true,
          message: expect.stringMatching(/drew nothing .*not a safety block/),
        }),
      );
    },
  );
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(
      parseRetryAfter(new Date(Date.UTC(2026, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2026, 0, 1)),
    ).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});
