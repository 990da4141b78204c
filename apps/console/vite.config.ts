import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

/**
 * The console is served by the API itself (index.html at /, the bundle under /assets/), under a
 * CSP that allows scripts from 'self' only: Vite's module entry is a file, never inline. `npm run
 * dev -w @nanobanana/console` proxies the API's routes to a local `npm start` on :8080.
 */
export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    sourcemap: false,
    // A module preload polyfill would be an extra script; every browser we target has it.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // Everything but Vite's own files goes to the API (`npm start` on :8080).
    proxy: { "^/(?!$|index\\.html|src/|@|node_modules/).*": "http://localhost:8080" },
  },
});
