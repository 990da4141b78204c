import { describe, expect, it } from "vitest";
import { nearestAspectRatio, orientationOf } from "./aspect-ratios.ts";
import { ASPECT_RATIOS } from "./taxonomy.ts";

describe("nearestAspectRatio", () => {
  it("keeps a ratio the model draws", () => {
    for (const ratio of ASPECT_RATIOS) expect(nearestAspectRatio(ratio, ASPECT_RATIOS)).toBe(ratio);
  });

  it("maps every ratio onto a model that draws only 1:1, 3:2 and 2:3 by its orientation", () => {
    const drawn = ["1:1", "3:2", "2:3"] as const;
    expect(Object.fromEntries(ASPECT_RATIOS.map((r) => [r, nearestAspectRatio(r, drawn)]))).toEqual(
      {
        "1:1": "1:1",
        "2:3": "2:3",
        "3:2": "3:2",
        "3:4": "2:3",
        "4:3": "3:2",
        "4:5": "2:3",
        "5:4": "3:2",
        "9:16": "2:3",
        "16:9": "3:2",
        "21:9": "3:2",
      },
    );
  });

  it("takes the nearest as a factor: 4:3 becomes 5:4 (6% off), not 3:2 (12.5% off)", () => {
    expect(nearestAspectRatio("4:3", ["5:4", "3:2", "16:9"])).toBe("5:4");
    expect(nearestAspectRatio("3:4", ["4:5", "2:3", "9:16"])).toBe("4:5");
  });

  it("never crosses orientation, even when a square is nearer", () => {
    expect(nearestAspectRatio("5:4", ["1:1", "21:9"])).toBe("21:9");
    expect(nearestAspectRatio("4:5", ["1:1", "16:9"])).toBeUndefined();
  });
});

describe("orientationOf", () => {
  it("tells square, landscape and portrait apart", () => {
    expect(["1:1", "16:9", "9:16"].map(orientationOf)).toEqual(["square", "landscape", "portrait"]);
  });
});
