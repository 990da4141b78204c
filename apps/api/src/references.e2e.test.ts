import { waitFor } from "@nanobanana/testing";
import sharp from "sharp";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

/**
 * Reference images from the outside in: uploaded with POST /uploads, named in /generate,
 * loaded by the worker, drawn into the picture by the sketch renderer, kept on the record.
 */
const ALICE = "alice-key-123";
const BOB = "bob-key-12345";
const stack = apiUnderTest({
  label: "references",
  apiKeys: [
    { key: ALICE, userId: "alice", admin: false },
    { key: BOB, userId: "bob", admin: false },
  ],
  withWorker: true,
});
const { app } = stack;
const as = (key: string) => ({ Authorization: `Bearer ${key}` });
beforeAll(() => stack.ready());
afterAll(() => stack.close());

const solid = (background: string) =>
  sharp({ create: { width: 120, height: 120, channels: 3, background } })
    .png()
    .toBuffer();
const uploaded = async (key: string, bytes: Buffer) =>
  (
    await request(app)
      .post("/uploads")
      .set(as(key))
      .attach("file", bytes, { filename: "ref.png", contentType: "image/png" })
      .expect(201)
  ).body as { id: string; sha256: string };

describe("reference images", () => {
  it("draws a generation from two uploads: the record lists them, the picture shows the first", async () => {
    const red = await uploaded(ALICE, await solid("#ff0000"));
    const green = await uploaded(ALICE, await solid("#00ff00"));
    const { id } = (
      await request(app)
        .post("/generate")
        .set(as(ALICE))
        .send({ prompt: "put this sneaker on a marble counter", images: [red.id, green.id] })
        .expect(202)
    ).body;
    const done = await waitFor(async () => {
      const res = await request(app).get(`/generation/${id}/status`).set(as(ALICE));
      return ["completed", "failed"].includes(res.body.status) ? res.body : undefined;
    });
    expect(done).toMatchObject({
      status: "completed",
      references: [
        { source: red.id, sha256: red.sha256, mimeType: "image/png" },
        { source: green.id, sha256: green.sha256, mimeType: "image/png" },
      ],
    });
    expect(done.enhancedPrompt).toMatch(/2 reference images/);
    const image = await request(app).get(`/generation/${id}/image`).set(as(ALICE)).expect(200);
    // The sketch frames the first reference at the centre of the picture.
    const { data, info } = await sharp(image.body).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => {
      const i = (y * info.width + x) * info.channels;
      return [data[i], data[i + 1], data[i + 2]];
    };
    const [r, g, b] = at(Math.floor(info.width / 2), Math.floor(info.height / 2));
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it("refuses at the door an upload id the caller does not have, even another user's", async () => {
    const bobs = await uploaded(BOB, await solid("#0000ff"));
    const res = await request(app)
      .post("/generate")
      .set(as(ALICE))
      .send({ prompt: "a kite", images: [bobs.id] })
      .expect(400);
    expect(res.body.error.message).toBe(
      `images[0]: you have no upload ${bobs.id}; POST /uploads first and use the id it answers`,
    );
    const batch = await request(app)
      .post("/generate-batch")
      .set(as(ALICE))
      .send({ items: [{ prompt: "a kite" }, { prompt: "a kite", images: [bobs.id] }] })
      .expect(400);
    expect(batch.body.error.message).toMatch(/^items\[1\]\.images\[0\]: you have no upload/);
  });
});
