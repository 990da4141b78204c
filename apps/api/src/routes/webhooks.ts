import { presentDelivery } from "@nanobanana/domain";
import type { Store } from "@nanobanana/store";
import { newWebhookSecret } from "@nanobanana/webhooks";
import { Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { parseBody } from "../http-errors.ts";

const deliveriesQuery = z.strictObject({
  limit: z.coerce.number({ error: "limit must be a number" }).int().min(1).max(200).default(50),
});

/** The caller's signing secret and recent deliveries. */
export function webhookRoutes(deps: { store: Store }): Router {
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
    await deps.store.rotateWebhookSecret(callerOf(req).userId, secret, new Date().toISOString());
    res.set("Cache-Control", "no-store").json({ secret });
  });
  router.get("/webhooks/deliveries", async (req, res) => {
    const { limit } = parseBody(deliveriesQuery, { ...req.query });
    const items = await deps.store.listDeliveries(callerOf(req).userId, { limit });
    res.json({ items: items.map(presentDelivery) });
  });
  return router;
}
