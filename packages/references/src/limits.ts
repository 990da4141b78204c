/**
 * What a reference image may be: what Gemini's image models take inline (7 MB per image;
 * png, jpeg, webp, heic, heif), so anything stored or fetched can be sent on as it is.
 */
export const REFERENCE_LIMITS: {
  maxBytes: number;
  fetchTimeoutMs: number;
  mimeTypes: readonly string[];
} = {
  maxBytes: 7 * 1024 * 1024,
  fetchTimeoutMs: 10_000,
  mimeTypes: ["image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"],
};

/**
 * Most pixels a reference may have. A few MB of PNG can claim a 100k × 100k canvas; every
 * model resizes far below this anyway, and a decoder (the sketch's sharp) must not be asked
 * to open a decompression bomb.
 */
export const MAX_REFERENCE_PIXELS = 50_000_000;

/** "7 MiB (7340032 bytes)": how a limit is said in messages. */
export const sizeLimitText = (maxBytes: number) =>
  maxBytes % (1024 * 1024) === 0
    ? `${maxBytes / (1024 * 1024)} MiB (${maxBytes} bytes)`
    : `${maxBytes} bytes`;
