import { createHash } from "node:crypto";
// Not `createRequire`: scripts/build-app.ts's banner declares that name in every bundle.
import { createRequire as requireFrom } from "node:module";
import { dirname, join } from "node:path";
import { Router } from "express";
import { buildOpenApiDocument, type OpenApiOptions } from "./document.ts";

// Swagger UI's browser bundle, served from node_modules (swagger-ui-dist: no dependencies of its
// own, no requests to other hosts), so /docs works offline and with no CDN.
const resolvePackage = requireFrom(import.meta.url);
const SWAGGER_UI_DIR = dirname(resolvePackage.resolve("swagger-ui-dist/package.json"));
const SWAGGER_UI_VERSION = (resolvePackage("swagger-ui-dist/package.json") as { version: string })
  .version;

/** Files of swagger-ui-dist the page loads, by the path they are served at. */
const SWAGGER_UI_FILES: Record<string, string> = {
  "/docs/swagger-ui-bundle.js": "swagger-ui-bundle.js",
  "/docs/swagger-ui.css": "swagger-ui.css",
  "/docs/index.css": "index.css",
  "/docs/favicon-32x32.png": "favicon-32x32.png",
};
const INITIALIZER_PATH = "/docs/swagger-initializer.js";

/** The /docs page's own scripts and styles: routes, but not part of the API the document describes. */
export const DOCS_ASSET_PATHS: readonly string[] = [
  ...Object.keys(SWAGGER_UI_FILES),
  INITIALIZER_PATH,
];

// A file, not an inline script, so the page's CSP needs no 'unsafe-inline'. BaseLayout has no
// top bar (whose URL box would load other documents); validatorUrl null: no badge fetched from
// validator.swagger.io.
const INITIALIZER = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
});
`;

// The query string changes with what the file holds, so browsers may cache the files for good.
const INITIALIZER_VERSION = createHash("sha256").update(INITIALIZER).digest("hex").slice(0, 12);
const asset = (path: string) =>
  `${path}?v=${path === INITIALIZER_PATH ? INITIALIZER_VERSION : SWAGGER_UI_VERSION}`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>NanoBanana API reference</title>
    <link rel="icon" type="image/png" href="${asset("/docs/favicon-32x32.png")}">
    <link rel="stylesheet" href="${asset("/docs/swagger-ui.css")}">
    <link rel="stylesheet" href="${asset("/docs/index.css")}">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <noscript>This page needs JavaScript. The OpenAPI document it renders is <a href="/openapi.json">/openapi.json</a>.</noscript>
    <script src="${asset("/docs/swagger-ui-bundle.js")}"></script>
    <script src="${asset(INITIALIZER_PATH)}"></script>
  </body>
</html>
`;

/**
 * The page's Content-Security-Policy, instead of helmet's: scripts and styles from this server
 * only (Swagger UI sets styles through the CSSOM, which CSP allows, so no 'unsafe-inline');
 * images also as data: (the stylesheet's icons) and blob: (an image answer in "Try it out");
 * requests ("Try it out") to this server and to PUBLIC_URL's origin, which the document names.
 */
export function docsContentSecurityPolicy(publicUrl: string | undefined): string {
  const connect = ["'self'"];
  if (publicUrl) {
    const origin = URL.canParse(publicUrl) ? new URL(publicUrl).origin : undefined;
    if (origin && origin !== "null") connect.push(origin);
  }
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src ${connect.join(" ")}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * GET /openapi.json (the OpenAPI 3.1 document) and GET /docs (it rendered by Swagger UI), with
 * the page's assets. Mounted before authentication: documentation needs no key.
 */
export function docsRoutes(options: OpenApiOptions): Router {
  const router = Router();
  const document = JSON.stringify(buildOpenApiDocument(options));
  const csp = docsContentSecurityPolicy(options.publicUrl);

  router.get("/openapi.json", (_req, res) => {
    res.set("Cache-Control", "no-cache").type("application/json").send(document);
  });
  router.get("/docs", (_req, res) => {
    res
      .set({ "Content-Security-Policy": csp, "Cache-Control": "no-cache" })
      .type("html")
      .send(PAGE);
  });
  router.get(INITIALIZER_PATH, (_req, res) => {
    res.set("Cache-Control", "public, max-age=31536000, immutable").type("js").send(INITIALIZER);
  });
  for (const [path, file] of Object.entries(SWAGGER_UI_FILES)) {
    router.get(path, (_req, res, next) => {
      res.sendFile(join(SWAGGER_UI_DIR, file), { maxAge: "365d", immutable: true }, (error) => {
        if (error && !res.headersSent) next(error);
      });
    });
  }
  return router;
}
