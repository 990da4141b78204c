// Builds the publishable package into dist/: ES2022 JavaScript and .d.ts compiled with the DOM
// library and without Node's types (so the main entry cannot lean on Node), and a package.json
// whose exports point at the compiled files. Publish with `npm publish packages/client/dist`.
// In the monorepo the package's own exports point at src/ (TypeScript), like every workspace.
// `node scripts/build.mjs DIR` builds into DIR instead (the build test does).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = process.argv[2] ? resolve(process.argv[2]) : join(root, "dist");
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", dist], {
  stdio: "inherit",
});

const source = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const entry = (name) => ({ types: `./${name}.d.ts`, default: `./${name}.js` });
const manifest = {
  name: source.name,
  version: source.version,
  description: source.description,
  type: "module",
  sideEffects: false,
  main: "./index.js",
  types: "./index.d.ts",
  exports: {
    ".": entry("index"),
    "./webhooks": entry("webhooks"),
    "./package.json": "./package.json",
  },
  dependencies: source.dependencies,
  engines: source.engines,
};
writeFileSync(join(dist, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
for (const file of ["README.md", "LICENSE"]) {
  if (existsSync(join(root, file))) copyFileSync(join(root, file), join(dist, file));
}
process.stdout.write(`built ${manifest.name}@${manifest.version} into ${dist}\n`);
