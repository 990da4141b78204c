import type { ModelOffer } from "@nanobanana/config";
import { Router } from "express";

/**
 * GET /models: what this deployment draws with — each model's sizes with their prices
 * (standard and batch), aspect ratios and reference-image limit, the default and fallback, and
 * the routing table — so clients never hard-code a model name or a price.
 */
export function modelRoutes(deps: { offer: ModelOffer }): Router {
  const router = Router();
  router.get("/models", (_req, res) => {
    const { offer } = deps;
    res.set("Cache-Control", "private, max-age=60").json({
      provider: offer.provider,
      makers: offer.makers,
      defaultModel: offer.defaultModel,
      fallbackModel: offer.fallbackModel,
      routes: offer.routes,
      items: offer.models.map((m) => ({
        ...m,
        referenceImages: m.maxReferenceImages > 0,
        roles: [
          ...(m.id === offer.defaultModel ? ["default"] : []),
          ...(m.id === offer.fallbackModel ? ["fallback"] : []),
          ...(offer.routes.some((r) => r.model === m.id) ? ["routed"] : []),
        ],
      })),
    });
  });
  return router;
}
