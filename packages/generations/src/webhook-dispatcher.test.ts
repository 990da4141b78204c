import { DELIVERY_ID, WEBHOOK_EVENTS } from "@nanobanana/domain";
import { deliverJobSchema } from "@nanobanana/queue";
import { describe, expect, it } from "vitest";
import { createWebhookDispatcher, deliveryIdFor } from "./webhook-dispatcher.ts";

describe("webhook dispatcher", () => {
  it("derives one delivery id per subject and event, in the shape the webhooks queue accepts", () => {
    for (const event of WEBHOOK_EVENTS) {
      const id = deliveryIdFor("gen_0000000000000000000000000a", event);
      expect(id).toMatch(DELIVERY_ID);
      expect(deliverJobSchema.safeParse({ deliveryId: id }).success).toBe(true);
      expect(deliveryIdFor("gen_0000000000000000000000000a", event)).toBe(id);
    }
    const ids = WEBHOOK_EVENTS.map((e) => deliveryIdFor("bat_x", e));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("names each attempt's job, and delays only retries", async () => {
    const calls: unknown[] = [];
    const dispatcher = createWebhookDispatcher({
      enqueue: async (...args: unknown[]) => {
        calls.push(args);
        return undefined as never;
      },
    });
    const id = deliveryIdFor("gen_1", "generation.completed");
    await dispatcher.enqueueDelivery(id, 0);
    await dispatcher.enqueueDelivery(id, 2, 60_000);
    expect(calls).toEqual([
      ["deliver", { deliveryId: id }, { jobId: `${id}-0` }],
      ["deliver", { deliveryId: id }, { jobId: `${id}-2`, delayMs: 60_000 }],
    ]);
  });
});
