import { newId } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { GenerationStore, TemplateStore } from "../store.ts";
import { type MakeStore, makeRecord } from "./fixtures.ts";

/**
 * TemplateStore's behaviour; `makeStore` gives a fresh, isolated store. Feedback is about a
 * generation and is stored on it, so the suite accepts generations and reads them back.
 */
export function describeTemplateStoreContract(
  name: string,
  makeStore: MakeStore<TemplateStore & Pick<GenerationStore, "accept" | "getGeneration">>,
) {
  describe(`TemplateStore contract: ${name}`, () => {
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
  });
}
