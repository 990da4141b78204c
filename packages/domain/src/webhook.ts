import { z } from "zod";

export const WEBHOOK_EVENTS = [
  "generation.completed",
  "generation.failed",
  "batch.completed",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** `webhook` in a request: a URL, or {url, events} to choose which events to receive. */
export const webhookRequestSchema = z.preprocess(
  (value) => (typeof value === "string" ? { url: value } : value),
  z
    .strictObject(
      {
        url: z.string({ error: "webhook.url must be a URL" }),
        events: z
          .array(
            z.enum(WEBHOOK_EVENTS, { error: `events must be among ${WEBHOOK_EVENTS.join(", ")}` }),
          )
          .min(1, "events must name at least one event")
          .optional(),
      },
      { error: "webhook must be a URL or {url, events}" },
    )
    .transform((w) => ({ url: w.url, events: w.events ?? [...WEBHOOK_EVENTS] })),
);

export type WebhookTarget = z.output<typeof webhookRequestSchema>;

export function wants(
  target: { events: readonly string[] } | null | undefined,
  event: WebhookEvent,
): boolean {
  return Boolean(target?.events.includes(event));
}

export type DeliveryStatus = "pending" | "delivered" | "dead" | "disabled";

export interface DeliveryAttempt {
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * A delivery's id (also its `webhook-id`): "msg_" and 26 hex digits of a hash of its subject and
 * event (deliveryIdFor in packages/generations), so a repeated event makes the same id.
 */
export const DELIVERY_ID = /^msg_[0-9a-f]{26}$/;

/** One event to one URL: its body is fixed at creation, so every retry sends the same bytes and id. */
export interface WebhookDelivery {
  /** Also the `webhook-id` header: the same on every retry, so receivers can de-duplicate. */
  id: string;
  userId: string;
  event: WebhookEvent;
  /** The generation or batch the event is about. */
  subjectId: string;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}
