import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ensureConsoleBuilt } from "../apps/console/scripts/ensure-built.ts";

/**
 * The web console's weight as a browser meets it: the JavaScript the first page loads (the
 * entry script and what index.html preloads), gzipped, beside all of it; and a full build.
 */
export async function consoleFigures(): Promise<Array<[string, string]>> {
  const started = performance.now();
  const dist = await ensureConsoleBuilt({ force: true });
  const buildMs = performance.now() - started;
  const html = readFileSync(join(dist, "index.html"), "utf8");
  const firstPage = [
    ...html.matchAll(/<script[^>]+src="\/([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="\/([^"]+\.js)"/g),
  ].map((m) => m[1] as string);
  const gz = (file: string) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  const all = readdirSync(join(dist, "assets"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => `assets/${f}`);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const firstBytes = firstPage.reduce((sum, f) => sum + gz(f), 0);
  return [
    [
      `console: JavaScript of the first page, gzipped (${firstPage.length} file${firstPage.length === 1 ? "" : "s"}; aim < 200 KB)`,
      `${kib(firstBytes)} (${firstBytes} bytes)`,
    ],
    [
      `console: all its JavaScript, gzipped (${all.length} files; charts load with their pages)`,
      kib(all.reduce((sum, f) => sum + gz(f), 0)),
    ],
    ["console: production build (vite)", `${(buildMs / 1000).toFixed(1)} s`],
  ];
}

if (process.argv[1]?.endsWith("console-size.ts")) {
  for (const [figure, value] of await consoleFigures())
    process.stdout.write(`${figure}: ${value}\n`);
}
