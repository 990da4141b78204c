import { describe, expect, it } from "vitest";
import type { PreferenceStore, WebhookStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

/**
 * PreferenceStore's behaviour; `makeStore` gives a fresh, isolated store. Preferences may share
 * a document with the webhook secret (Firestore), so the suite checks that neither clobbers
 * the other.
 */
export function describePreferenceStoreContract(
  name: string,
  makeStore: MakeStore<PreferenceStore & Pick<WebhookStore, "getOrCreateWebhookSecret">>,
) {
  describe(`PreferenceStore contract: ${name}`, () => {
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
  });
}
