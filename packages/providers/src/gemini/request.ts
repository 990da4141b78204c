import type { Content, Part } from "@google/genai";
import type { ImageRequest } from "../image-provider.ts";

/**
 * What Gemini is asked for one image, in the REST API's own shape: the brief as the first
 * text part, the reference images as inline parts after it (in the request's order), and
 * the image config. `generate` sends it through `models.generateContent` (generationConfig
 * as its `config`); batch mode sends the very same object inlined or as a JSONL line.
 */
export interface ImageContentRequest {
  contents: Content[];
  generationConfig: {
    responseModalities: string[];
    imageConfig: { aspectRatio: string; imageSize: string };
  };
}

export function imageContentRequest(request: ImageRequest): ImageContentRequest {
  const references: Part[] = (request.references ?? []).map((r) => ({
    inlineData: { mimeType: r.mimeType, data: r.bytes.toString("base64") },
  }));
  return {
    contents: [{ role: "user", parts: [{ text: request.prompt }, ...references] }],
    generationConfig: {
      responseModalities: ["TEXT", "IMAGE"],
      imageConfig: { aspectRatio: request.aspectRatio, imageSize: request.imageSize ?? "1K" },
    },
  };
}
