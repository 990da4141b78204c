import { createHash } from "node:crypto";
import type { WebhookEvent } from "@nanobanana/domain";
import type { Producer, webhookQueue } from "@nanobanana/queue";

/**
 * The id of an event's delivery, derived from what the event is about: a job that runs
 * twice makes the same id, so the receiver never gets a second, different webhook.
 * Its shape is domain's DELIVERY_ID, which the webhooks queue's payload schema checks.
 */
export const deliveryIdFor = (subjectId: string, event: WebhookEvent) =>
  `msg_${createHash("sha256").update(`${subjectId}:${event}`).digest("hex").slice(0, 26)}`;

/**
 * Each delivery attempt is its own job: "{deliveryId}-{attempt}". A fixed id per attempt
 * makes a repeated enqueue (a re-run after a crash) a no-op while the job exists.
 */
export const deliveryJobId = (deliveryId: string, attempt: number) => `${deliveryId}-${attempt}`;

/** Puts webhook deliveries on the webhooks queue; the one place their jobs are named. */
export interface WebhookDispatcher {
  /** Attempt 0 is the first; a retry comes later with its attempt number and delay. */
  enqueueDelivery(deliveryId: string, attempt: number, delayMs?: number): Promise<void>;
}

export function createWebhookDispatcher(
  producer: Pick<Producer<typeof webhookQueue>, "enqueue">,
): WebhookDispatcher {
  return {
    async enqueueDelivery(deliveryId, attempt, delayMs) {
      await producer.enqueue(
        "deliver",
        { deliveryId },
        { jobId: deliveryJobId(deliveryId, attempt), ...(delayMs ? { delayMs } : {}) },
      );
    },
  };
}
