import { classifyPrompt } from "@nanobanana/classifier";
import { aspectRatioSchema, promptSchema, qualitySchema, resolveRequest } from "@nanobanana/domain";
import type { PreferenceStore, TemplateStore } from "@nanobanana/store";
import { enhancePrompt, variantSeedFor } from "@nanobanana/templates";
import { Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { parseBody } from "../http-errors.ts";

export const classifyBody = z.strictObject({ prompt: promptSchema });
export const enhanceBody = z.strictObject({
  prompt: promptSchema,
  quality: qualitySchema.optional(),
  aspectRatio: aspectRatioSchema.optional(),
});

export interface PromptRouteDeps {
  store: PreferenceStore & Pick<TemplateStore, "getTemplate">;
}

/**
 * POST /classify and POST /enhance: the pipeline's first two stages, on their own. /enhance
 * previews what POST /generate would send for the same request and caller: the same
 * preferences fill what the body leaves out, the caller's own template is used, and the A/B
 * arm comes from the same request-derived seed.
 */
export function promptRoutes(deps: PromptRouteDeps): Router {
  const router = Router();
  router.post("/classify", (req, res) => {
    const { prompt } = parseBody(classifyBody, req.body);
    res.json(classifyPrompt(prompt));
  });
  router.post("/enhance", async (req, res) => {
    const body = parseBody(enhanceBody, req.body);
    const { userId } = callerOf(req);
    const { prompt, quality, aspectRatio } = resolveRequest(
      body,
      await deps.store.getPreferences(userId),
    );
    const classification = classifyPrompt(prompt);
    const label = { domain: classification.domain, subcategory: classification.subcategory };
    const custom = await deps.store.getTemplate(userId, `${label.subcategory}.${quality}`);
    const enhancement = enhancePrompt(prompt, {
      label,
      quality,
      aspectRatio,
      certainty: classification.certainty,
      variantSeed: variantSeedFor({ prompt, quality, aspectRatio, userId }),
      ...(custom ? { custom } : {}),
    });
    res.json({ ...enhancement, classification });
  });
  return router;
}
