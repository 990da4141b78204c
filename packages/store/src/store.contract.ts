import {
  type BatchRecord,
  type GenerationRecord,
  newGenerationRecord,
  newId,
  type WebhookDelivery,
} from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { Store } from "./store.ts";

const request = {
  prompt: "a red bicycle",
  quality: "standard",
  aspectRatio: "1:1",
  format: "png",
} as const;

export function makeRecord(
  userId: string,
  at = Date.now(),
  overrides: Partial<GenerationRecord> = {},
): GenerationRecord {
  return {
    ...newGenerationRecord({ id: newId("gen", at), userId, request, now: new Date(at) }),
    ...overrides,
  };
}

function makeBatch(
  userId: string,
  size: number,
): { batch: BatchRecord; items: GenerationRecord[] } {
  const batchId = newId("bat");
  const webhook = { url: "https://example.com/hook", events: ["batch.completed"] };
  const items = Array.from({ length: size }, () =>
    makeRecord(userId, Date.now(), { batchId, webhook }),
  );
  const batch: BatchRecord = {
    id: batchId,
    userId,
    total: size,
    ids: items.map((r) => r.id),
    webhook,
    createdAt: new Date().toISOString(),
    completedAt: null,
  };
  return { batch, items };
}

/** One behaviour suite for every Store adapter; `makeStore` gives a fresh, isolated store. */
export function describeStoreContract(name: string, makeStore: () => Promise<Store> | Store) {
  describe(`Store contract: ${name}`, () => {
    it("returns a created record exactly as written", async () => {
      const store = await makeStore();
      const record = makeRecord("alice", Date.now(), {
        metadata: { campaign: "spring", n: 3, ok: true },
      });
      await store.accept({ records: [record] });
      expect(await store.getGeneration(record.id)).toEqual(record);
    });

    it("answers null for an unknown id", async () => {
      const store = await makeStore();
      expect(await store.getGeneration(newId("gen"))).toBeNull();
    });

    it("merges a patch, stamps updatedAt and keeps the other fields", async () => {
      const store = await makeStore();
      const record = makeRecord("alice", Date.now() - 5_000);
      await store.accept({ records: [record] });
      const applied = await store.updateGeneration(record.id, {
        status: "processing",
        classification: { domain: "photography", subcategory: "product", confidence: 0.7 },
      });
      expect(applied).toBe(true);
      const read = await store.getGeneration(record.id);
      expect(read).toMatchObject({
        status: "processing",
        prompt: "a red bicycle",
        classification: { subcategory: "product" },
      });
      expect(Date.parse(read?.updatedAt ?? "")).toBeGreaterThan(Date.parse(record.updatedAt));
    });

    it("applies a conditional update only from an allowed status", async () => {
      const store = await makeStore();
      const record = makeRecord("alice");
      await store.accept({ records: [record] });
      expect(
        await store.updateGeneration(
          record.id,
          { status: "completed" },
          { onlyIfStatusIn: ["processing"] },
        ),
      ).toBe(false);
      expect((await store.getGeneration(record.id))?.status).toBe("queued");
      expect(
        await store.updateGeneration(
          record.id,
          { status: "processing" },
          { onlyIfStatusIn: ["queued", "processing"] },
        ),
      ).toBe(true);
      expect((await store.getGeneration(record.id))?.status).toBe("processing");
    });

    it("does not create a record by updating a missing one", async () => {
      const store = await makeStore();
      const id = newId("gen");
      expect(await store.updateGeneration(id, { status: "failed" })).toBe(false);
      expect(await store.getGeneration(id)).toBeNull();
    });

    it("lists a user's history newest first, in pages, and only theirs", async () => {
      const store = await makeStore();
      const base = Date.now() - 60_000;
      const mine = Array.from({ length: 7 }, (_, i) => makeRecord("bob", base + i * 10));
      for (const r of [...mine].reverse()) await store.accept({ records: [r] });
      await store.accept({ records: [makeRecord("carol", base + 5)] });

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listHistory("bob", { limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(mine.map((r) => r.id).reverse());
      expect((await store.listHistory("nobody", { limit: 10 })).items).toEqual([]);
    });

    it("refuses a cursor it did not hand out", async () => {
      const store = await makeStore();
      await expect(store.listHistory("bob", { limit: 3, cursor: "../../x" })).rejects.toMatchObject(
        { code: "INVALID_REQUEST" },
      );
    });

    it("accepts a batch whole: its items in order, the batch, and a marker until enqueued", async () => {
      const store = await makeStore();
      const { batch, items } = makeBatch("dana", 3);
      await store.accept({ records: items, batch });
      expect(await store.getBatch(batch.id)).toEqual(batch);
      const missing = newId("gen");
      const read = await store.getGenerations([items[2]?.id ?? "", missing, items[0]?.id ?? ""]);
      expect(read.map((r) => r?.id ?? null)).toEqual([items[2]?.id, null, items[0]?.id]);
      expect(read[0]?.batchId).toBe(batch.id);
      expect((await store.listHistory("dana", { limit: 10 })).items).toHaveLength(3);

      // Until its jobs are confirmed, the acceptance is found by whoever sweeps after it.
      const later = new Date(Date.now() + 60_000).toISOString();
      const earlier = new Date(Date.now() - 60_000).toISOString();
      expect(await store.unconfirmedAcceptances(later, 100)).toContain(batch.id);
      expect(await store.unconfirmedAcceptances(earlier, 100)).not.toContain(batch.id);
      await store.confirmEnqueued(batch.id);
      expect(await store.unconfirmedAcceptances(later, 100)).not.toContain(batch.id);
    });

    // Over Firestore's old 500-writes-a-commit limit, which the adapter no longer splits at.
    it("accepts a 600-item batch in one step", async () => {
      const store = await makeStore();
      const { batch, items } = makeBatch("dana", 600);
      await store.accept({ records: items, batch });
      const read = await store.getGenerations(batch.ids);
      expect(read.filter((r) => r?.status === "queued")).toHaveLength(600);
    });

    it("writes an Idempotency-Key's answer together with what it accepted", async () => {
      const store = await makeStore();
      const record = makeRecord("erin");
      const key = newId("req");
      expect(await store.reserveIdempotencyKey("erin", key, "fp", 30)).toEqual({ kind: "new" });
      const response = { status: 202, body: { id: record.id } };
      await store.accept({
        records: [record],
        idempotency: { scope: "erin", key, fingerprint: "fp", response, ttlSeconds: 3600 },
      });
      expect(await store.reserveIdempotencyKey("erin", key, "fp", 30)).toEqual({
        kind: "replay",
        response,
      });
    });

    it("settles batch items as they finish and completes the batch exactly once", async () => {
      const store = await makeStore();
      const { batch, items } = makeBatch("dana", 3);
      await store.accept({ records: items, batch });
      const at = new Date().toISOString();
      const cancel = (id: string) => ({
        id,
        patch: { status: "canceled" as const, completedAt: at },
      });
      const [a, b, c] = items.map((r) => r.id) as [string, string, string];
      const later = new Date(Date.now() + 60_000).toISOString();
      expect(await store.openBatches(later, 100)).toContain(batch.id);

      const moved = await store.finishGenerations([cancel(a), cancel(b)], {
        onlyIfStatusIn: ["queued"],
      });
      expect(moved.map((r) => [r.id, r.status])).toEqual([
        [a, "canceled"],
        [b, "canceled"],
      ]);
      // Not again, and not from a status the caller did not allow.
      expect(await store.finishGenerations([cancel(a)], { onlyIfStatusIn: ["queued"] })).toEqual(
        [],
      );
      expect((await store.getBatch(batch.id))?.completedAt).toBeNull();
      expect(await store.completeBatchIfSettled(batch.id, at)).toBe(false);

      await store.updateGeneration(c, { status: "processing" });
      const [last] = await store.finishGenerations(
        [{ id: c, patch: { status: "failed", completedAt: at } }],
        { onlyIfStatusIn: ["processing"] },
      );
      expect(last?.status).toBe("failed");
      // The last item completes its batch as it settles (Redis: in the same step; Firestore:
      // right after); completing again changes nothing.
      expect((await store.getBatch(batch.id))?.completedAt).toBe(at);
      expect(await store.completeBatchIfSettled(batch.id, new Date().toISOString())).toBe(false);
      expect((await store.getBatch(batch.id))?.completedAt).toBe(at);
      expect(await store.openBatches(later, 100)).not.toContain(batch.id);

      // Every item had the batch's webhook: the failed item and the batch are in the outbox;
      // the canceled ones are not, as a cancel has no event of its own.
      const outbox = await store.pendingNotifications(later, 100);
      expect(outbox).toEqual(expect.arrayContaining([c, batch.id]));
      expect(outbox).not.toContain(a);
      expect(outbox).not.toContain(b);
      for (const id of [a, b, c, batch.id]) await store.clearNotification(id);
      expect(await store.pendingNotifications(later, 100)).toEqual(
        expect.not.arrayContaining([a, b, c, batch.id]),
      );
    });

    it("holds an idempotency key: new, in progress, replay, mismatch, release", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({ kind: "new" });
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({
        kind: "in_progress",
      });
      expect(await store.reserveIdempotencyKey("erin", key, "fp2", 60)).toEqual({
        kind: "mismatch",
      });
      await store.completeIdempotencyKey("erin", key, { status: 202, body: { id: "x" } }, 60);
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({
        kind: "replay",
        response: { status: 202, body: { id: "x" } },
      });
      expect(await store.reserveIdempotencyKey("frank", key, "fp2", 60)).toEqual({ kind: "new" });
      await store.releaseIdempotencyKey("frank", key);
      expect(await store.reserveIdempotencyKey("frank", key, "fp3", 60)).toEqual({ kind: "new" });
    });

    it("creates a webhook secret once and replaces it on rotation", async () => {
      const store = await makeStore();
      let made = 0;
      const make = () => `whsec_${++made}`;
      const [a, b] = await Promise.all([
        store.getOrCreateWebhookSecret("gil", make),
        store.getOrCreateWebhookSecret("gil", make),
      ]);
      expect(a).toBe(b);
      const first = await store.getOrCreateWebhookSecret("gil", make);
      const until = new Date(Date.now() + 60_000).toISOString();
      await store.rotateWebhookSecret("gil", "whsec_rotated", until);
      expect(await store.getOrCreateWebhookSecret("gil", make)).toBe("whsec_rotated");
      // During the overlap both sign, the new one first; with no overlap only the new one.
      expect(await store.webhookSigningSecrets("gil", make)).toEqual(["whsec_rotated", first]);
      await store.rotateWebhookSecret("gil", "whsec_third", new Date(Date.now() - 1).toISOString());
      expect(await store.webhookSigningSecrets("gil", make)).toEqual(["whsec_third"]);
    });

    it("creates a delivery once, updates it, and lists it by user and by subject", async () => {
      const store = await makeStore();
      const subjectId = newId("gen");
      const at = (ms: number) => new Date(Date.now() - ms).toISOString();
      const delivery = (id: string, createdAt: string): WebhookDelivery => ({
        id,
        userId: "hana",
        event: "generation.completed",
        subjectId,
        url: "https://example.com/hook",
        body: '{"type":"generation.completed"}',
        status: "pending",
        attempts: [],
        nextAttemptAt: createdAt,
        createdAt,
        updatedAt: createdAt,
        deliveredAt: null,
      });
      const first = delivery("msg_00000000000000000000000001", at(2000));
      const second = delivery("msg_00000000000000000000000002", at(1000));
      expect(await store.createDelivery(first)).toBe(true);
      expect(await store.createDelivery({ ...first, body: "changed" })).toBe(false);
      expect(await store.createDelivery(second)).toBe(true);
      await store.updateDelivery(first.id, {
        status: "delivered",
        attempts: [{ at: at(0), statusCode: 200, error: null, durationMs: 5 }],
      });
      const read = await store.getDelivery(first.id);
      expect(read).toMatchObject({
        status: "delivered",
        body: first.body,
        attempts: [{ statusCode: 200 }],
      });
      expect((await store.listDeliveries("hana", { limit: 10 })).map((d) => d.id)).toEqual([
        second.id,
        first.id,
      ]);
      expect((await store.listDeliveries("hana", { limit: 1 })).map((d) => d.id)).toEqual([
        second.id,
      ]);
      expect((await store.deliveriesFor(subjectId)).map((d) => d.id)).toEqual([
        first.id,
        second.id,
      ]);
      expect(await store.listDeliveries("nobody", { limit: 10 })).toEqual([]);
    });

    it("keeps a cache entry and hands the lock to one owner at a time", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.getCacheEntry(key)).toBeNull();
      const entry = {
        key,
        image: {
          url: "/x",
          mimeType: "image/png",
          width: 1,
          height: 1,
          bytes: 1,
          sha256: "ab",
          key: "cache/x.png",
        },
        provider: "sketch",
        model: "sketch-v1",
        costUsd: 0.039,
        createdAt: new Date().toISOString(),
      };
      await store.putCacheEntry(entry, 60);
      expect(await store.getCacheEntry(key)).toEqual(entry);

      expect(await store.acquireCacheLock(key, "gen_a", 60_000)).toBe(true);
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(false);
      // The owner's re-run (after its worker died) takes its own lease back at once.
      expect(await store.acquireCacheLock(key, "gen_a", 60_000)).toBe(true);
      await store.releaseCacheLock(key, "gen_b");
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(false);
      await store.releaseCacheLock(key, "gen_a");
      expect(await store.acquireCacheLock(key, "gen_b", 60_000)).toBe(true);
    });

    it("lets a cache lock lapse after its lease", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.acquireCacheLock(key, "gen_a", 50)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(await store.acquireCacheLock(key, "gen_b", 50)).toBe(true);
    });

    it("keeps running cost totals by day, ISO week and month, for every model", async () => {
      const store = await makeStore();
      const monday = Date.UTC(2026, 10, 2, 10);
      const records = [
        makeRecord("kim", monday),
        makeRecord("kim", monday + 1_000),
        makeRecord("kim", monday + 86_400_000),
        makeRecord("kim", monday + 2_000),
        makeRecord("kim", Date.UTC(2026, 9, 30)),
        makeRecord("lee", monday),
      ];
      for (const r of records) await store.accept({ records: [r] });
      const at = new Date().toISOString();
      const complete = (model: string, usd: number, cached = false) => ({
        status: "completed" as const,
        completedAt: at,
        model,
        cached,
        cost: cached ? { usd: 0, savedUsd: usd } : { usd, savedUsd: 0 },
      });
      const patches = [
        complete("m1", 0.039),
        complete("m2", 0.134),
        complete("m1", 0.039, true),
        { status: "failed" as const, completedAt: at },
        complete("m1", 5),
        complete("m1", 9),
      ];
      await store.finishGenerations(
        records.map((r, i) => ({
          id: r.id,
          patch: patches[i] ?? { status: "failed", completedAt: at },
        })),
        { onlyIfStatusIn: ["queued"] },
      );
      // Finishing twice counts once.
      await store.finishGenerations([{ id: records[0]?.id ?? "", patch: complete("m1", 0.039) }], {
        onlyIfStatusIn: ["queued", "processing"],
      });
      const totals = await store.costTotals("kim", [
        "2026-11-02",
        "2026-W45",
        "2026-11",
        "2026-10",
      ]);
      expect(totals["2026-11-02"]).toEqual({
        usd: 0.173,
        savedUsd: 0,
        images: 2,
        cacheHits: 0,
        byModel: [
          { model: "m1", usd: 0.039, images: 1 },
          { model: "m2", usd: 0.134, images: 1 },
        ],
      });
      expect(totals["2026-W45"]).toEqual({
        usd: 0.173,
        savedUsd: 0.039,
        images: 3,
        cacheHits: 1,
        byModel: [
          { model: "m1", usd: 0.039, images: 2 },
          { model: "m2", usd: 0.134, images: 1 },
        ],
      });
      expect(totals["2026-11"]).toEqual(totals["2026-W45"]);
      expect(totals["2026-10"]).toMatchObject({ usd: 5, images: 1 });
      expect((await store.costTotals("nobody", ["2026-11"]))["2026-11"]).toEqual({
        usd: 0,
        savedUsd: 0,
        images: 0,
        cacheHits: 0,
        byModel: [],
      });
    });

    it("keeps a user's preferences, replacing them whole, beside their webhook secret", async () => {
      const store = await makeStore();
      expect(await store.getPreferences("mo")).toEqual({});
      const secret = await store.getOrCreateWebhookSecret("mo", () => "whsec_mo");
      await store.setPreferences("mo", { quality: "premium", format: "webp" });
      await store.setPreferences("mo", { aspectRatio: "16:9" });
      expect(await store.getPreferences("mo")).toEqual({ aspectRatio: "16:9" });
      expect(await store.getOrCreateWebhookSecret("mo", () => "other")).toBe(secret);
      expect(await store.getPreferences("nobody")).toEqual({});
    });

    it("keeps custom templates per user, one per subcategory and tier", async () => {
      const store = await makeStore();
      const template = (userId: string, quality: "draft" | "premium", version: number) => ({
        id: `product.${quality}`,
        userId,
        subcategory: "product" as const,
        quality,
        lead: "Our house style shot of {subject}",
        clauses: ["on warm oak", "soft morning light"],
        version,
        updatedAt: new Date().toISOString(),
      });
      await store.putTemplate(template("nia", "premium", 1));
      await store.putTemplate(template("nia", "draft", 1));
      await store.putTemplate(template("nia", "premium", 2));
      await store.putTemplate(template("oto", "premium", 1));
      expect((await store.listTemplates("nia")).map((t) => [t.id, t.version])).toEqual([
        ["product.draft", 1],
        ["product.premium", 2],
      ]);
      expect(await store.getTemplate("nia", "product.premium")).toMatchObject({
        version: 2,
        clauses: ["on warm oak", "soft morning light"],
      });
      expect(await store.deleteTemplate("nia", "product.draft")).toBe(true);
      expect(await store.deleteTemplate("nia", "product.draft")).toBe(false);
      expect(await store.getTemplate("nia", "product.draft")).toBeNull();
      expect(await store.listTemplates("oto")).toHaveLength(1);
    });

    it("keeps API keys by hash and revokes them by id", async () => {
      const store = await makeStore();
      const key = (n: number) => ({
        keyId: `k${n}00000000000`.slice(0, 12),
        hash: `${n}`.repeat(64).slice(0, 64),
        userId: "pat",
        admin: n === 2,
        createdAt: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
        revokedAt: null,
      });
      await store.putApiKey(key(1));
      await store.putApiKey(key(2));
      expect(await store.findApiKey(key(1).hash)).toEqual(key(1));
      expect(await store.findApiKey("f".repeat(64))).toBeNull();
      expect((await store.listApiKeys()).map((k) => k.keyId)).toEqual([key(1).keyId, key(2).keyId]);
      expect(await store.revokeApiKey(key(1).keyId, "2026-01-01T00:00:00.000Z")).toBe(true);
      expect((await store.findApiKey(key(1).hash))?.revokedAt).toBe("2026-01-01T00:00:00.000Z");
      expect(await store.revokeApiKey("nope", "2026-01-01T00:00:00.000Z")).toBe(false);
    });

    it("counts template variants' images and feedback, moving counts when feedback changes", async () => {
      const store = await makeStore();
      const a = { id: "photography.portrait.standard", version: 1, variant: "a" } as const;
      const b = { ...a, variant: "b" } as const;
      const first = makeRecord("alice", Date.now(), { status: "completed", template: a });
      const second = makeRecord("alice", Date.now() + 1, { status: "completed", template: b });
      await store.accept({ records: [first] });
      await store.accept({ records: [second] });
      await store.recordTemplateUse(a);
      await store.recordTemplateUse(a);
      await store.recordTemplateUse(b);

      const at = "2026-11-24T10:00:00.000Z";
      expect(await store.recordFeedback(first.id, { rating: "down", comment: null, at }, a)).toBe(
        true,
      );
      // Changing one's mind moves the count; saying the same again does not add one.
      const later = {
        rating: "up",
        comment: "sharp eyes",
        at: "2026-11-24T10:05:00.000Z",
      } as const;
      await store.recordFeedback(first.id, later, a);
      await store.recordFeedback(first.id, later, a);
      await store.recordFeedback(second.id, { rating: "down", comment: null, at }, b);
      expect(await store.recordFeedback(newId("gen"), { rating: "up", comment: null, at }, a)).toBe(
        false,
      );

      expect((await store.getGeneration(first.id))?.feedback).toEqual(later);
      expect(await store.templateStats()).toEqual([
        { template: a.id, variant: "a", generations: 2, up: 1, down: 0 },
        { template: a.id, variant: "b", generations: 1, up: 0, down: 1 },
      ]);
    });

    it("answers ping", async () => {
      const store = await makeStore();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
