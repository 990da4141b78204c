import { createHmac, randomBytes } from "node:crypto";

/** A new per-user signing secret in the Standard Webhooks form: "whsec_" + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/**
 * The `webhook-signature` value per the Standard Webhooks spec: "v1," + base64 of
 * HMAC-SHA256 over "{id}.{timestamp}.{body}", keyed with the secret's base64-decoded bytes.
 */
export function signWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const mac = createHmac("sha256", key)
    .update(`${id}.${timestampSeconds}.${body}`)
    .digest("base64");
  return `v1,${mac}`;
}

/**
 * Standard Webhooks headers. With several secrets (the current one, then the one a rotation
 * replaced while its overlap lasts) the signature header carries one signature per secret,
 * space-separated ("v1,<a> v1,<b>"); a receiver accepts the delivery if any one matches.
 */
export function webhookHeaders(
  secrets: string | readonly string[],
  id: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const keys = typeof secrets === "string" ? [secrets] : secrets;
  if (keys.length === 0) throw new Error("no secret to sign the webhook with");
  return {
    "content-type": "application/json",
    "user-agent": "NanoBanana-Webhooks/1",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": keys.map((key) => signWebhook(key, id, timestamp, body)).join(" "),
  };
}
