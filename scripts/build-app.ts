/**
 * Bundles one app (run from its folder by `npm run build` through turbo) into dist/main.js:
 * our workspace packages are inlined, npm dependencies stay external and come from
 * node_modules at run time (sharp is native and cannot be bundled).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  external: Object.keys(rootManifest.dependencies),
  // ESM output still meets CommonJS code in dependencies that calls require().
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: "info",
});
