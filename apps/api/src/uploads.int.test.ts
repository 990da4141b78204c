import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { UPLOAD_ID } from "@nanobanana/domain";
import { loadReferences, uploadKeyFor } from "@nanobanana/references";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

const ALICE = "alice-key-123";
const BOB = "bob-key-12345";
const stack = apiUnderTest({
  label: "uploads",
  apiKeys: [
    { key: ALICE, userId: "alice", admin: false },
    { key: BOB, userId: "bob", admin: false },
  ],
});
const MAX = 7 * 1024 * 1024;
let server: Server;
let base: string;
let png: Buffer;
let jpeg: Buffer;

beforeAll(async () => {
  png = await sharp({ create: { width: 32, height: 16, channels: 3, background: "#e74c3c" } })
    .png()
    .toBuffer();
  jpeg = await sharp(png).jpeg().toBuffer();
  server = stack.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

/** A POST /uploads from a real client (Node's fetch), as `key`. */
const upload = (body: RequestInit["body"], headers: Record<string, string> = {}, key = ALICE) =>
  fetch(`${base}/uploads`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, ...headers },
    body,
  });
const json = (value: unknown) =>
  [JSON.stringify(value), { "content-type": "application/json" }] as const;
const form = (...files: Array<[field: string, bytes: Buffer | string, type?: string]>) => {
  const data = new FormData();
  for (const [field, bytes, type] of files) {
    data.append(field, new Blob([bytes], type ? { type } : {}), `${field}.bin`);
  }
  return data;
};
/** A PNG padded to `size` bytes (bytes after IEND are ignored by decoders). */
const pngOfSize = (size: number) => Buffer.concat([png, Buffer.alloc(size - png.length)]);

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  if (message) expect(body.error.message).toMatch(message);
  return body.error.message;
}

async function expectUpload(res: Response, mimeType: string, bytes: Buffer) {
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  expect(body).toEqual({
    id: expect.stringMatching(UPLOAD_ID),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    mimeType,
    width: 32,
    height: 16,
    bytes: bytes.length,
    createdAt: expect.any(String),
  });
  return body as { id: string; sha256: string };
}

describe("POST /uploads", () => {
  it("takes a multipart file and keeps it for its owner only", async () => {
    const info = await expectUpload(
      await upload(form(["file", png, "image/png"])),
      "image/png",
      png,
    );
    expect(await stack.blobs.exists(uploadKeyFor("alice", info.id))).toBe(true);
    const deps = { blobs: stack.blobs, fetchOptions: { allowPrivate: false } };
    const [loaded] = await loadReferences(deps, "alice", [info.id]);
    expect(loaded?.bytes.equals(png)).toBe(true);
    expect(loaded?.sha256).toBe(info.sha256);
    await expect(loadReferences(deps, "bob", [info.id])).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("takes a raw image body", async () => {
    await expectUpload(await upload(jpeg, { "content-type": "image/jpeg" }), "image/jpeg", jpeg);
  });

  it("believes the bytes, not the Content-Type: a PNG sent as image/jpeg is a PNG", async () => {
    await expectUpload(await upload(png, { "content-type": "image/jpeg" }), "image/png", png);
  });

  it("takes JSON with base64 data, and a data: URL", async () => {
    await expectUpload(
      await upload(...json({ data: png.toString("base64"), mimeType: "image/png" })),
      "image/png",
      png,
    );
    await expectUpload(
      await upload(...json({ data: `data:image/jpeg;base64,${jpeg.toString("base64")}` })),
      "image/jpeg",
      jpeg,
    );
  });

  it("takes a 7 MiB image as base64 JSON, past the 256 KiB limit of other routes", async () => {
    const bytes = pngOfSize(MAX);
    await expectUpload(
      await upload(...json({ data: bytes.toString("base64") })),
      "image/png",
      bytes,
    );
  });

  it("keeps the 256 KiB limit on other routes", async () => {
    const res = await fetch(`${base}/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${ALICE}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "x".repeat(300 * 1024) }),
    });
    await expectError(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it.each([
    ["raw", () => upload(pngOfSize(MAX + 1), { "content-type": "image/png" })],
    [
      "raw, streamed without a Content-Length",
      () =>
        fetch(`${base}/uploads`, {
          method: "POST",
          headers: { authorization: `Bearer ${ALICE}`, "content-type": "image/png" },
          body: new Blob([pngOfSize(MAX + 1)]).stream(),
          duplex: "half",
        } as RequestInit),
    ],
    ["multipart", () => upload(form(["file", pngOfSize(MAX + 1), "image/png"]))],
    ["base64 JSON", () => upload(...json({ data: pngOfSize(MAX + 1).toString("base64") }))],
    [
      "oversized JSON",
      () => upload(...json({ data: pngOfSize(8 * 1024 * 1024).toString("base64") })),
    ],
  ])("refuses over 7 MiB sent as %s with 413, saying the limit", async (_how, send) => {
    await expectError(await send(), 413, "PAYLOAD_TOO_LARGE", /at most 7 MiB \(7340032 bytes\)/);
  });

  it("refuses a body type it does not take with 415, naming the ones it does", async () => {
    const message = await expectError(
      await upload("hello", { "content-type": "text/plain" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /Content-Type text\/plain is not taken/,
    );
    expect(message).toMatch(
      /multipart\/form-data.*image\/png, image\/jpeg, image\/webp, image\/heic, image\/heif/,
    );
    await expectError(
      await upload(png, { "content-type": "image/gif" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    );
    await expectError(
      await upload(...json({ data: png.toString("base64"), mimeType: "image/gif" })),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      /mimeType image\/gif is not taken; send one of image\/png/,
    );
  });

  it("refuses bytes that are not an allowed image, whatever they claim, with 400", async () => {
    await expectError(
      await upload(form(["file", "just some text", "image/png"])),
      400,
      "INVALID_REQUEST",
      /is not an image; send one of image\/png, image\/jpeg, image\/webp/,
    );
    const gif = await sharp(png).gif().toBuffer();
    await expectError(
      await upload(gif, { "content-type": "image/png" }),
      400,
      "INVALID_REQUEST",
      /is a gif image; send one of/,
    );
  });

  it.each([
    ["bad base64", () => upload(...json({ data: "not*base64!" })), /data is not valid base64/],
    ["empty base64", () => upload(...json({ data: "" })), /data is empty/],
    ["no data", () => upload(...json({ mimeType: "image/png" })), /data must be/],
    [
      "an unknown field",
      () => upload(...json({ data: "AAAA", name: "x" })),
      /unknown field "name"/,
    ],
    [
      "an empty raw body",
      () => upload(Buffer.alloc(0), { "content-type": "image/png" }),
      /the upload is empty/,
    ],
    [
      "no file field",
      () => {
        const data = new FormData();
        data.append("note", "hello");
        return upload(data);
      },
      /no file field; send the image in a field named "file"/,
    ],
    [
      "a file in another field",
      () => upload(form(["image", png, "image/png"])),
      /field named "image"; send it in a field named "file"/,
    ],
    [
      "two files",
      () => upload(form(["file", png, "image/png"], ["file", png, "image/png"])),
      /one file per upload/,
    ],
    [
      "a multipart body without a boundary",
      () => upload("x", { "content-type": "multipart/form-data" }),
      /multipart body cannot be read/,
    ],
  ])("refuses %s with 400", async (_what, send, message) => {
    await expectError(await send(), 400, "INVALID_REQUEST", message);
  });

  it("wants a key", async () => {
    const res = await fetch(`${base}/uploads`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: png,
    });
    await expectError(res, 401, "UNAUTHORIZED");
  });
});
