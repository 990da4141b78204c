import {
  type CustomTemplate,
  costWindows,
  customTemplateSchema,
  parseIsoDay,
  preferencesSchema,
  presentGeneration,
} from "@nanobanana/domain";
import { invalidRequest, notFound } from "@nanobanana/errors";
import { checkRequests } from "@nanobanana/generations";
import { Router } from "express";
import { z } from "zod";
import { resolveUserId } from "../auth.ts";
import { parseBody, queryInt } from "../http-errors.ts";
import { baseUrlOf, type GenerationRouteDeps } from "./generations.ts";

const historyQuery = z.strictObject({
  limit: queryInt("limit", { min: 1, max: 100, default: 20 }),
  cursor: z.string().max(64).optional(),
});

const DATE_MESSAGE = "date must be a real day as YYYY-MM-DD";
const costQuery = z.strictObject({
  // Noon UTC of that day; "2026-02-31" is refused, not read as March 3.
  date: z
    .string({ error: DATE_MESSAGE })
    .transform((text, ctx) => {
      const day = parseIsoDay(text);
      if (!day) ctx.addIssue({ code: "custom", message: DATE_MESSAGE });
      return day ?? z.NEVER;
    })
    .optional(),
});

/** A user's own things: history (newest first, cursor-paginated) and cost. */
export function userRoutes(
  deps: Pick<GenerationRouteDeps, "store" | "publicUrl" | "models" | "webhooks">,
): Router {
  const router = Router();
  router.get("/user/:id/history", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const query = parseBody(historyQuery, { ...req.query });
    const page = await deps.store.listHistory(userId, {
      limit: query.limit,
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    const baseUrl = baseUrlOf(req, deps.publicUrl);
    res.json({
      items: page.items.map((r) => presentGeneration(r, baseUrl)),
      nextCursor: page.nextCursor,
    });
  });
  router.get("/user/:id/cost", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const { date } = parseBody(costQuery, { ...req.query });
    const windows = costWindows(date ?? new Date());
    // Running totals kept as images complete: three reads, however many records there are.
    const periods = [windows.day.period, windows.week.period, windows.month.period];
    const totals = await deps.store.costTotals(userId, periods);
    const [day, week, month] = periods.map((period) => ({
      period,
      ...(totals[period] ?? { usd: 0, savedUsd: 0, images: 0, cacheHits: 0, byModel: [] }),
    }));
    res.json({
      userId,
      currency: "USD",
      day: { ...day, byModel: undefined },
      week: { ...week, byModel: undefined },
      month: { ...month, byModel: undefined },
      // By model and cache savings over the month.
      byModel: month?.byModel ?? [],
      cache: { hits: month?.cacheHits ?? 0, savedUsd: month?.savedUsd ?? 0 },
    });
  });

  router.get("/user/:id/preferences", async (req, res) => {
    res.json(await deps.store.getPreferences(resolveUserId(req, String(req.params.id))));
  });

  router.put("/user/:id/preferences", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const preferences = parseBody(preferencesSchema, req.body);
    await checkRequests(deps, [{ path: "", request: preferences }]);
    await deps.store.setPreferences(userId, preferences);
    res.json(preferences);
  });

  router.get("/user/:id/templates", async (req, res) => {
    res.json({ items: await deps.store.listTemplates(resolveUserId(req, String(req.params.id))) });
  });

  router.post("/user/:id/templates", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const input = parseBody(customTemplateSchema, req.body);
    const id = `${input.subcategory}.${input.quality}`;
    const existing = await deps.store.getTemplate(userId, id);
    const template: CustomTemplate = {
      ...input,
      id,
      userId,
      version: (existing?.version ?? 0) + 1,
      updatedAt: new Date().toISOString(),
    };
    await deps.store.putTemplate(template);
    res.status(existing ? 200 : 201).json(template);
  });

  router.delete("/user/:id/templates/:templateId", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const id = String(req.params.templateId);
    if (!/^[a-z0-9_]{1,32}\.(draft|standard|premium)$/.test(id)) {
      throw invalidRequest(`"${id.slice(0, 60)}" is not a template id such as product.premium`);
    }
    if (!(await deps.store.deleteTemplate(userId, id))) throw notFound(`no template ${id}`);
    res.status(204).end();
  });

  return router;
}
