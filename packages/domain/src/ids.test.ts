import { describe, expect, it } from "vitest";
import { isGenerationId, newId } from "./ids.ts";

describe("newId", () => {
  it("makes valid, unique generation ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId("gen")));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isGenerationId(id)).toBe(true);
  });

  it("sorts by creation time", () => {
    const earlier = newId("gen", Date.UTC(2026, 0, 1));
    const later = newId("gen", Date.UTC(2026, 0, 1) + 1);
    expect(earlier < later).toBe(true);
  });

  it("rejects anything that is not an id", () => {
    for (const bad of [
      "gen_",
      "gen_../../etc",
      "GEN_01m8667q29v9eg7n3mcpmpfaxh",
      "gen_01m8667q29v9eg7n3mcpmpfax*",
    ]) {
      expect(isGenerationId(bad)).toBe(false);
    }
  });
});
