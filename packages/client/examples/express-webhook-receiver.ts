/**
 * A webhook receiver for NanoBanana deliveries, with Express.
 *
 *   NANOBANANA_WEBHOOK_SECRET=whsec_… npx tsx examples/express-webhook-receiver.ts
 *
 * The secret is GET /webhooks/secret's (`whsec_…`). During a rotation the service signs with
 * the new and the old secret, so this keeps working; set NANOBANANA_WEBHOOK_SECRET to the new
 * one (or both, comma-separated) within the overlap.
 */
import { fileURLToPath } from "node:url";
import { verifyWebhook, WebhookVerificationError } from "@nanobanana/client/webhooks";
import express from "express";

export function createReceiver(
  secrets: string | string[],
  handle: (event: ReturnType<typeof verifyWebhook>, deliveryId: string) => void,
) {
  const app = express();
  // Deliveries are retried with the same webhook-id: remember what was handled (use a store
  // with a TTL in production; this map is the idea).
  const seen = new Set<string>();
  // The raw body, exactly as signed: a JSON parser's re-serialisation would not verify.
  app.post("/hooks/nanobanana", express.raw({ type: "*/*", limit: "1mb" }), (req, res) => {
    let event: ReturnType<typeof verifyWebhook>;
    try {
      event = verifyWebhook(req.headers, req.body as Buffer, secrets);
    } catch (error) {
      if (error instanceof WebhookVerificationError) {
        res.status(400).json({ error: error.message });
        return;
      }
      throw error;
    }
    const id = String(req.headers["webhook-id"]);
    if (!seen.has(id)) {
      seen.add(id);
      handle(event, id);
    }
    // Any 2xx is success; answer fast and do slow work elsewhere (the service waits 10 s).
    res.sendStatus(204);
  });
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.NANOBANANA_WEBHOOK_SECRET;
  if (!secret) {
    console.error("set NANOBANANA_WEBHOOK_SECRET (GET /webhooks/secret)");
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 9000);
  createReceiver(secret.split(","), (event) => {
    if (event.type === "batch.completed") {
      console.log(
        `batch ${event.data.id}: ${event.data.counts.completed}/${event.data.total} completed`,
      );
    } else {
      console.log(
        `${event.type} ${event.data.id} ${event.data.image?.url ?? event.data.error?.message ?? ""}`,
      );
    }
  }).listen(port, () => console.log(`listening on http://localhost:${port}/hooks/nanobanana`));
}
