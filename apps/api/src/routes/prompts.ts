import { classifyPrompt } from "@nanobanana/classifier";
import { aspectRatioSchema, promptSchema, qualitySchema, resolveRequest } from "@nanobanana/domain";
import { invalidRequest } from "@nanobanana/errors";
import type { LocalLabel, SecondOpinion } from "@nanobanana/second-opinion";
import type { GenerationStore, PreferenceStore, TemplateStore } from "@nanobanana/store";
import { enhancePrompt, variantSeedFor } from "@nanobanana/templates";
import { Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { parseBody } from "../http-errors.ts";

export const classifyBody = z.strictObject({
  prompt: promptSchema,
  /** Also ask the second opinion when the classifier is unsure (CLASSIFIER_SECOND_OPINION). */
  secondOpinion: z.boolean({ error: "secondOpinion must be true or false" }).optional(),
});
export const enhanceBody = z.strictObject({
  prompt: promptSchema,
  quality: qualitySchema.optional(),
  aspectRatio: aspectRatioSchema.optional(),
});

export interface PromptRouteDeps {
  store: PreferenceStore & Pick<TemplateStore, "getTemplate"> & Pick<GenerationStore, "addSpend">;
  /** The classifier's second opinion, when CLASSIFIER_SECOND_OPINION=gemini. */
  secondOpinion?: Pick<SecondOpinion, "decide"> | undefined;
  /** Whose cache a second opinion's answer is kept in, as for images (CACHE_SCOPE). */
  cacheScope?: "user" | "global";
}

const localOf = (c: ReturnType<typeof classifyPrompt>): LocalLabel => ({
  domain: c.domain,
  subcategory: c.subcategory,
  confidence: c.confidence,
  certainty: c.certainty,
});

/**
 * POST /classify and POST /enhance: the pipeline's first two stages, on their own. /enhance
 * previews what POST /generate would send for the same request and caller: the same
 * preferences fill what the body leaves out, the caller's own template is used, and the A/B
 * arm comes from the same request-derived seed.
 */
export function promptRoutes(deps: PromptRouteDeps): Router {
  const router = Router();
  router.post("/classify", async (req, res) => {
    const { prompt, secondOpinion } = parseBody(classifyBody, req.body);
    const classification = classifyPrompt(prompt);
    if (!secondOpinion) {
      res.json({ ...classification, source: "local" });
      return;
    }
    if (!deps.secondOpinion) {
      throw invalidRequest(
        "secondOpinion: this service asks no second opinion (CLASSIFIER_SECOND_OPINION is off)",
      );
    }
    const { userId } = callerOf(req);
    const verdict = await deps.secondOpinion.decide(prompt, localOf(classification), {
      scope: deps.cacheScope === "global" ? "global" : `user:${userId}`,
    });
    // No generation carries this call's cost: it goes on the caller's totals by itself.
    const opinion = verdict.secondOpinion;
    if (opinion && opinion.costUsd > 0) {
      await deps.store.addSpend(
        userId,
        { model: opinion.model, usd: opinion.costUsd },
        new Date().toISOString(),
      );
    }
    // The label, certainty and who decided are the verdict's; scores, alternatives and
    // evidence stay the local classifier's.
    res.json({ ...classification, ...verdict });
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
    res.json({ ...enhancement, classification: { ...classification, source: "local" } });
  });
  return router;
}
