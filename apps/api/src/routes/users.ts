import { costWindows, presentGeneration } from "@nanobanana/domain";
import type { Store } from "@nanobanana/store";
import { Router } from "express";
import { z } from "zod";
import { resolveUserId } from "../auth.ts";
import { parseBody } from "../http-errors.ts";
import { baseUrlOf } from "./generations.ts";

const historyQuery = z.strictObject({
  limit: z.coerce.number({ error: "limit must be a number" }).int().min(1).max(100).default(20),
  cursor: z.string().max(64).optional(),
});

const costQuery = z.strictObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "date must be YYYY-MM-DD")
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), "date must be a real day")
    .optional(),
});

/** A user's own things: history (newest first, cursor-paginated) and cost. */
export function userRoutes(deps: {
  store: Store;
  publicUrl: string | undefined;
  models: readonly string[];
}): Router {
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
    const windows = costWindows(date ? new Date(`${date}T12:00:00Z`) : new Date());
    const [day, week, month] = await Promise.all(
      [windows.day, windows.week, windows.month].map(async (w) => ({
        period: w.period,
        ...(await deps.store.costSummary(userId, w, deps.models)),
      })),
    );
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

  return router;
}
