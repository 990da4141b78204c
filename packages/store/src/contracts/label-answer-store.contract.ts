import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { LabelAnswer, LabelAnswerStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

const answer = (key: string, extra: Partial<LabelAnswer> = {}): LabelAnswer => ({
  key,
  model: "gemini-3.1-flash-lite",
  domain: "art",
  subcategory: "painting",
  reason: "a watercolour look",
  costUsd: 0.000248,
  createdAt: new Date().toISOString(),
  ...extra,
});

/** LabelAnswerStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeLabelAnswerStoreContract(
  name: string,
  makeStore: MakeStore<LabelAnswerStore>,
) {
  describe(`LabelAnswerStore contract: ${name}`, () => {
    it("keeps an answer by its key and gives it back whole; another key has none", async () => {
      const store = await makeStore();
      const key = randomBytes(32).toString("hex");
      expect(await store.getLabelAnswer(key)).toBeNull();
      const kept = answer(key);
      await store.putLabelAnswer(kept, 60);
      expect(await store.getLabelAnswer(key)).toEqual(kept);
      expect(await store.getLabelAnswer(randomBytes(32).toString("hex"))).toBeNull();
    });

    it("replaces an answer put again under the same key, and keeps a null reason", async () => {
      const store = await makeStore();
      const key = randomBytes(32).toString("hex");
      await store.putLabelAnswer(answer(key), 60);
      const again = answer(key, { domain: "photography", subcategory: "landscape", reason: null });
      await store.putLabelAnswer(again, 60);
      expect(await store.getLabelAnswer(key)).toEqual(again);
    });

    it("forgets an answer once its time is up", async () => {
      const store = await makeStore();
      const key = randomBytes(32).toString("hex");
      await store.putLabelAnswer(answer(key), 1);
      expect(await store.getLabelAnswer(key)).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await store.getLabelAnswer(key)).toBeNull();
    });
  });
}
