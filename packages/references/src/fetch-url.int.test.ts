import { mkdtempSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FetchLimits,
  type FetchOptions,
  fetchReference,
  loadReferences,
  REFERENCE_LIMITS,
  saveUpload,
} from "./index.ts";

// Plain http on 127.0.0.1: a local server has no certificate a client would trust, so the
// tests use allowPrivate, the one setting that lets http: and private addresses through.
const local = { allowPrivate: true };
let png: Buffer;
let base: string;
let server: Server;
let inFlight = 0;
let mostInFlight = 0;
/** How many bytes /endless had written when its client went away. */
let endlessWritten = 0;
let endlessClosed: Promise<void>;

const routes: Record<string, (res: ServerResponse) => void> = {
  "/ok.png": (res) => res.writeHead(200, { "content-type": "image/png" }).end(png),
  "/mislabelled": (res) => res.writeHead(200, { "content-type": "text/html" }).end(png),
  "/text": (res) => res.writeHead(200, { "content-type": "image/png" }).end("<html>nope</html>"),
  "/redirect": (res) => res.writeHead(302, { location: "http://169.254.169.254/" }).end(),
  "/missing": (res) => res.writeHead(404).end("not here"),
  "/busy": (res) => res.writeHead(503).end("later"),
  "/slow": () => undefined, // never answers
  "/trickle": (res) => {
    res.writeHead(200, { "content-type": "image/png" });
    const timer = setInterval(() => res.write(Buffer.from([0])), 50);
    res.on("close", () => clearInterval(timer));
  },
  "/declared-huge": (res) =>
    res.writeHead(200, { "content-length": String(REFERENCE_LIMITS.maxBytes + 1) }).end(),
  "/endless": (res) => {
    // No Content-Length: only counting what arrives can stop it.
    res.writeHead(200, { "content-type": "image/png" });
    const chunk = Buffer.alloc(64 * 1024);
    endlessWritten = 0;
    endlessClosed = new Promise((resolve) => res.on("close", () => resolve()));
    const pump = () => {
      while (!res.destroyed && endlessWritten < 64 * 1024 * 1024) {
        endlessWritten += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  },
};

beforeAll(async () => {
  png = await sharp({ create: { width: 20, height: 10, channels: 3, background: "#2e86de" } })
    .png()
    .toBuffer();
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path.startsWith("/counted/")) {
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200).end(png);
      }, 80);
      return;
    }
    (routes[path] ?? ((r: ServerResponse) => r.writeHead(404).end()))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const failureOf = (url: string, options: FetchOptions = local, limits?: FetchLimits) =>
  fetchReference(url, options, limits).then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as Error & { code: string; retryable: boolean },
  );

describe("fetchReference", () => {
  it("fetches an image's bytes", async () => {
    const fetched = await fetchReference(`${base}/ok.png`, local);
    expect(fetched.bytes.equals(png)).toBe(true);
    expect(fetched.contentType).toBe("image/png");
  });

  it("does not follow a redirect, and says so", async () => {
    const error = await failureOf(`${base}/redirect`);
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect(error.message).toMatch(/127\.0\.0\.1:\d+ answered 302, a redirect to http:\/\/169\.254/);
    expect(error.message).toMatch(/redirects are not followed/);
  });

  it("fails for good on a 404", async () => {
    const error = await failureOf(`${base}/missing`);
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect(error.message).toMatch(/reference image from 127\.0\.0\.1:\d+ answered 404/);
  });

  it("fails retryably on a 503", async () => {
    const error = await failureOf(`${base}/busy`);
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
    expect(error.message).toMatch(/answered 503/);
  });

  it("gives up on a server that does not answer in time, retryably", async () => {
    const started = Date.now();
    const error = await failureOf(`${base}/slow`, local, { maxBytes: 1024, timeoutMs: 300 });
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
    expect(error.message).toMatch(/no complete answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("holds a server trickling its body to the same deadline", async () => {
    const error = await failureOf(`${base}/trickle`, local, { maxBytes: 1024, timeoutMs: 300 });
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
  });

  it("fails retryably when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failureOf(`http://127.0.0.1:${port}/x.png`);
    expect(error).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it("refuses a body that says it is over 7 MiB without reading it", async () => {
    const error = await failureOf(`${base}/declared-huge`);
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", retryable: false });
    expect(error.message).toMatch(/at most 7 MiB/);
  });

  it("stops reading a body past 7 MiB and drops the connection", async () => {
    const error = await failureOf(`${base}/endless`);
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", retryable: false });
    await endlessClosed;
    // Socket buffers let a few MB more be written, never the 64 MB on offer.
    expect(endlessWritten).toBeLessThan(32 * 1024 * 1024);
  });

  it("refuses a private address when private addresses are not allowed", async () => {
    const port = new URL(base).port;
    const error = await failureOf(`https://127.0.0.1:${port}/ok.png`, { allowPrivate: false });
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect(error.message).toMatch(
      /reference image from 127\.0\.0\.1:\d+ refused: 127\.0\.0\.1 → 127\.0\.0\.1 is a loopback address; reference images are fetched only from public addresses/,
    );
  });

  it("refuses a host that resolves to a private address (no fetch is made)", async () => {
    const error = await failureOf("https://images.example.com/a.png", {
      allowPrivate: false,
      resolve: async () => [{ address: "10.0.0.7", family: 4 }],
    });
    expect(error).toMatchObject({ code: "INVALID_REQUEST" });
    expect(error.message).toMatch(/images\.example\.com → 10\.0\.0\.7 is a private address/);
  });

  it("refuses plain http unless private addresses are allowed (tests)", async () => {
    const error = await failureOf("http://images.example.com/a.png", { allowPrivate: false });
    expect(error).toMatchObject({ code: "INVALID_REQUEST" });
    expect(error.message).toMatch(/only https URLs are fetched, not http:/);
  });
});

describe("loadReferences with URLs", () => {
  const blobs = createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-references-url-")));

  it("sniffs the real type, whatever the server calls it", async () => {
    const [loaded] = await loadReferences({ blobs, fetchOptions: local }, "alice", [
      `${base}/mislabelled`,
    ]);
    expect(loaded).toMatchObject({ mimeType: "image/png", width: 20, height: 10 });
  });

  it("refuses what is not an image, naming the host", async () => {
    await expect(
      loadReferences({ blobs, fetchOptions: local }, "alice", [`${base}/text`]),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(
        /^images\[0\]: reference image from 127\.0\.0\.1:\d+ is not an image/,
      ),
    });
  });

  it("keeps request order with uploads and URLs mixed, four at a time", async () => {
    const upload = await saveUpload({ blobs }, { userId: "alice", bytes: png });
    const urls = Array.from({ length: 9 }, (_, i) => `${base}/counted/${i}`);
    mostInFlight = 0;
    const sources = [urls[0], upload.id, ...urls.slice(1)] as string[];
    const loaded = await loadReferences({ blobs, fetchOptions: local }, "alice", sources);
    expect(loaded.map((r) => r.source)).toEqual(sources);
    expect(new Set(loaded.map((r) => r.sha256))).toEqual(new Set([upload.sha256]));
    expect(mostInFlight).toBe(4);
  });

  it("passes a retryable failure on as retryable", async () => {
    await expect(
      loadReferences({ blobs, fetchOptions: local }, "alice", [`${base}/ok.png`, `${base}/busy`]),
    ).rejects.toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      retryable: true,
      message: expect.stringMatching(/^images\[1\]: /),
    });
  });
});
