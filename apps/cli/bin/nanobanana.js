#!/usr/bin/env node
// The `nanobanana` command. In the repository it runs the TypeScript source through tsx; a
// built package (npm run build: dist/main.js) runs the bundle.
import { existsSync } from "node:fs";

const source = new URL("../src/main.ts", import.meta.url);
const bundle = new URL("../dist/main.js", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import(bundle.href);
}
