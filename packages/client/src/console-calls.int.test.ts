import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The real API and an in-process worker on the test Redis (tests are not shipped).
import { apiUnderTest } from "../../../apps/api/src/test-stack.ts";
import {
  AuthenticationError,
  type HistoryIterable,
  type HistoryPage,
  InvalidRequestError,
  NanoBanana,
  NotFoundError,
  PermissionDeniedError,
} from "./index.ts";

/**
 * The calls the web console is built on, against the real API and worker (sketch provider):
 * who am I, classify and enhance as you type, thumbnails, feedback, filtered history, cost
 * per period with the budget, preferences, and the operators' stats and keys.
 */
const USER_KEY = "console-user-key-1";
const ADMIN_KEY = "console-admin-key-1";
const stack = apiUnderTest({
  label: "console-calls",
  apiKeys: [
    { key: USER_KEY, userId: "cara", admin: false },
    { key: ADMIN_KEY, userId: "ops", admin: true },
  ],
  withWorker: true,
});
let server: Server;
let nb: NanoBanana;
let admin: NanoBanana;
let base: string;

beforeAll(async () => {
  await stack.ready();
  server = stack.app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  nb = new NanoBanana({ apiKey: USER_KEY, baseUrl: base, maxRetries: 0 });
  admin = new NanoBanana({ apiKey: ADMIN_KEY, baseUrl: base, maxRetries: 0 });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await stack.close();
});

async function firstPage(history: HistoryIterable): Promise<HistoryPage | undefined> {
  for await (const page of history.pages()) return page;
  return undefined;
}

describe("signing in", () => {
  it("me() names the key's user and whether it is an admin's; a bad key is refused", async () => {
    expect(await nb.me()).toMatchObject({ userId: "cara", admin: false });
    expect(await admin.me()).toMatchObject({ userId: "ops", admin: true });
    const stranger = new NanoBanana({ apiKey: "nope", baseUrl: base, maxRetries: 0 });
    await expect(stranger.me()).rejects.toBeInstanceOf(AuthenticationError);
  });
});

describe("the create page's calls", () => {
  it("classifies and enhances a prompt as typed", async () => {
    const label = await nb.classify("flowchart of the checkout service");
    expect(label).toMatchObject({ domain: "diagrams" });
    expect(label.alternatives.length).toBeGreaterThan(0);
    const brief = await nb.enhance({
      prompt: "flowchart of the checkout service",
      quality: "premium",
    });
    expect(brief.enhancedPrompt.length).toBeGreaterThan(60);
    expect(brief.classification.domain).toBe("diagrams");
  });

  it("draws, then serves a thumbnail no larger than asked, and takes feedback", async () => {
    const record = await nb.run({ prompt: "a red sneaker on white", aspectRatio: "16:9" });
    const thumb = await nb.generations.thumbnail(record.id, { size: 128 });
    expect(thumb.mimeType).toBe("image/webp");
    const meta = await sharp(thumb.bytes).metadata();
    expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBe(128);
    expect((meta.width ?? 0) > (meta.height ?? 0)).toBe(true);
    const feedback = await nb.generations.feedback(record.id, { rating: "up" });
    expect(feedback.feedback.rating).toBe("up");
  });

  it("a thumbnail of a size it does not make is a 400; of another's image, a 404", async () => {
    const record = await nb.run({ prompt: "a blue teapot" });
    const response = await fetch(`${base}/generation/${record.id}/thumbnail?size=300`, {
      headers: { Authorization: `Bearer ${USER_KEY}` },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /128, 256, 512/,
    );
    const other = new NanoBanana({ apiKey: ADMIN_KEY, baseUrl: base, maxRetries: 0 });
    const theirs = await other.run({ prompt: "a green teapot" });
    await expect(nb.generations.thumbnail(theirs.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("the gallery's history", () => {
  it("filters by status and domain, and refuses a filter it does not know", async () => {
    await nb.run({ prompt: "sequence diagram of a login flow" });
    await nb.run({ prompt: "portrait of a violinist in warm light" });
    const diagrams = [];
    for await (const r of nb.history({ domain: "diagrams", status: "completed" })) diagrams.push(r);
    expect(diagrams.map((r) => r.prompt)).toEqual(["sequence diagram of a login flow"]);
    const today = new Date().toISOString().slice(0, 10);
    const page = await firstPage(nb.history({ from: today, to: today, limit: 100 }));
    expect(page?.items.length).toBeGreaterThanOrEqual(4);
    const yesterday = new Date(Date.now() - 86_400_000);
    expect((await firstPage(nb.history({ to: yesterday })))?.items).toEqual([]);
    await expect(firstPage(nb.history({ status: "lost" as never }))).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });
});

describe("cost per period", () => {
  it("lists days, weeks or months oldest first, by model and tier, with the budget", async () => {
    await nb.preferences.set({ monthlyBudgetUsd: 12.5, quality: "standard" });
    expect(await nb.preferences.get()).toEqual({ monthlyBudgetUsd: 12.5, quality: "standard" });
    const days = await nb.costSeries({ by: "day", count: 7 });
    expect(days.periods).toHaveLength(7);
    const today = days.periods.at(-1);
    expect(today?.period).toBe(new Date().toISOString().slice(0, 10));
    expect(today?.images).toBeGreaterThanOrEqual(3);
    expect(today?.byQuality.map((q) => q.quality)).toContain("standard");
    expect(today?.byModel[0]?.model).toBe("sketch-v1");
    expect(days.budget).toMatchObject({ monthlyUsd: 12.5, monthToDateUsd: 0 });
    const months = await nb.costSeries({ by: "month", count: 3 });
    expect(months.periods.map((p) => p.period)).toEqual(
      [...months.periods.map((p) => p.period)].sort(),
    );
    await expect(nb.costSeries({ by: "year" as never })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });
});

describe("operations", () => {
  it("an admin sees the hour's outcomes, confidence, queues and throughput", async () => {
    const stats = await admin.admin.stats({ hours: 3 });
    expect(stats.hours).toHaveLength(3);
    const now = stats.hours.at(-1);
    expect(now?.hour).toBe(new Date().toISOString().slice(0, 13));
    expect(now?.completed).toBeGreaterThanOrEqual(3);
    expect(now?.confidence.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3);
    expect(Object.keys(stats.queues)).toContain(stats.throughput.queue);
    expect(stats.throughput.completed).toHaveLength(60);
    // The images drawn moments ago count in the minute under way (or the one just ended).
    const [previous = 0, current = 0] = stats.throughput.completed.slice(-2);
    expect(previous + current).toBeGreaterThanOrEqual(3);
    expect(stats.links.bullBoard).toBe("/admin/queues");
    const templates = await admin.admin.templateStats();
    expect(templates.some((t) => t.up >= 1)).toBe(true);
    expect(Object.keys(await admin.admin.queues()).length).toBeGreaterThan(0);
  });

  it("keys: created, listed, working, revoked and then refused", async () => {
    const created = await admin.admin.keys.create({ userId: "newcomer" });
    expect(created.key).toMatch(/^nb_/);
    expect((await admin.admin.keys.list()).map((k) => k.keyId)).toContain(created.keyId);
    const newcomer = new NanoBanana({ apiKey: created.key, baseUrl: base, maxRetries: 0 });
    expect(await newcomer.me()).toMatchObject({ userId: "newcomer", admin: false });
    await admin.admin.keys.revoke(created.keyId);
    await expect(newcomer.me()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("a non-admin key is refused every operators' call", async () => {
    await expect(nb.admin.stats()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(nb.admin.keys.list()).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(nb.admin.templateStats()).rejects.toBeInstanceOf(PermissionDeniedError);
  });
});
