import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@nanobanana/errors";
import sharp from "sharp";
import {
  dimensionsFor,
  type ImageProvider,
  type ImageRequest,
  type ImageResult,
} from "../image-provider.ts";
import { readCues } from "./cues.ts";
import { sketchBadge } from "./label.ts";
import { paletteFrom, seededRandom } from "./random.ts";
import { referenceOverlays } from "./references.ts";
import { drawScene } from "./scenes.ts";

export const SKETCH_MODEL = "sketch-v1";

export interface SketchOptions {
  /** Simulated model latency, for load tests. */
  delayMs?: number;
}

/**
 * Renders the SVG for a request: a pure function of subject, label, aspect ratio and size.
 * The kind of object and its colours are read from the subject (what the user typed), not
 * the enhanced prompt, whose template words ("pure white background", "golden hour") are
 * the brief's, not the user's; the prompt is read only when there is no subject.
 */
export function sketchSvg(
  request: Pick<ImageRequest, "subject" | "label" | "aspectRatio" | "imageSize"> & {
    prompt?: string;
  },
): string {
  const { width: w, height: h } = dimensionsFor(request.aspectRatio, request.imageSize);
  const random = seededRandom(
    `${request.subject}\u0000${request.label.domain}/${request.label.subcategory}`,
  );
  const palette = paletteFrom(random);
  const cues = readCues(request.subject.trim() || (request.prompt ?? ""));
  const scene = drawScene({ w, h, random, palette, label: request.label, cues });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">${scene}${sketchBadge(w, h)}</svg>`;
}

/**
 * The offline provider: draws a real, deterministic picture of the right kind with sharp.
 * Clearly labelled "SKETCH" and free; what `npm start` uses when no Gemini key is set.
 */
export function createSketchProvider(options: SketchOptions = {}): ImageProvider {
  return {
    name: "sketch",
    models: [SKETCH_MODEL],
    defaultModel: SKETCH_MODEL,
    async generate(request, { signal, maxCalls } = {}): Promise<ImageResult> {
      signal?.throwIfAborted();
      if (maxCalls !== undefined && maxCalls < 1) {
        throw new AppError(
          "PROVIDER_ERROR",
          `no provider calls left (maxCalls ${maxCalls}): the sketch renderer draws nothing`,
          { details: { calls: 0 } },
        );
      }
      if (options.delayMs) await sleep(options.delayMs, undefined, { signal });
      const scene = sharp(Buffer.from(sketchSvg(request)));
      const references = request.references ?? [];
      // With references, each is framed into the scene (the first as the subject); without,
      // the scene alone, exactly as it always was.
      if (references.length > 0) {
        const { width, height } = dimensionsFor(request.aspectRatio, request.imageSize);
        scene.composite(await referenceOverlays(references, width, height));
      }
      const bytes = await scene.png().toBuffer();
      // Rendering cannot be interrupted; a caller who gave up while it ran gets no image.
      signal?.throwIfAborted();
      return {
        bytes,
        mimeType: "image/png",
        provider: "sketch",
        model: SKETCH_MODEL,
        costUsd: 0,
        note:
          references.length > 0
            ? `Drawn offline by the sketch renderer with ${references.length} reference image${references.length === 1 ? "" : "s"} framed in; not model output.`
            : "Drawn offline by the sketch renderer; not model output.",
        calls: 1,
      };
    },
  };
}
