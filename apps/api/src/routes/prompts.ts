import { classifyPrompt } from "@nanobanana/classifier";
import { aspectRatioSchema, promptSchema, qualitySchema } from "@nanobanana/domain";
import { enhancePrompt } from "@nanobanana/templates";
import { Router } from "express";
import { z } from "zod";
import { parseBody } from "../http-errors.ts";

const classifyBody = z.strictObject({ prompt: promptSchema });
const enhanceBody = z.strictObject({
  prompt: promptSchema,
  quality: qualitySchema.default("standard"),
  aspectRatio: aspectRatioSchema.optional(),
});

/** POST /classify and POST /enhance: the pipeline's first two stages, on their own. */
export function promptRoutes(): Router {
  const router = Router();
  router.post("/classify", (req, res) => {
    const { prompt } = parseBody(classifyBody, req.body);
    res.json(classifyPrompt(prompt));
  });
  router.post("/enhance", (req, res) => {
    const body = parseBody(enhanceBody, req.body);
    const classification = classifyPrompt(body.prompt);
    const enhancement = enhancePrompt(body.prompt, {
      label: { domain: classification.domain, subcategory: classification.subcategory },
      quality: body.quality,
      certainty: classification.certainty,
      ...(body.aspectRatio ? { aspectRatio: body.aspectRatio } : {}),
    });
    res.json({ ...enhancement, classification });
  });
  return router;
}
