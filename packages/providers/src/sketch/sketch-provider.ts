import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { AppError } from "@nanobanana/errors";
import sharp from "sharp";
import {
  type BatchDrawing,
  type BatchItemResult,
  type BatchJobStatus,
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
  /** How long a batch job runs before its images are drawn (0: done at the first check). */
  batchDelayMs?: number;
  /**
   * "stock": one drawing per label, aspect ratio and size, made once and answered to every
   * request without references. A remote model's drawing costs this machine nothing but the
   * bytes it sends; drawing each sketch here (~15 ms of CPU) would make a load test measure
   * the renderer instead of the service. "per-request" (the default) draws each prompt.
   */
  drawing?: "per-request" | "stock";
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
 * Drawings at once in this process. A drawing is CPU work (~15 ms for 1K) in libuv's thread
 * pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), the pool that file writes and
 * post-processing wait in too: more drawings at once than cores draw no faster, and a worker
 * at concurrency 200 queued 200 of them there, every upload of a finished image behind them.
 * So at most one a core, and always a pool thread left for the rest.
 */
const DRAWING_SLOTS = Math.max(
  1,
  Math.min(availableParallelism(), (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 1),
);
let drawing = 0;
const waitingToDraw: Array<() => void> = [];

async function inDrawingSlot<T>(work: () => Promise<T>): Promise<T> {
  if (drawing < DRAWING_SLOTS) drawing++;
  // A finished drawing hands its slot straight to the next in line.
  else await new Promise<void>((resolve) => waitingToDraw.push(resolve));
  try {
    return await work();
  } finally {
    const next = waitingToDraw.shift();
    if (next) next();
    else drawing--;
  }
}

/** Renders a request: the scene, with any reference images framed in. */
function renderSketch(request: ImageRequest, signal?: AbortSignal): Promise<Buffer> {
  return inDrawingSlot(async () => {
    // Given up on while it waited for a slot: nothing to draw.
    signal?.throwIfAborted();
    return drawSketch(request);
  });
}

async function drawSketch(request: ImageRequest): Promise<Buffer> {
  const scene = sharp(Buffer.from(sketchSvg(request)));
  const references = request.references ?? [];
  // With references, each is framed into the scene (the first as the subject); without,
  // the scene alone, exactly as it always was.
  if (references.length > 0) {
    const { width, height } = dimensionsFor(request.aspectRatio, request.imageSize);
    scene.composite(await referenceOverlays(references, width, height));
  }
  return scene.png().toBuffer();
}

const sketchNote = (request: ImageRequest) => {
  const count = request.references?.length ?? 0;
  return count > 0
    ? `Drawn offline by the sketch renderer with ${count} reference image${count === 1 ? "" : "s"} framed in; not model output.`
    : "Drawn offline by the sketch renderer; not model output.";
};

/** A prompt marker that makes the sketch's batch mode fail as Gemini's can ([sketch:…]). */
const hasMarker = (request: ImageRequest, marker: string) =>
  request.prompt.includes(`[sketch:${marker}]`) || request.subject.includes(`[sketch:${marker}]`);

const SKETCH_BATCH_ID = /^sketch-batches\/(\d+)-[0-9a-f]+$/;

/**
 * The sketch's batch mode, for trying the economy tier offline. It keeps nothing in memory:
 * the job's id carries when it was submitted, so any worker (or one restarted after a crash)
 * can check it. A job runs until `batchDelayMs` after that, then every request is drawn as
 * `generate` draws it, free. `[sketch:batch-expire]` in any request makes the job expire;
 * `[sketch:item-refused]` makes that request's answer a refusal (SAFETY_BLOCKED).
 */
function sketchBatch(batchDelayMs: number): BatchDrawing {
  return {
    async submit(model, requests, { name, signal }) {
      signal?.throwIfAborted();
      if (requests.length === 0)
        throw new AppError("INVALID_REQUEST", "a batch job needs at least one request");
      const now = Date.now();
      return {
        id: `sketch-batches/${now}-${randomBytes(6).toString("hex")}`,
        model,
        name,
        submittedAt: new Date(now).toISOString(),
      };
    },
    async check(job, requests, { signal } = {}): Promise<BatchJobStatus> {
      signal?.throwIfAborted();
      const submittedMs = Number(job.id.match(SKETCH_BATCH_ID)?.[1] ?? Number.NaN);
      if (!Number.isFinite(submittedMs))
        throw new AppError("PROVIDER_ERROR", `"${job.id}" is not a sketch batch job id`);
      if (Date.now() < submittedMs + batchDelayMs) return { state: "running" };
      if (requests.some((r) => hasMarker(r, "batch-expire")))
        return {
          state: "expired",
          message: `sketch batch job ${job.id} expired ([sketch:batch-expire])`,
        };
      const results: BatchItemResult[] = [];
      for (const request of requests) {
        signal?.throwIfAborted();
        if (hasMarker(request, "item-refused")) {
          results.push({
            key: request.key,
            ok: false,
            code: "SAFETY_BLOCKED",
            message: `${SKETCH_MODEL} would not draw this ([sketch:item-refused]). Rephrase the prompt and submit again.`,
            retryable: false,
          });
          continue;
        }
        results.push({
          key: request.key,
          ok: true,
          image: {
            bytes: await renderSketch(request, signal),
            mimeType: "image/png",
            provider: "sketch",
            model: SKETCH_MODEL,
            costUsd: 0,
            note: sketchNote(request),
            calls: 1,
          },
        });
      }
      return { state: "succeeded", results };
    },
    // Nothing runs anywhere to be stopped: a job is only its id.
    async cancel() {},
    // Nothing is remembered by name: a submit lost in a crash is simply submitted again.
    async find() {
      return null;
    },
  };
}

/**
 * The offline provider: draws a real, deterministic picture of the right kind with sharp.
 * Clearly labelled "SKETCH" and free; what `npm start` uses when no Gemini key is set.
 */
export function createSketchProvider(options: SketchOptions = {}): ImageProvider {
  const stock = new Map<string, Promise<Buffer>>();
  const draw = (request: ImageRequest, signal?: AbortSignal) => {
    if (options.drawing !== "stock" || request.references?.length)
      return renderSketch(request, signal);
    const { label, aspectRatio, imageSize = "1K" } = request;
    const key = `${label.domain}/${label.subcategory} ${aspectRatio} ${imageSize}`;
    let bytes = stock.get(key);
    if (!bytes) {
      bytes = renderSketch({ ...request, subject: "stock sketch", prompt: "" });
      // A failed drawing is not kept: the next request draws it again.
      bytes.catch(() => stock.delete(key));
      stock.set(key, bytes);
    }
    return bytes;
  };
  return {
    name: "sketch",
    models: [SKETCH_MODEL],
    defaultModel: SKETCH_MODEL,
    batch: sketchBatch(options.batchDelayMs ?? 0),
    async generate(request, { signal, maxCalls } = {}): Promise<ImageResult> {
      signal?.throwIfAborted();
      if (maxCalls !== undefined && maxCalls < 1) {
        throw new AppError(
          "PROVIDER_ERROR",
          `no provider calls left (maxCalls ${maxCalls}): the sketch renderer draws nothing`,
          { details: { calls: 0 } },
        );
      }
      // The simulated latency is the model's whole answer time, as a remote model's is: the
      // drawing is done while it runs, not after it, so a delay of 3.5 s answers in 3.5 s (the
      // drawing's CPU is still spent here; only no longer added on top of the wait).
      const [bytes] = await Promise.all([
        draw(request, signal),
        options.delayMs ? sleep(options.delayMs, undefined, { signal }) : undefined,
      ]);
      // Rendering cannot be interrupted; a caller who gave up while it ran gets no image.
      signal?.throwIfAborted();
      return {
        bytes,
        mimeType: "image/png",
        provider: "sketch",
        model: SKETCH_MODEL,
        costUsd: 0,
        note: sketchNote(request),
        calls: 1,
      };
    },
  };
}
