import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { leanPool } from "./lean-http.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server whose answers the test shapes: JSON with a length, chunks, or a closing answer. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
  server = createServer(handler);
  await new Promise<void>((done) => server?.listen(0, "127.0.0.1", done));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe("leanPool (the load generator's client)", () => {
  it("sends method, path, headers and body, and reads answers by length and by chunks", async () => {
    const url = await serve((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const echo = JSON.stringify({
          method: req.method,
          path: req.url,
          auth: req.headers.authorization,
          body,
        });
        if (req.url === "/chunked") {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.write(echo.slice(0, 5));
          res.end(echo.slice(5));
        } else res.writeHead(202, { "Content-Length": Buffer.byteLength(echo) }).end(echo);
      });
    });
    const pool = leanPool(url);
    const byLength = await pool.request(
      "POST",
      "/generate",
      { Authorization: "Bearer k" },
      '{"é":1}',
    );
    expect(byLength.status).toBe(202);
    expect(JSON.parse(byLength.body)).toEqual({
      method: "POST",
      path: "/generate",
      auth: "Bearer k",
      body: '{"é":1}',
    });
    const chunked = await pool.request("GET", "/chunked", {});
    expect(chunked.status).toBe(200);
    expect(JSON.parse(chunked.body)).toMatchObject({ method: "GET", path: "/chunked", body: "" });
    // Both went over the one keep-alive connection; ten at once open ten.
    expect(pool.opened()).toBe(1);
    await Promise.all(Array.from({ length: 10 }, () => pool.request("GET", "/", {})));
    expect(pool.opened()).toBe(10);
    pool.close();
  });

  it("opens a new connection after the server closed an idle one, and fails a request with no answer", async () => {
    const url = await serve((req, res) => {
      if (req.url === "/never") return;
      res.writeHead(200, { "Content-Length": 2 }).end("ok");
    });
    const pool = leanPool(url, { idleMs: 10_000, timeoutMs: 300 });
    expect((await pool.request("GET", "/", {})).body).toBe("ok");
    server?.closeIdleConnections(); // as a keep-alive timeout does
    await new Promise((r) => setTimeout(r, 100));
    expect((await pool.request("GET", "/", {})).body).toBe("ok");
    expect(pool.opened()).toBe(2);
    await expect(pool.request("GET", "/never", {})).rejects.toThrow(/no answer in 300 ms/);
    pool.close();
  });
});
