import { execFileSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The package as it would be published: `npm run build` compiles it with the DOM library and
 * no Node types into a folder with its own manifest; plain Node (no TypeScript loader) then
 * imports both entries from it as a consumer would.
 */
const root = resolve(import.meta.dirname, "..");
const repo = resolve(root, "../..");

describe("the built package", () => {
  it("builds, packs and imports without the monorepo", () => {
    const work = mkdtempSync(join(tmpdir(), "nb-client-build-"));
    const dist = join(work, "dist");
    execFileSync(process.execPath, [join(root, "scripts/build.mjs"), dist], { stdio: "pipe" });

    const manifest = JSON.parse(readFileSync(join(dist, "package.json"), "utf8"));
    expect(manifest).toMatchObject({
      name: "@nanobanana/client",
      type: "module",
      types: "./index.d.ts",
      exports: {
        ".": { types: "./index.d.ts", default: "./index.js" },
        "./webhooks": { types: "./webhooks.d.ts", default: "./webhooks.js" },
      },
      dependencies: { standardwebhooks: expect.any(String) },
    });
    expect(manifest.private).toBeUndefined();
    expect(manifest.devDependencies).toBeUndefined();

    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: dist,
        encoding: "utf8",
      }),
    ) as Array<{ files: Array<{ path: string }> }>;
    const files = (packed[0]?.files ?? []).map((f) => f.path).sort();
    expect(files).toEqual(
      expect.arrayContaining(["index.js", "index.d.ts", "webhooks.js", "README.md"]),
    );
    expect(files.filter((f) => /test|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);

    // The compiled main entry reaches no Node module.
    for (const file of readdirSync(dist).filter((f) => f.endsWith(".js") && f !== "webhooks.js")) {
      expect({
        file,
        node: /from\s+["']node:/.test(readFileSync(join(dist, file), "utf8")),
      }).toEqual({
        file,
        node: false,
      });
    }

    // A consumer with only the package and its one dependency installed.
    const consumer = join(work, "consumer");
    mkdirSync(join(consumer, "node_modules/@nanobanana"), { recursive: true });
    cpSync(dist, join(consumer, "node_modules/@nanobanana/client"), { recursive: true });
    symlinkSync(
      join(repo, "node_modules/standardwebhooks"),
      join(consumer, "node_modules/standardwebhooks"),
    );
    writeFileSync(
      join(consumer, "check.mjs"),
      [
        'import { NanoBanana, EventStreamParser, NanoBananaError } from "@nanobanana/client";',
        'import { verifyWebhook } from "@nanobanana/client/webhooks";',
        'const nb = new NanoBanana({ apiKey: "k", baseUrl: "http://localhost:1" });',
        'const events = new EventStreamParser().feed("event: queued\\ndata: 1\\n\\n");',
        "console.log(JSON.stringify({ nb: typeof nb.run, events, error: typeof NanoBananaError, verify: typeof verifyWebhook }));",
      ].join("\n"),
    );
    const output = execFileSync(process.execPath, ["check.mjs"], {
      cwd: consumer,
      encoding: "utf8",
    });
    expect(JSON.parse(output)).toEqual({
      nb: "function",
      events: [{ id: "", event: "queued", data: "1" }],
      error: "function",
      verify: "function",
    });
  });
});
