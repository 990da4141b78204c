import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { postProcessImage } from "./post-process.ts";

const png = () =>
  sharp({ create: { width: 64, height: 32, channels: 4, background: "#ff000080" } })
    .png()
    .toBuffer();

describe("postProcessImage", () => {
  it.each([
    ["png", "image/png"],
    ["webp", "image/webp"],
    ["jpeg", "image/jpeg"],
  ] as const)("converts to %s and measures the result", async (format, mimeType) => {
    const out = await postProcessImage(await png(), format);
    const meta = await sharp(out.bytes).metadata();
    expect(meta.format).toBe(format);
    expect(out).toMatchObject({ mimeType, width: 64, height: 32 });
    expect(out.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("leaves an image already in the requested format untouched", async () => {
    const input = await png();
    expect((await postProcessImage(input, "png")).bytes).toBe(input);
  });

  it("fails as a retryable PROVIDER_ERROR when the bytes are not an image", async () => {
    await expect(postProcessImage(Buffer.from("<html>oops</html>"), "png")).rejects.toMatchObject({
      code: "PROVIDER_ERROR",
      retryable: true,
    });
  });
});
