import type { WebhookDelivery } from "@nanobanana/domain";
import type { WebhookStore } from "@nanobanana/store";
import { postWebhook } from "./post.ts";
import { nextRetryDelay } from "./schedule.ts";
import { newWebhookSecret, webhookHeaders } from "./signing.ts";
import { checkWebhookTarget, isWebhookRefusal, type Resolver } from "./ssrf.ts";

export interface DeliveryDeps {
  store: WebhookStore;
  allowPrivate: boolean;
  timeoutMs: number;
  /** Delays between attempts (ms); its length is the number of retries. */
  schedule: readonly number[];
  resolve?: Resolver;
  /** Ports besides 80 and 443 a webhook URL may name (WEBHOOK_PORTS). */
  extraPorts?: readonly number[];
}

export type DeliveryOutcome =
  | { kind: "delivered" | "skipped" | "dead" | "disabled"; delivery: WebhookDelivery | null }
  | { kind: "retry"; delayMs: number; attempt: number; delivery: WebhookDelivery };

type AttemptResult = {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  retryAfterMs?: number | undefined;
};

const failed = (error: unknown): AttemptResult => ({
  ok: false,
  statusCode: null,
  error: error instanceof Error ? error.message : String(error),
  durationMs: 0,
});

/**
 * One attempt at a delivery: re-check the target (DNS may have changed since submission),
 * sign with every secret that signs now (the current one, and the one a rotation replaced
 * while its overlap lasts), POST, record the attempt, decide what comes next.
 * Any 2xx is success; 410 Gone stops; 429/503 honour Retry-After; the rest follow the schedule.
 * Only a target the guard refuses ends the delivery at once; a DNS failure is an attempt like
 * a receiver that did not answer. A store failure (reading the secrets) is the worker's own:
 * it is thrown, no attempt is recorded, and the queue retries the job.
 */
export async function attemptDelivery(
  deps: DeliveryDeps,
  deliveryId: string,
): Promise<DeliveryOutcome> {
  const delivery = await deps.store.getDelivery(deliveryId);
  if (delivery?.status !== "pending") return { kind: "skipped", delivery };

  const at = new Date().toISOString();
  let result: AttemptResult;
  let permanent = false;
  const checked = await checkWebhookTarget(delivery.url, {
    allowPrivate: deps.allowPrivate,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
    ...(deps.extraPorts ? { extraPorts: deps.extraPorts } : {}),
  }).catch((error: unknown) => ({ failure: error }));
  if ("failure" in checked) {
    // Refused (address, port, scheme): no later attempt can be allowed either. Anything else
    // (EAI_AGAIN, ENOTFOUND, a resolver timeout) may pass next time.
    permanent = isWebhookRefusal(checked.failure);
    result = failed(checked.failure);
  } else {
    const secrets = await deps.store.webhookSigningSecrets(delivery.userId, newWebhookSecret);
    try {
      result = await postWebhook(
        checked,
        webhookHeaders(secrets, delivery.id, delivery.body),
        delivery.body,
        { timeoutMs: deps.timeoutMs },
      );
    } catch (error) {
      result = failed(error);
    }
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
