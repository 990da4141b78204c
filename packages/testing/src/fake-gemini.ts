import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";

/**
 * A local stand-in for Google's Gemini `generateContent` REST API (v1beta), for tests and
 * for trying the Gemini provider offline. The provider reaches it only through
 * GEMINI_BASE_URL, exactly as it reaches Google.
 *
 * The answer is chosen by a marker anywhere in the prompt, e.g. "a cat [gemini:image-first]",
 * so a scenario also works end to end through `npm start`:
 */
export const SCENARIOS = {
  ok: "text part, then the image (the usual answer), sized for the requested aspect ratio",
  "image-first": "the image part, then a text part",
  "multi-candidate": "first candidate text only, second candidate carries the image",
  "prompt-blocked": "promptFeedback.blockReason SAFETY, no candidates",
  "image-safety": "a candidate with finishReason IMAGE_SAFETY and no content",
  "text-only": "a text-only refusal, finishReason STOP",
  "no-image": "finishReason NO_IMAGE, no content",
  "rate-limited-once":
    "429 RESOURCE_EXHAUSTED with Retry-After: 1 on the first call for this prompt, then ok",
  "server-error-twice": "500 INTERNAL on the first two calls for this prompt, then ok",
  "flash-down": "503 UNAVAILABLE from gemini-3.1-flash-image on every call; other models answer ok",
  "image-safety-once":
    "the first call with this marker since the stand-in started: finishReason IMAGE_SAFETY (the drawing refused, not the prompt); then ok, whatever the brief's wording",
  "always-503": "503 UNAVAILABLE from every model",
  "bad-request": "400 INVALID_ARGUMENT",
  malformed: "200 with a body that is not JSON",
  "slow-once":
    "the first call for this prompt answers only after 3 s (past a short timeout), then ok",
} as const;

export type Scenario = keyof typeof SCENARIOS;

export interface FakeGeminiCall {
  model: string;
  scenario: Scenario;
  /** The prompt's text parts, joined: what tells one request's calls from another's. */
  prompt: string;
  status: number;
  apiKey: string | undefined;
  aspectRatio: string | undefined;
  imageSize: string | undefined;
  /** Images that arrived as inline parts, with their mime types. */
  inlineImages: string[];
  at: number;
}

/**
 * The image models Google serves today (models.get answers 200 for these) and the ids it has
 * shut down (404 NOT_FOUND, on models.get and generateContent alike), as of 2026-11-25.
 */
export const FAKE_GEMINI_MODELS = [
  "gemini-3.1-flash-image",
  "gemini-3-pro-image",
  "gemini-3.1-flash-lite-image",
] as const;
const RETIRED = new Set([
  "gemini-2.5-flash-image",
  "gemini-3.1-flash-image-preview",
  "gemini-3-pro-image-preview",
]);

export interface FakeGemini {
  url: string;
  calls: FakeGeminiCall[];
  callsFor(marker: string): FakeGeminiCall[];
  close(): Promise<void>;
}

/**
 * The pixel sizes Gemini 2.5 Flash Image documents for each aspect ratio (1290 tokens each):
 * sides on its own grid, so 4:3 is 1184×864, not 1024×768. Unknown or absent ratios are square.
 */
const GEMINI_IMAGE_SIZES: Readonly<Record<string, { width: number; height: number }>> = {
  "1:1": { width: 1024, height: 1024 },
  "2:3": { width: 832, height: 1248 },
  "3:2": { width: 1248, height: 832 },
  "3:4": { width: 864, height: 1184 },
  "4:3": { width: 1184, height: 864 },
  "4:5": { width: 896, height: 1152 },
  "5:4": { width: 1152, height: 896 },
  "9:16": { width: 768, height: 1344 },
  "16:9": { width: 1344, height: 768 },
  "21:9": { width: 1536, height: 672 },
};

/** imageSize scales the 1K grid: 512 halves it, 2K doubles it, 4K quadruples it. */
const SIZE_SCALE: Readonly<Record<string, number>> = { "512": 0.5, "1K": 1, "2K": 2, "4K": 4 };

const imageCache = new Map<string, Promise<string>>();
const pngBase64 = (aspectRatio: string | undefined, imageSize: string | undefined) => {
  const base = GEMINI_IMAGE_SIZES[aspectRatio ?? "1:1"] ?? { width: 1024, height: 1024 };
  const scale = SIZE_SCALE[imageSize ?? "1K"] ?? 1;
  const size = { width: Math.round(base.width * scale), height: Math.round(base.height * scale) };
  const key = `${size.width}x${size.height}`;
  let cached = imageCache.get(key);
  if (!cached) {
    cached = sharp({ create: { ...size, channels: 3, background: "#f4c430" } })
      .png()
      .toBuffer()
      .then((b) => b.toString("base64"));
    imageCache.set(key, cached);
  }
  return cached;
};

const usage = { promptTokenCount: 120, candidatesTokenCount: 1290, totalTokenCount: 1410 };

function apiError(
  res: ServerResponse,
  code: number,
  status: string,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(code, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify({ error: { code, message, status } }));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeGemini(
  options: {
    port?: number;
    slowMs?: number;
    /** Told one line per call (npm run fake:gemini prints them), e.g. for checking references. */
    log?: (line: string) => void;
  } = {},
): Promise<FakeGemini> {
  const calls: FakeGeminiCall[] = [];
  const seenPerPrompt = new Map<string, number>();

  const server: Server = createServer(async (req, res) => {
    try {
      // models.get: what the provider asks at start to check a configured model exists.
      const get = req.url?.match(/^\/v1(?:beta|alpha)?\/models\/([^/:?]+)(?:\?.*)?$/);
      if (req.method === "GET" && get?.[1]) {
        const name = decodeURIComponent(get[1]);
        if (!(FAKE_GEMINI_MODELS as readonly string[]).includes(name))
          return apiError(
            res,
            404,
            "NOT_FOUND",
            `models/${name} is not found for API version v1beta`,
          );
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(
          JSON.stringify({
            name: `models/${name}`,
            displayName: name,
            supportedGenerationMethods: ["generateContent", "batchGenerateContent"],
          }),
        );
      }
      const match = req.url?.match(/^\/v1(?:beta|alpha)?\/models\/([^/:?]+):generateContent/);
      if (req.method !== "POST" || !match?.[1])
        return apiError(res, 404, "NOT_FOUND", `no route ${req.method} ${req.url}`);
      const model = decodeURIComponent(match[1]);
      const apiKey =
        (req.headers["x-goog-api-key"] as string | undefined) ??
        new URL(req.url ?? "", "http://x").searchParams.get("key") ??
        undefined;
      const raw = await readBody(req);
      const body = JSON.parse(raw) as {
        contents?: Array<{
          parts?: Array<{ text?: string; inlineData?: { mimeType?: string; data?: string } }>;
        }>;
        generationConfig?: { imageConfig?: { aspectRatio?: string; imageSize?: string } };
      };
      const inlineImages = (body.contents ?? [])
        .flatMap((c) => c.parts ?? [])
        .filter((p) => p.inlineData?.data)
        .map((p) => p.inlineData?.mimeType ?? "?");
      const text = (body.contents ?? [])
        .flatMap((c) => c.parts ?? [])
        .flatMap((p) => (p.text === undefined ? [] : [p.text]))
        .join(" ");
      const scenario = (text.match(/\[gemini:([a-z0-9-]+)\]/)?.[1] ?? "ok") as Scenario;
      const seen = (seenPerPrompt.get(text) ?? 0) + 1;
      seenPerPrompt.set(text, seen);
      const aspectRatio = body.generationConfig?.imageConfig?.aspectRatio;
      const imageSize = body.generationConfig?.imageConfig?.imageSize;
      const record = (status: number) => {
        options.log?.(
          `${status} ${model} [${scenario}] imageConfig ${JSON.stringify({ aspectRatio, imageSize })}, ${inlineImages.length} inline image${inlineImages.length === 1 ? "" : "s"}${inlineImages.length ? ` (${inlineImages.join(", ")})` : ""}`,
        );
        return calls.push({
          model,
          scenario,
          prompt: text,
          status,
          apiKey,
          aspectRatio,
          imageSize,
          inlineImages,
          at: Date.now(),
        });
      };

      if (!apiKey) {
        record(403);
        return apiError(
          res,
          403,
          "PERMISSION_DENIED",
          "Method doesn't allow unregistered callers. Please use an API Key.",
        );
      }
      if (RETIRED.has(model)) {
        record(404);
        return apiError(
          res,
          404,
          "NOT_FOUND",
          `models/${model} is not found for API version v1beta, or is not supported for generateContent.`,
        );
      }
      const image = {
        inlineData: { mimeType: "image/png", data: await pngBase64(aspectRatio, imageSize) },
      };
      const ok = (parts: unknown[], extra: object = {}) => {
        record(200);
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
            usageMetadata: usage,
            modelVersion: model,
            ...extra,
          }),
        );
      };
      const json = (payload: object) => {
        record(200);
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ usageMetadata: usage, modelVersion: model, ...payload }));
      };

      switch (scenario) {
        case "image-first":
          return ok([image, { text: "Here is the image you asked for." }]);
        case "multi-candidate":
          return json({
            candidates: [
              {
                content: { role: "model", parts: [{ text: "Let me draw that." }] },
                finishReason: "STOP",
                index: 0,
              },
              {
                content: { role: "model", parts: [{ text: "Done:" }, image] },
                finishReason: "STOP",
                index: 1,
              },
            ],
          });
        case "prompt-blocked":
          return json({
            promptFeedback: {
              blockReason: "SAFETY",
              safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH" }],
            },
          });
        case "image-safety":
          return json({ candidates: [{ finishReason: "IMAGE_SAFETY", index: 0 }] });
        case "image-safety-once":
          // Counted per marker, not per prompt: the retry's brief is worded differently.
          seenPerPrompt.set(scenario, (seenPerPrompt.get(scenario) ?? 0) + 1);
          if (seenPerPrompt.get(scenario) === 1)
            return json({ candidates: [{ finishReason: "IMAGE_SAFETY", index: 0 }] });
          return ok([{ text: "Here is a plainer take." }, image]);
        case "text-only":
          return ok([{ text: "I can't create that image, but I can describe it in words." }]);
        case "no-image":
          return json({ candidates: [{ finishReason: "NO_IMAGE", index: 0 }] });
        case "rate-limited-once":
          if (seen === 1) {
            record(429);
            return apiError(
              res,
              429,
              "RESOURCE_EXHAUSTED",
              "Resource has been exhausted (e.g. check quota).",
              { "Retry-After": "1" },
            );
          }
          return ok([{ text: "Here you go." }, image]);
        case "server-error-twice":
          if (seen <= 2) {
            record(500);
            return apiError(res, 500, "INTERNAL", "An internal error has occurred.");
          }
          return ok([{ text: "Here you go." }, image]);
        case "flash-down":
          if (model === "gemini-3.1-flash-image") {
            record(503);
            return apiError(
              res,
              503,
              "UNAVAILABLE",
              "The model is overloaded. Please try again later.",
            );
          }
          return ok([{ text: "Drawn by the fallback." }, image]);
        case "always-503":
          record(503);
          return apiError(
            res,
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
          );
        case "bad-request":
          record(400);
          return apiError(res, 400, "INVALID_ARGUMENT", "Request contains an invalid argument.");
        case "malformed":
          record(200);
          res.writeHead(200, { "Content-Type": "application/json" });
          return res.end('{"candidates": [ {"content": ');
        case "slow-once":
          if (seen === 1) {
            // Not req.destroyed: a request whose body has been read is destroyed already.
            let clientGone = false;
            res.on("close", () => {
              clientGone = true;
            });
            await sleep(options.slowMs ?? 3_000);
            if (clientGone) return record(499);
          }
          return ok([{ text: "Sorry for the wait." }, image]);
        default:
          return ok([{ text: "Here is your image." }, image]);
      }
    } catch (error) {
      if (!res.headersSent) apiError(res, 500, "INTERNAL", (error as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsFor: (marker) => calls.filter((c) => c.scenario === marker),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
