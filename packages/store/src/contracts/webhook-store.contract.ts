import { newId, type WebhookDelivery } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { WebhookStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

/** WebhookStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeWebhookStoreContract(name: string, makeStore: MakeStore<WebhookStore>) {
  describe(`WebhookStore contract: ${name}`, () => {
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
  });
}
