import { describe, expect, it } from "vitest";
import { fileName, ms, percent, stageLabel, usd } from "./format.ts";

describe("formatting", () => {
  it("money, shares and times read plainly", () => {
    expect(usd(0)).toBe("$0.00");
    expect(usd(0.134)).toBe("$0.1340");
    expect(usd(0.0335)).toBe("$0.0335");
    expect(usd(13.4)).toBe("$13.40");
    expect(usd(0.0045)).toBe("$0.0045");
    expect(usd(null)).toBe("—");
    expect(percent(0.892)).toBe("89%");
    expect(percent(0.001)).toBe("<1%");
    expect(percent(0)).toBe("0%");
    expect(percent(0.5, 1)).toBe("50.0%");
    expect(ms(56)).toBe("56 ms");
    expect(ms(1500)).toBe("1.50 s");
  });

  it("names stages and timings alike", () => {
    expect(stageLabel("post_process")).toBe("Post-process");
    expect(stageLabel("postProcess")).toBe("Post-process");
    expect(stageLabel("classify")).toBe("Classify");
  });

  it("makes file names from prompts", () => {
    expect(fileName(0, "A red sneaker, on white!", "image/png")).toBe(
      "0001-a-red-sneaker-on-white.png",
    );
    expect(fileName(41, "   ", "image/jpeg")).toBe("0042-image.jpg");
    expect(fileName(2, "Café crème", "image/webp")).toBe("0003-cafe-creme.webp");
  });
});
