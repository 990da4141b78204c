import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { zipImages } from "./zip.ts";

describe("zipImages", () => {
  it("stores the files as they are, and gives clashing names a number", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const zip = zipImages([
      { name: "0001-mug.png", bytes: png },
      { name: "0001-mug.png", bytes: new Uint8Array([9]) },
    ]);
    // Stored (method 0) in the local file header, not deflated.
    expect(zip[8]).toBe(0);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(["0001-mug.png", "0001-mug-2.png"]);
    expect([...(files["0001-mug.png"] ?? [])]).toEqual([...png]);
  });
});
