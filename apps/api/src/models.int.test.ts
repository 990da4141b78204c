import { loadConfig, modelOffer } from "@nanobanana/config";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

const KEY = "alice-key-123";
const as = { Authorization: `Bearer ${KEY}` };
const apiKeys = [{ key: KEY, userId: "alice", admin: false }];

// The API as a Gemini deployment sets it up (no worker: these are the checks at the door).
const gemini = loadConfig({ GEMINI_API_KEY: "k" });
const stack = apiUnderTest({
  label: "models",
  apiKeys,
  overrides: { models: gemini.models, offer: modelOffer(gemini) },
});
const sketch = apiUnderTest({ label: "models-sketch", apiKeys });
afterAll(() => Promise.all([stack.close(), sketch.close()]));

describe("GET /models", () => {
  it("lists what a Gemini deployment draws with: sizes priced, ratios, reference limits, roles, routes", async () => {
    const res = await request(stack.app).get("/models").set(as).expect(200);
    expect(res.body).toMatchObject({
      provider: "gemini",
      defaultModel: "gemini-3.1-flash-image",
      fallbackModel: "gemini-3-pro-image",
      routes: expect.arrayContaining([{ domain: "diagrams", model: "gemini-3-pro-image" }]),
    });
    const byId = Object.fromEntries(
      (res.body.items as Array<{ id: string }>).map((m) => [m.id, m]),
    );
    expect(Object.keys(byId)).toEqual([
      "gemini-3.1-flash-image",
      "gemini-3-pro-image",
      "gemini-3.1-flash-lite-image",
    ]);
    expect(byId["gemini-3.1-flash-image"]).toMatchObject({
      provider: "gemini",
      sizes: [
        { imageSize: "512", usd: 0.045, batchUsd: 0.0225 },
        { imageSize: "1K", usd: 0.067, batchUsd: 0.0335 },
        { imageSize: "2K", usd: 0.101, batchUsd: 0.0505 },
        { imageSize: "4K", usd: 0.151, batchUsd: 0.0755 },
      ],
      aspectRatios: expect.arrayContaining(["21:9", "4:5"]),
      maxReferenceImages: 14,
      referenceImages: true,
      roles: ["default"],
    });
    expect(byId["gemini-3-pro-image"]).toMatchObject({ roles: ["fallback", "routed"] });
    expect(byId["gemini-3.1-flash-lite-image"]).toMatchObject({
      sizes: [{ imageSize: "1K", usd: 0.034, batchUsd: 0.017 }],
    });
  });

  it("lists the sketch renderer, free at every size, where no model maker is configured", async () => {
    const res = await request(sketch.app).get("/models").set(as).expect(200);
    expect(res.body).toMatchObject({ provider: "sketch", defaultModel: "sketch-v1", routes: [] });
    expect(res.body.items).toEqual([
      expect.objectContaining({
        id: "sketch-v1",
        sizes: expect.arrayContaining([{ imageSize: "4K", usd: 0, batchUsd: 0 }]),
      }),
    ]);
  });
});

describe("what a model cannot draw is refused at the door", () => {
  const refused = async (body: object) =>
    (await request(stack.app).post("/generate").set(as).send(body).expect(400)).body.error;

  it("a size the named model does not draw", async () => {
    const error = await refused({
      prompt: "a kite",
      model: "gemini-3.1-flash-lite-image",
      imageSize: "2K",
    });
    expect(error).toMatchObject({ code: "INVALID_REQUEST" });
    expect(error.message).toBe(
      "imageSize: gemini-3.1-flash-lite-image does not draw 2K (it draws 1K); choose another, or another model (GET /models)",
    );
  });

  it("a size or ratio no model takes, by the schema, listing what is", async () => {
    expect((await refused({ prompt: "a kite", imageSize: "8K" })).message).toMatch(
      /imageSize must be one of 512, 1K, 2K, 4K/,
    );
    expect((await refused({ prompt: "a kite", aspectRatio: "7:3" })).message).toMatch(
      /aspectRatio must be one of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9/,
    );
  });

  it("a model Google has shut down, naming its replacement", async () => {
    const error = await refused({ prompt: "a kite", model: "gemini-2.5-flash-image" });
    expect(error.message).toMatch(
      /model: "gemini-2.5-flash-image" is not available \(shut down on 2026-10-02; use gemini-3.1-flash-image\)/,
    );
  });

  it("more reference images than any model takes, and an image that is neither an upload nor https", async () => {
    const fifteen = Array.from({ length: 15 }, (_, i) => `https://example.com/${i}.png`);
    expect((await refused({ prompt: "a kite", images: fifteen })).message).toMatch(
      /images may hold at most 14 images/,
    );
    expect(
      (await refused({ prompt: "a kite", images: ["http://example.com/a.png"] })).message,
    ).toMatch(/upload id \(upl_…, from POST \/uploads\) or an https URL/);
  });

  it("accepts 4K 21:9 on the default model", async () => {
    await request(stack.app)
      .post("/generate")
      .set(as)
      .send({ prompt: "a kite over the dunes", imageSize: "4K", aspectRatio: "21:9" })
      .expect(202);
  });
});
