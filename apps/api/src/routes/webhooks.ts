import { presentDelivery } from "@nanobanana/domain";
import type { WebhookStore } from "@nanobanana/store";
import { newWebhookSecret } from "@nanobanana/webhooks";
import { Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { parseBody, queryInt } from "../http-errors.ts";

const deliveriesQuery = z.strictObject({
  limit: queryInt("limit", { min: 1, max: 200, default: 50 }),
});

/**
 * The caller's signing secret and recent deliveries. After a rotation the old secret keeps
 * signing (beside the new one) for `secretOverlapSeconds` (WEBHOOK_SECRET_OVERLAP_HOURS,
 * default 24 h), so receivers can switch without rejecting deliveries.
 */
export function webhookRoutes(deps: {
  store: WebhookStore;
  secretOverlapSeconds?: number;
}): Router {
  const router = Router();
  router.get("/webhooks/secret", async (req, res) => {
    const secret = await deps.store.getOrCreateWebhookSecret(
      callerOf(req).userId,
      newWebhookSecret,
    );
    res.set("Cache-Control", "no-store").json({ secret });
  });
  router.post("/webhooks/secret/rotate", async (req, res) => {
    const secret = newWebhookSecret();
    const overlapMs = (deps.secretOverlapSeconds ?? 86_400) * 1000;
    const previousUntil = new Date(Date.now() + overlapMs).toISOString();
    await deps.store.rotateWebhookSecret(callerOf(req).userId, secret, previousUntil);
    // Until then deliveries carry a signature by the old secret too; null: no overlap.
    res
      .set("Cache-Control", "no-store")
      .json({ secret, previousSecretValidUntil: overlapMs > 0 ? previousUntil : null });
  });
  router.get("/webhooks/deliveries", async (req, res) => {
    const { limit } = parseBody(deliveriesQuery, { ...req.query });
    const items = await deps.store.listDeliveries(callerOf(req).userId, { limit });
    res.json({ items: items.map(presentDelivery) });
  });
  return router;
}
