import type { WebhookDelivery } from "@nanobanana/domain";
import type { Store } from "@nanobanana/store";
import { postWebhook } from "./post.ts";
import { nextRetryDelay } from "./schedule.ts";
import { newWebhookSecret, webhookHeaders } from "./signing.ts";
import { checkWebhookTarget, type Resolver } from "./ssrf.ts";

export interface DeliveryDeps {
  store: Store;
  allowPrivate: boolean;
  timeoutMs: number;
  /** Delays between attempts (ms); its length is the number of retries. */
  schedule: readonly number[];
  resolve?: Resolver;
}

export type DeliveryOutcome =
  | { kind: "delivered" | "skipped" | "dead" | "disabled"; delivery: WebhookDelivery | null }
  | { kind: "retry"; delayMs: number; attempt: number; delivery: WebhookDelivery };

/**
 * One attempt at a delivery: re-check the target (DNS may have changed since submission),
 * sign with the user's current secret, POST, record the attempt, decide what comes next.
 * Any 2xx is success; 410 Gone stops; 429/503 honour Retry-After; the rest follow the schedule.
 */
export async function attemptDelivery(
  deps: DeliveryDeps,
  deliveryId: string,
): Promise<DeliveryOutcome> {
  const delivery = await deps.store.getDelivery(deliveryId);
  if (delivery?.status !== "pending") return { kind: "skipped", delivery };

  const at = new Date().toISOString();
  let result: {
    ok: boolean;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    retryAfterMs?: number | undefined;
  };
  let permanent = false;
  try {
    const target = await checkWebhookTarget(delivery.url, {
      allowPrivate: deps.allowPrivate,
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    });
    const secret = await deps.store.getOrCreateWebhookSecret(delivery.userId, newWebhookSecret);
    result = await postWebhook(
      target,
      webhookHeaders(secret, delivery.id, delivery.body),
      delivery.body,
      {
        timeoutMs: deps.timeoutMs,
      },
    );
  } catch (error) {
    // The URL now resolves somewhere refused: no later attempt can be allowed either.
    permanent = true;
    result = { ok: false, statusCode: null, error: (error as Error).message, durationMs: 0 };
  }

  const attempts = [
    ...delivery.attempts,
    { at, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs },
  ];
  if (result.ok) {
    await deps.store.updateDelivery(deliveryId, {
      status: "delivered",
      attempts,
      nextAttemptAt: null,
      deliveredAt: at,
    });
    return { kind: "delivered", delivery: { ...delivery, status: "delivered", attempts } };
  }
  if (result.statusCode === 410) {
    await deps.store.updateDelivery(deliveryId, {
      status: "disabled",
      attempts,
      nextAttemptAt: null,
    });
    return { kind: "disabled", delivery: { ...delivery, status: "disabled", attempts } };
  }
  const honour =
    result.statusCode === 429 || result.statusCode === 503 ? result.retryAfterMs : undefined;
  const delayMs = permanent ? null : nextRetryDelay(deps.schedule, attempts.length - 1, honour);
  if (delayMs === null) {
    await deps.store.updateDelivery(deliveryId, { status: "dead", attempts, nextAttemptAt: null });
    return { kind: "dead", delivery: { ...delivery, status: "dead", attempts } };
  }
  const nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
  await deps.store.updateDelivery(deliveryId, { attempts, nextAttemptAt });
  return {
    kind: "retry",
    delayMs,
    attempt: attempts.length,
    delivery: { ...delivery, attempts, nextAttemptAt },
  };
}
