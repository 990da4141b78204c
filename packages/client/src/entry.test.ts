import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import manifest from "../package.json" with { type: "json" };

/** Every module `entry` reaches through relative imports, with what each imports from outside. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const source = readFileSync(file, "utf8");
    const specifiers = [...source.matchAll(/(?:import|export)[^"';]*?from\s*["']([^"']+)["']/g)]
      .map((m) => m[1] as string)
      .concat([...source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] as string));
    const external = specifiers.filter((s) => !s.startsWith("."));
    seen.set(file, external);
    for (const s of specifiers.filter((s) => s.startsWith("."))) {
      visit(resolve(dirname(file), s));
    }
  };
  visit(entry);
  return seen;
}

const src = import.meta.dirname;

describe("the package", () => {
  it("main entry imports nothing: no node: modules, no other package (browsers, any bundler)", () => {
    const modules = graph(join(src, "index.ts"));
    expect(modules.size).toBeGreaterThan(3);
    for (const [file, external] of modules) {
      expect({ file, external }).toEqual({ file, external: [] });
    }
  });

  it("the webhooks entry needs only standardwebhooks", () => {
    const external = new Set([...graph(join(src, "webhooks.ts")).values()].flat());
    expect([...external]).toEqual(["standardwebhooks"]);
    expect(Object.keys(manifest.dependencies)).toEqual(["standardwebhooks"]);
  });

  it("has no run-time dependency on another @nanobanana package", () => {
    const runtime = Object.keys(manifest.dependencies ?? {});
    expect(runtime.filter((d) => d.startsWith("@nanobanana/"))).toEqual([]);
    expect(Object.keys(manifest.exports)).toEqual([".", "./webhooks", "./package.json"]);
  });
});
