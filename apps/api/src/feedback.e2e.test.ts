import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "@nanobanana/config";
import { newId } from "@nanobanana/domain";
import { createLogger } from "@nanobanana/logger";
import { freePort, testRedisUrl, uniquePrefix, waitFor } from "@nanobanana/testing";
import { type RunningWorker, startWorker } from "@nanobanana/worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "./server.ts";

/**
 * Feedback and A/B template variants end to end: the API and worker as they run, real
 * generations drawn by the sketch provider, feedback posted by the owner, and the admin's
 * per-variant statistics.
 */
const USER = "carol-feedback-key";
const ADMIN = "admin-feedback-key";
const logger = createLogger({ service: "test", level: "silent" });
let api: RunningApi;
let worker: RunningWorker;
let base: string;

const call = async (key: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

interface Generation {
  id: string;
  status: string;
  template: { id: string; version: number; variant: "a" | "b" } | null;
  feedback: { rating: string; comment: string | null } | null;
  classification: { domain: string; subcategory: string; certainty: string } | null;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    KEY_PREFIX: uniquePrefix("feedback"),
    DATA_DIR: mkdtempSync(join(tmpdir(), "nb-feedback-")),
    API_KEYS: `${USER}:carol,${ADMIN}:ops:admin`,
    PORT: String(port),
    PUBLIC_URL: base,
  });
  worker = await startWorker(config, logger);
  api = await startApi(config, logger);
});

afterAll(async () => {
  await api.close();
  await worker.close();
});

describe("feedback on A/B template variants", () => {
  it("assigns variants, takes feedback, and reports the feedback rate per variant", async () => {
    const items = Array.from({ length: 24 }, (_, i) => ({
      prompt: `headshot of a nurse, portrait number ${i}`,
      quality: "standard",
    }));
    const accepted = await call(USER, "POST", "/generate-batch", { items });
    expect(accepted.status).toBe(202);
    const ids = accepted.body.ids as string[];
    // One batch status read per poll: polling 24 records at once would spend the key's
    // request budget (RATE_LIMIT) and make this test fail with 429s on a slow machine.
    const batchId = accepted.body.batchId as string;
    const done = await waitFor(
      async () => {
        const status = (await call(USER, "GET", `/batch/${batchId}/status`)).body;
        return status.completedAt ? (status.items as unknown as Generation[]) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: "24 generations completed" },
    );
    expect(done.map((g) => g.status)).toEqual(Array(24).fill("completed"));
    expect(done.map((g) => g.id)).toEqual(ids);

    // Both arms of the portrait template got images, recorded on each generation.
    const arms = { a: done.filter((g) => g.template?.variant === "a"), b: [] as Generation[] };
    arms.b = done.filter((g) => g.template?.variant === "b");
    expect(arms.a.length).toBeGreaterThan(0);
    expect(arms.b.length).toBeGreaterThan(0);
    for (const g of done) {
      expect(g.template?.id).toBe("photography.portrait.standard");
      expect(g.classification?.certainty).toBe("subcategory");
      expect(g.feedback).toBeNull();
    }

    // Feedback: every "a" image up, two "b" images down; one of those changes its mind.
    for (const g of arms.a) {
      const res = await call(USER, "POST", `/generation/${g.id}/feedback`, { rating: "up" });
      expect(res.status).toBe(200);
      expect(res.body.feedback).toMatchObject({ rating: "up", comment: null });
    }
    const [b1, b2] = arms.b;
    if (!b1 || !b2) throw new Error("need two b images");
    await call(USER, "POST", `/generation/${b1.id}/feedback`, { rating: "down" });
    await call(USER, "POST", `/generation/${b2.id}/feedback`, { rating: "down" });
    const changed = await call(USER, "POST", `/generation/${b2.id}/feedback`, {
      rating: "up",
      comment: "better than I first thought",
    });
    expect(changed.status).toBe(200);
    const b2Now = (await call(USER, "GET", `/generation/${b2.id}/status`))
      .body as unknown as Generation;
    expect(b2Now.feedback).toMatchObject({ rating: "up", comment: "better than I first thought" });

    const stats = await call(ADMIN, "GET", "/templates/stats");
    expect(stats.status).toBe(200);
    const rows = stats.body.items as Array<Record<string, unknown>>;
    const row = (variant: string) =>
      rows.find((r) => r.template === "photography.portrait.standard" && r.variant === variant);
    expect(row("a")).toEqual({
      template: "photography.portrait.standard",
      variant: "a",
      generations: arms.a.length,
      up: arms.a.length,
      down: 0,
      feedbackRate: 1,
      upRate: 1,
    });
    expect(row("b")).toMatchObject({
      generations: arms.b.length,
      up: 1,
      down: 1,
      feedbackRate: Math.round((2 / arms.b.length) * 1000) / 1000,
      upRate: 0.5,
    });
  });

  it("says clearly what is wrong with feedback it cannot take", async () => {
    const bad = await call(USER, "POST", "/generation/gen_nope/feedback", { rating: "meh" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: "INVALID_REQUEST",
      message: 'rating: must be "up" or "down"',
    });

    const missing = await call(USER, "POST", `/generation/${newId("gen")}/feedback`, {
      rating: "up",
    });
    expect(missing.status).toBe(404);

    const forbidden = await call(USER, "GET", "/templates/stats");
    expect(forbidden.status).toBe(403);
  });

  it("answers /classify with alternatives and evidence, and /enhance falls back when unsure", async () => {
    const classified = await call(USER, "POST", "/classify", {
      prompt: "UML sequence diagram of a checkout",
    });
    expect(classified.body).toMatchObject({ domain: "diagrams", certainty: "subcategory" });
    expect(classified.body.alternatives).toHaveLength(3);
    expect(classified.body.evidence).toContainEqual(
      expect.objectContaining({ matched: "uml", supports: "diagrams" }),
    );

    const sequence = await call(USER, "POST", "/enhance", {
      prompt: "UML sequence diagram of a checkout",
    });
    expect(sequence.body.template).toMatchObject({ id: "diagrams.sequence.standard" });
    expect(sequence.body.enhancedPrompt).toMatch(/lifelines/);

    const vague = await call(USER, "POST", "/enhance", { prompt: "something nice" });
    expect(vague.body.template).toMatchObject({ id: "general.standard" });
  });
});
