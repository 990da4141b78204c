/**
 * `@nanobanana/client/webhooks`: verifying the service's webhook deliveries, which follow the
 * Standard Webhooks spec (`webhook-id`, `webhook-timestamp`, `webhook-signature`, secret
 * `whsec_…`). Kept apart from the main entry so browser bundles never carry it; it needs no
 * Node API either.
 */
import { WebhookVerificationError as UpstreamError, Webhook } from "standardwebhooks";
import type { WebhookPayload } from "./types.ts";

export type { WebhookPayload } from "./types.ts";

/** A delivery that is not from the service (bad or missing signature, or too old/new). */
export class WebhookVerificationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookVerificationError";
  }
}

/** Header shapes receivers have: a fetch Headers, Node's IncomingHttpHeaders, or a plain record. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

const NAMES = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

function pick(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as { get?: unknown }).get === "function") {
    for (const name of NAMES) {
      const value = (headers as { get(name: string): string | null }).get(name);
      if (value !== null) out[name] = value;
    }
    return out;
  }
  const lower = Object.fromEntries(
    Object.entries(headers as Record<string, string | string[] | undefined>).map(([k, v]) => [
      k.toLowerCase(),
      v,
    ]),
  );
  for (const name of NAMES) {
    const value = lower[name];
    // A header sent twice arrives as an array: its values are space-separated signatures.
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(" ") : value;
  }
  return out;
}

/**
 * Checks a delivery and answers its parsed body `{type, timestamp, data}`; throws
 * WebhookVerificationError otherwise. Pass the body exactly as received (the raw text or
 * bytes, not re-serialised JSON). During a secret rotation the service signs with both
 * secrets, so one secret suffices; you may also pass several (the new and the old one).
 * Timestamps more than 5 minutes from now are refused (replays).
 */
export function verifyWebhook(
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  secret: string | readonly string[],
): WebhookPayload {
  const text =
    typeof body === "string"
      ? body
      : new TextDecoder().decode(body instanceof ArrayBuffer ? new Uint8Array(body) : body);
  const picked = pick(headers);
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0) throw new WebhookVerificationError("no secret to verify with");
  let last: unknown;
  for (const s of secrets) {
    try {
      return new Webhook(s).verify(text, picked) as WebhookPayload;
    } catch (error) {
      if (!(error instanceof UpstreamError)) {
        // A malformed secret, say: not the delivery's fault, but still not verified.
        throw new WebhookVerificationError(
          `cannot verify with this secret: ${(error as Error).message}`,
          { cause: error },
        );
      }
      last = error;
    }
  }
  throw new WebhookVerificationError((last as Error).message, { cause: last });
}
