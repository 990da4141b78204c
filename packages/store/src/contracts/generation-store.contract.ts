import { newId } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { GenerationStore, IdempotencyStore } from "../store.ts";
import { type MakeStore, makeBatch, makeRecord } from "./fixtures.ts";

/**
 * GenerationStore's behaviour; `makeStore` gives a fresh, isolated store. `accept` also writes
 * an Idempotency-Key's answer, which the suite reads back with `reserveIdempotencyKey`.
 */
export function describeGenerationStoreContract(
  name: string,
  makeStore: MakeStore<GenerationStore & Pick<IdempotencyStore, "reserveIdempotencyKey">>,
) {
  describe(`GenerationStore contract: ${name}`, () => {
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

    it("keeps any text a prompt can hold exactly as accepted", async () => {
      const store = await makeStore();
      const prompt = 'a "quoted" \\ back\\slash, a tab\t, a line\nbreak, é, 猫, 🐱 and \u0000';
      const base = makeRecord("hal");
      const record = { ...base, prompt };
      await store.accept({ records: [record] });
      expect(await store.getGeneration(record.id)).toEqual(record);
    });

    it("accepts requests that arrived together in one step, each with its own marker", async () => {
      const store = await makeStore();
      const single = makeRecord("fay");
      const other = makeRecord("gus");
      const { batch, items } = makeBatch("fay", 2);
      await store.accept({ records: [single] }, { records: items, batch }, { records: [other] });
      const read = await store.getGenerations([single.id, other.id, ...batch.ids]);
      expect(read.map((r) => r?.status)).toEqual(["queued", "queued", "queued", "queued"]);
      expect((await store.listHistory("fay", { limit: 10 })).items).toHaveLength(3);
      expect((await store.listHistory("gus", { limit: 10 })).items).toHaveLength(1);
      const later = new Date(Date.now() + 60_000).toISOString();
      expect(await store.unconfirmedAcceptances(later, 100)).toEqual(
        expect.arrayContaining([single.id, batch.id, other.id]),
      );
      await store.confirmEnqueued(single.id, batch.id);
      const left = await store.unconfirmedAcceptances(later, 100);
      expect(left).toContain(other.id);
      expect(left).not.toContain(single.id);
      expect(left).not.toContain(batch.id);
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

    it("reads only the status and cost of items, in order, as they change", async () => {
      const store = await makeStore();
      const { batch, items } = makeBatch("dana", 3);
      await store.accept({ records: items, batch });
      const [a, b, c] = items.map((r) => r.id) as [string, string, string];
      await store.updateGeneration(b, { status: "processing" });
      const at = new Date().toISOString();
      await store.finishGenerations(
        [
          {
            id: c,
            patch: { status: "completed", completedAt: at, cost: { usd: 0.039, savedUsd: 0 } },
          },
        ],
        { onlyIfStatusIn: ["queued"] },
      );
      const missing = newId("gen");
      expect(await store.getGenerationStates([c, missing, a, b])).toEqual([
        { status: "completed", cost: { usd: 0.039, savedUsd: 0 } },
        null,
        { status: "queued", cost: items[0]?.cost },
        { status: "processing", cost: items[1]?.cost },
      ]);
      expect(await store.getGenerationStates([])).toEqual([]);
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
        economyImages: 0,
        economySavedUsd: 0,
        byModel: [
          { model: "m1", usd: 0.039, images: 1 },
          { model: "m2", usd: 0.134, images: 1 },
        ],
        byQuality: [{ quality: "standard", usd: 0.173, images: 2 }],
      });
      expect(totals["2026-W45"]).toEqual({
        usd: 0.173,
        savedUsd: 0.039,
        images: 3,
        cacheHits: 1,
        economyImages: 0,
        economySavedUsd: 0,
        byModel: [
          { model: "m1", usd: 0.039, images: 2 },
          { model: "m2", usd: 0.134, images: 1 },
        ],
        byQuality: [{ quality: "standard", usd: 0.173, images: 3 }],
      });
      expect(totals["2026-11"]).toEqual(totals["2026-W45"]);
      expect(totals["2026-10"]).toMatchObject({ usd: 5, images: 1 });
      expect((await store.costTotals("nobody", ["2026-11"]))["2026-11"]).toEqual({
        usd: 0,
        savedUsd: 0,
        images: 0,
        cacheHits: 0,
        economyImages: 0,
        economySavedUsd: 0,
        byModel: [],
        byQuality: [],
      });
    });

    it("counts by quality tier what each image cost", async () => {
      const store = await makeStore();
      const at = Date.UTC(2026, 10, 3, 9);
      const draft = makeRecord("ola", at, { quality: "draft" });
      const premium = makeRecord("ola", at + 1, { quality: "premium" });
      await store.accept({ records: [draft, premium] });
      const done = (usd: number) => ({
        status: "completed" as const,
        completedAt: new Date().toISOString(),
        model: "m1",
        cached: false,
        cost: { usd, savedUsd: 0 },
      });
      await store.finishGenerations(
        [
          { id: draft.id, patch: done(0.02) },
          { id: premium.id, patch: done(0.134) },
        ],
        { onlyIfStatusIn: ["queued"] },
      );
      expect((await store.costTotals("ola", ["2026-11-03"]))["2026-11-03"]?.byQuality).toEqual([
        { quality: "draft", usd: 0.02, images: 1 },
        { quality: "premium", usd: 0.134, images: 1 },
      ]);
    });

    it("counts economy images and what their batch price saved, apart from the cache's", async () => {
      const store = await makeStore();
      const at = Date.UTC(2026, 10, 4, 9);
      const economy = makeRecord("eco", at, { tier: "economy" });
      const standard = makeRecord("eco", at + 1);
      await store.accept({ records: [economy, standard] });
      const completedAt = new Date().toISOString();
      await store.finishGenerations(
        [
          {
            id: economy.id,
            patch: {
              status: "completed",
              completedAt,
              model: "m1",
              cost: { usd: 0.0335, savedUsd: 0, economySavedUsd: 0.0335 },
            },
          },
          {
            id: standard.id,
            patch: {
              status: "completed",
              completedAt,
              model: "m1",
              cost: { usd: 0.067, savedUsd: 0 },
            },
          },
        ],
        { onlyIfStatusIn: ["queued"] },
      );
      expect((await store.costTotals("eco", ["2026-11-04"]))["2026-11-04"]).toMatchObject({
        usd: 0.1005,
        savedUsd: 0,
        images: 2,
        economyImages: 1,
        economySavedUsd: 0.0335,
      });
    });

    it("counts a second opinion's cost in usd and in its text model's own line, with no image", async () => {
      const store = await makeStore();
      const at = Date.UTC(2026, 10, 5, 9);
      const opinion = (costUsd: number, cached: boolean) => ({
        classification: {
          domain: "art",
          subcategory: "painting",
          confidence: 0.31,
          source: "gemini" as const,
          secondOpinion: { model: "t1", costUsd, cached },
        },
      });
      const asked = makeRecord("sam", at, opinion(0.000248, false));
      const cached = makeRecord("sam", at + 1, opinion(0, true));
      await store.accept({ records: [asked, cached] });
      const completedAt = new Date().toISOString();
      const done = (usd: number) => ({
        status: "completed" as const,
        completedAt,
        model: "m1",
        cost: { usd, savedUsd: 0 },
      });
      await store.finishGenerations(
        [
          // The image's 0.067 and the second opinion's 0.000248.
          { id: asked.id, patch: done(0.067248) },
          { id: cached.id, patch: done(0.067) },
        ],
        { onlyIfStatusIn: ["queued"] },
      );
      // POST /classify's own second opinion, which no generation carries.
      await store.addSpend("sam", { model: "t1", usd: 0.000252 }, new Date(at).toISOString());
      const totals = await store.costTotals("sam", ["2026-11-05", "2026-W45", "2026-11"]);
      for (const period of ["2026-11-05", "2026-W45", "2026-11"]) {
        expect(totals[period]).toMatchObject({
          usd: 0.1345,
          images: 2,
          byModel: [
            { model: "m1", usd: 0.134, images: 2 },
            { model: "t1", usd: 0.0005, images: 0 },
          ],
          byQuality: [{ quality: "standard", usd: 0.134248, images: 2 }],
        });
      }
    });

    it("keeps the service's hourly operations totals: outcomes, error codes, confidence", async () => {
      const store = await makeStore();
      // Hours far from any other test's, so totals shared by the whole store start empty.
      const hour = `20${30 + Math.floor(Math.random() * 60)}-01-0${1 + Math.floor(Math.random() * 9)}T05`;
      const at = `${hour}:10:00.000Z`;
      const nextHour = `${hour.slice(0, 11)}06`;
      const classified = (confidence: number) => ({
        classification: { domain: "photography", subcategory: "product", confidence },
      });
      const records = [
        makeRecord("ops1", Date.now(), classified(0.95)),
        makeRecord("ops1", Date.now(), classified(0.42)),
        makeRecord("ops2", Date.now(), classified(1)),
        makeRecord("ops2", Date.now()),
        makeRecord("ops2", Date.now()),
      ];
      await store.accept({ records });
      const [a, b, c, d, e] = records.map((r) => r.id) as [string, string, string, string, string];
      const failed = (code: string) => ({
        status: "failed" as const,
        completedAt: at,
        error: { code, message: "no", retryable: false },
      });
      await store.finishGenerations(
        [
          {
            id: a,
            patch: {
              status: "completed",
              completedAt: at,
              model: "m1",
              cached: false,
              cost: { usd: 0.039, savedUsd: 0 },
            },
          },
          {
            id: b,
            patch: {
              status: "completed",
              completedAt: at,
              model: "m1",
              cached: true,
              cost: { usd: 0, savedUsd: 0.039 },
            },
          },
          { id: c, patch: failed("SAFETY_BLOCKED") },
          { id: d, patch: failed("SAFETY_BLOCKED") },
          { id: e, patch: { status: "canceled", completedAt: `${nextHour}:00:00.000Z` } },
        ],
        { onlyIfStatusIn: ["queued"] },
      );
      // Finishing again counts nothing.
      await store.finishGenerations([{ id: c, patch: failed("PROVIDER_ERROR") }], {
        onlyIfStatusIn: ["queued", "processing"],
      });
      const totals = await store.operationsTotals([hour, nextHour]);
      expect(totals[hour]).toEqual({
        completed: 2,
        failed: 2,
        canceled: 0,
        cacheHits: 1,
        usd: 0.039,
        errors: { SAFETY_BLOCKED: 2 },
        confidence: [0, 0, 0, 0, 1, 0, 0, 0, 0, 2],
      });
      expect(totals[nextHour]).toMatchObject({ completed: 0, canceled: 1, errors: {} });
    });
  });
}
