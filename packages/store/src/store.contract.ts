import { type GenerationRecord, newGenerationRecord, newId } from "@nanobanana/domain";
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

/** One behaviour suite for every Store adapter; `makeStore` gives a fresh, isolated store. */
export function describeStoreContract(name: string, makeStore: () => Promise<Store> | Store) {
  describe(`Store contract: ${name}`, () => {
    it("returns a created record exactly as written", async () => {
      const store = await makeStore();
      const record = makeRecord("alice", Date.now(), {
        metadata: { campaign: "spring", n: 3, ok: true },
      });
      await store.createGeneration(record);
      expect(await store.getGeneration(record.id)).toEqual(record);
    });

    it("answers null for an unknown id", async () => {
      const store = await makeStore();
      expect(await store.getGeneration(newId("gen"))).toBeNull();
    });

    it("merges a patch, stamps updatedAt and keeps the other fields", async () => {
      const store = await makeStore();
      const record = makeRecord("alice", Date.now() - 5_000);
      await store.createGeneration(record);
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
      await store.createGeneration(record);
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
      for (const r of [...mine].reverse()) await store.createGeneration(r);
      await store.createGeneration(makeRecord("carol", base + 5));

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

    it("answers ping", async () => {
      const store = await makeStore();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
