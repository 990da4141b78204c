import { variantFor, variantSeedFor } from "@nanobanana/templates";
import { waitFor } from "@nanobanana/testing";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUnderTest } from "./test-stack.ts";

const ALICE = "alice-key-123";
const BOB = "bob-key-12345";
const CARL = "carl-key-12345";
const apiKeys = [
  { key: ALICE, userId: "alice", admin: false },
  { key: BOB, userId: "bob", admin: false },
  { key: CARL, userId: "carl", admin: false },
];
const stack = apiUnderTest({ label: "prompts", apiKeys, withWorker: true });
const { app } = stack;
const as = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(() => stack.ready());
afterAll(() => stack.close());

const enhance = async (key: string, body: object) =>
  (await request(app).post("/enhance").set(as(key)).send(body).expect(200)).body;

async function generated(key: string, body: object) {
  const { id } = (await request(app).post("/generate").set(as(key)).send(body).expect(202)).body;
  return waitFor(async () => {
    const res = await request(app).get(`/generation/${id}/status`).set(as(key));
    return res.body.status === "completed" || res.body.status === "failed" ? res.body : undefined;
  });
}

describe("POST /enhance", () => {
  const prompt = "a violinist on stage";

  it("previews the caller's own template, word for word what /generate sends", async () => {
    await request(app)
      .post("/user/me/templates")
      .set(as(ALICE))
      .send({
        subcategory: "portrait",
        quality: "standard",
        // Stops the user wrote themselves are kept, never doubled.
        lead: "Alice Studio portrait of {subject} at a desk.",
        clauses: ["Dark slate backdrop.", "rim light!"],
      })
      .expect(201);

    const preview = await enhance(ALICE, { prompt });
    expect(preview.template).toMatchObject({ id: "custom:portrait.standard", version: 1 });
    expect(preview.enhancedPrompt).toMatch(
      /^Alice Studio portrait of a violinist on stage at a desk\. Dark slate backdrop\. Rim light! Avoid /,
    );
    expect(preview.enhancedPrompt).not.toMatch(/[.!?]\s*\./);

    const record = await generated(ALICE, { prompt });
    expect(record.status).toBe("completed");
    expect(record.enhancedPrompt).toBe(preview.enhancedPrompt);
    expect(record.template).toEqual({
      id: preview.template.id,
      version: preview.template.version,
      variant: preview.template.variant,
    });

    // Someone else's template is not the caller's: Bob previews the stock wording.
    const bobs = await enhance(BOB, { prompt });
    expect(bobs.template.id).toBe("photography.portrait.standard");
    expect(bobs.enhancedPrompt).not.toContain("Alice Studio");
  });

  it("fills what the body leaves out from the caller's preferences, as /generate does", async () => {
    await request(app)
      .put("/user/me/preferences")
      .set(as(CARL))
      .send({ quality: "premium", aspectRatio: "16:9" })
      .expect(200);
    const preview = await enhance(CARL, { prompt });
    expect(preview.template).toMatchObject({ id: "photography.portrait.premium" });
    expect(preview.enhancedPrompt).toMatch(/16:9 frame/);
    expect((await enhance(CARL, { prompt, quality: "draft" })).template.quality).toBe("draft");
  });

  it("gives identical requests the same A/B arm, seeded from the request", async () => {
    const prompts = Array.from({ length: 24 }, (_, i) => `a violinist on stage, take ${i + 1}`);
    const arms: string[] = [];
    for (const p of prompts) {
      const body = { prompt: p, quality: "standard", aspectRatio: "1:1" };
      const first = await enhance(BOB, body);
      const again = await enhance(BOB, body);
      expect(first.template.id).toBe("photography.portrait.standard");
      expect(again.template.variant).toBe(first.template.variant);
      expect(again.enhancedPrompt).toBe(first.enhancedPrompt);
      const seed = variantSeedFor({
        prompt: p,
        quality: "standard",
        aspectRatio: "1:1",
        userId: "bob",
      });
      expect(first.template.variant).toBe(variantFor(seed, first.template.id));
      arms.push(first.template.variant);
    }
    // The seed is per request, not fixed: both arms are drawn.
    expect(new Set(arms)).toEqual(new Set(["a", "b"]));
  });

  it("previews the A/B arm /generate draws for the same request", async () => {
    const arm = (p: string) =>
      variantFor(
        variantSeedFor({ prompt: p, quality: "standard", aspectRatio: "1:1", userId: "bob" }),
        "photography.portrait.standard",
      );
    const prompts = Array.from(
      { length: 40 },
      (_, i) => `studio headshot portrait of a violinist, scene ${i + 1}`,
    );
    // One request of each arm.
    const chosen = ["a", "b"].map((v) => prompts.find((p) => arm(p) === v) ?? "");
    for (const p of chosen) {
      const preview = await enhance(BOB, { prompt: p });
      const record = await generated(BOB, { prompt: p });
      expect(record.status).toBe("completed");
      expect(preview.template.id).toBe("photography.portrait.standard");
      expect(record.template).toEqual({
        id: preview.template.id,
        version: preview.template.version,
        variant: preview.template.variant,
      });
      expect(record.enhancedPrompt).toBe(preview.enhancedPrompt);
    }
  });
});
