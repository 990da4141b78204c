import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { notFound } from "@nanobanana/errors";
import express, { Router } from "express";

/** Where `npm run build:console` writes the web console (apps/console/dist). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../console/dist", import.meta.url));

/**
 * The console's own policy: everything from this server; images may also be blob: URLs
 * (the console fetches images with the API key and shows them as blobs).
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * GET / is the web console (apps/console), files under /assets/ (content-hashed names, so
 * cached for a year); it needs no key to load and signs in with one in the browser.
 */
export function consoleRoutes(dir: string = DEFAULT_CONSOLE_DIR): Router {
  const router = Router();
  const index = join(dir, "index.html");
  router.get("/", (_req, res) => {
    if (!existsSync(index)) {
      throw notFound(
        "the web console is not built here: run `npm run build:console` (npm start does)",
      );
    }
    res
      .set({ "Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache" })
      .sendFile(index);
  });
  router.use(
    "/assets",
    express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", index: false }),
  );
  return router;
}
