import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import sharp from "sharp";

/**
 * What the OpenAI and Stability AI stand-ins share: reading bodies, drawing real images of a
 * size, picking a scenario from a marker in the prompt, answering slowly, listening and closing.
 */

export async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A multipart/form-data body as the maker's server sees it; null when it is not one. */
export async function readForm(req: IncomingMessage, body: Buffer): Promise<FormData | null> {
  const contentType = String(req.headers["content-type"] ?? "");
  if (!contentType.startsWith("multipart/form-data")) return null;
  try {
    return await new Response(new Uint8Array(body), {
      headers: { "content-type": contentType },
    }).formData();
  } catch {
    return null;
  }
}

/** The markers for `maker` in a prompt: "a cat [openai:refusal]" → ["refusal"]. */
export function markersIn(prompt: string, maker: string): string[] {
  return [...prompt.matchAll(new RegExp(`\\[${maker}:([a-z0-9-]+)\\]`, "g"))].flatMap((m) =>
    m[1] ? [m[1]] : [],
  );
}

export type ImageFormat = "png" | "jpeg" | "webp";

const imageCache = new Map<string, Promise<Buffer>>();

/** A real image of that size and format, one flat colour (cached: tests ask for few sizes). */
export function drawImage(
  width: number,
  height: number,
  format: ImageFormat,
  background: string,
): Promise<Buffer> {
  const key = `${width}x${height}.${format}.${background}`;
  let cached = imageCache.get(key);
  if (!cached) {
    cached = sharp({ create: { width, height, channels: 3, background } })
      .toFormat(format)
      .toBuffer();
    imageCache.set(key, cached);
  }
  return cached;
}

/** The MIME type of an image's bytes, as the maker would sniff it; undefined when not an image. */
export async function sniffImage(bytes: Uint8Array): Promise<string | undefined> {
  try {
    const { format } = await sharp(bytes).metadata();
    return format ? `image/${format}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits `ms` before answering; true as soon as the client goes away meanwhile (an abort or a
 * timeout on its side), so the stand-in records that call, unanswered, before any retry of it.
 */
export async function answerSlowly(res: ServerResponse, ms: number): Promise<boolean> {
  const stop = new AbortController();
  // Not req.destroyed: a request whose body has been read is destroyed already.
  const gone = new Promise<boolean>((resolve) => res.once("close", () => resolve(true)));
  const waited = sleep(ms, false, { signal: stop.signal });
  try {
    return await Promise.race([gone, waited]);
  } finally {
    stop.abort();
    waited.catch(() => {});
  }
}

export async function listen(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** "Bearer sk-…" → "sk-…". */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = String(req.headers.authorization ?? "");
  const match = header.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}
