import type { GenerateContentResponse } from "@google/genai";
import { AppError } from "@nanobanana/errors";

/** finishReason / blockReason values that mean "refused on policy grounds". Retrying repeats the refusal. */
export const SAFETY_REASONS = new Set([
  "SAFETY",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "RECITATION",
  "IMAGE_RECITATION",
]);

/** Reasons the model drew nothing without refusing: it happens now and then with the flash image model. */
const DREW_NOTHING = new Set(["NO_IMAGE", "IMAGE_OTHER", "MAX_TOKENS"]);

export interface DrawnImage {
  bytes: Buffer;
  mimeType: string;
  note: string | undefined;
  usage: { inputTokens: number; outputTokens: number; totalTokens: number } | undefined;
}

const quote = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/**
 * Reads a conversational, multi-part answer: the first image in any candidate and any part,
 * whatever the order, with the text parts kept as the model's note. No image means a
 * safety block (SAFETY_BLOCKED, never retried) or a PROVIDER_ERROR that says what came back.
 */
export function interpretResponse(response: GenerateContentResponse, model: string): DrawnImage {
  const blockReason = response.promptFeedback?.blockReason;
  if (blockReason) {
    throw new AppError(
      "SAFETY_BLOCKED",
      `${model} blocked the prompt (${blockReason}${response.promptFeedback?.blockReasonMessage ? `: ${response.promptFeedback.blockReasonMessage}` : ""}). Rephrase it without the flagged content and submit again.`,
    );
  }
  const texts: string[] = [];
  let image: { data: string; mimeType: string } | undefined;
  for (const candidate of response.candidates ?? []) {
    for (const part of candidate.content?.parts ?? []) {
      if (part.inlineData?.data && !image) {
        image = { data: part.inlineData.data, mimeType: part.inlineData.mimeType ?? "image/png" };
      } else if (part.text && !part.thought) {
        texts.push(part.text.trim());
      }
    }
  }
  const meta = response.usageMetadata;
  const usage = meta
    ? {
        inputTokens: meta.promptTokenCount ?? 0,
        outputTokens: meta.candidatesTokenCount ?? 0,
        totalTokens: meta.totalTokenCount ?? 0,
      }
    : undefined;
  if (image) {
    return {
      bytes: Buffer.from(image.data, "base64"),
      mimeType: image.mimeType,
      note: texts.join(" ") || undefined,
      usage,
    };
  }

  const reasons = (response.candidates ?? [])
    .map((c) => String(c.finishReason ?? ""))
    .filter(Boolean);
  const safety = reasons.find((r) => SAFETY_REASONS.has(r));
  if (safety) {
    throw new AppError(
      "SAFETY_BLOCKED",
      `${model} would not draw this (${safety}). Rephrase the prompt without the flagged content and submit again.`,
      // The prompt passed; the picture drawn from it did not: a plainer brief may pass.
      { details: { refusedImage: true } },
    );
  }
  const nothing = reasons.find((r) => DREW_NOTHING.has(r));
  if (nothing) {
    throw new AppError(
      "PROVIDER_ERROR",
      `${model} drew nothing (finishReason ${nothing}); not a safety block, it happens now and then, so it will be tried again`,
      { retryable: true },
    );
  }
  if (texts.length > 0) {
    throw new AppError(
      "PROVIDER_ERROR",
      `${model} answered with text and no image: "${quote(texts.join(" "))}"`,
      { details: { refusedImage: true } },
    );
  }
  throw new AppError(
    "PROVIDER_ERROR",
    `${model} returned no image and no reason (${(response.candidates ?? []).length} candidates, finishReason ${reasons.join(", ") || "none"})`,
    { retryable: true },
  );
}
