import {
  COST_SERIES_UNITS,
  type CustomTemplate,
  costSeriesWindows,
  costWindows,
  customTemplateSchema,
  DOMAINS,
  GENERATION_STATUSES,
  parseIsoDay,
  preferencesSchema,
  presentGeneration,
  roundUsd,
} from "@nanobanana/domain";
import { invalidRequest, notFound } from "@nanobanana/errors";
import { checkRequests, findHistory } from "@nanobanana/generations";
import { Router } from "express";
import { z } from "zod";
import { callerOf, resolveUserId } from "../auth.ts";
import { parseBody, queryInt } from "../http-errors.ts";
import { baseUrlOf, type GenerationRouteDeps } from "./generations.ts";

/** A real day written YYYY-MM-DD, read as noon UTC; "2026-02-31" is refused, not read as March 3. */
const isoDay = (name: string) => {
  const message = `${name} must be a real day as YYYY-MM-DD`;
  return z.string({ error: message }).transform((text, ctx) => {
    const day = parseIsoDay(text);
    if (!day) ctx.addIssue({ code: "custom", message });
    return day ?? z.NEVER;
  });
};

const DAY_MS = 86_400_000;
const startOfDay = (noon: Date) => new Date(noon.getTime() - DAY_MS / 2);

export const historyQuery = z
  .strictObject({
    limit: queryInt("limit", { min: 1, max: 100, default: 20 }),
    cursor: z.string().max(64).optional(),
    status: z
      .enum(GENERATION_STATUSES, {
        error: `status must be one of ${GENERATION_STATUSES.join(", ")}`,
      })
      .optional(),
    domain: z
      .enum(DOMAINS as [string, ...string[]], {
        error: `domain must be one of ${DOMAINS.join(", ")}`,
      })
      .optional(),
    /** Created on or after this day (UTC). */
    from: isoDay("from").optional(),
    /** Created on or before this day (UTC). */
    to: isoDay("to").optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "from must not be after to" });

const costQuery = z.strictObject({ date: isoDay("date").optional() });

export const costSeriesQuery = z.strictObject({
  by: z
    .enum(COST_SERIES_UNITS, { error: `by must be one of ${COST_SERIES_UNITS.join(", ")}` })
    .default("day"),
  count: queryInt("count", { min: 1, max: 366, default: 30 }),
  /** The last period is the one holding this day (default today). */
  date: isoDay("date").optional(),
});

const NO_SPEND = { usd: 0, savedUsd: 0, images: 0, cacheHits: 0, byModel: [], byQuality: [] };

/** A user's own things: history (newest first, cursor-paginated) and cost. */
export function userRoutes(
  deps: Pick<GenerationRouteDeps, "store" | "publicUrl" | "models" | "webhooks"> & {
    /** MONTHLY_BUDGET_USD: the service's cap on each user's monthly spend, if any. */
    monthlyBudgetUsd?: number | undefined;
  },
): Router {
  const router = Router();
  /** Who the key belongs to: what a console or CLI shows after signing in. */
  router.get("/me", (req, res) => {
    const { userId, admin, keyId } = callerOf(req);
    res.set("Cache-Control", "no-store").json({ userId, admin, keyId });
  });

  router.get("/user/:id/history", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const query = parseBody(historyQuery, { ...req.query });
    const page = await findHistory(deps.store, userId, {
      limit: query.limit,
      cursor: query.cursor,
      status: query.status,
      domain: query.domain as Parameters<typeof findHistory>[2]["domain"],
      from: query.from && startOfDay(query.from),
      // "to" names a day: everything created before the next one.
      to: query.to && new Date(startOfDay(query.to).getTime() + DAY_MS),
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
      ...(totals[period] ?? NO_SPEND),
    }));
    res.json({
      userId,
      currency: "USD",
      day: { ...day, byModel: undefined, byQuality: undefined },
      week: { ...week, byModel: undefined, byQuality: undefined },
      month: { ...month, byModel: undefined, byQuality: undefined },
      // By model and cache savings over the month.
      byModel: month?.byModel ?? [],
      byQuality: month?.byQuality ?? [],
      cache: { hits: month?.cacheHits ?? 0, savedUsd: month?.savedUsd ?? 0 },
    });
  });

  router.get("/user/:id/cost/series", async (req, res) => {
    const userId = resolveUserId(req, String(req.params.id));
    const query = parseBody(costSeriesQuery, { ...req.query });
    const date = query.date ?? new Date();
    const windows = costSeriesWindows(date, query.by, query.count);
    const month = costWindows(date).month.period;
    const [totals, preferences] = await Promise.all([
      deps.store.costTotals(userId, [...windows.map((w) => w.period), month]),
      deps.store.getPreferences(userId),
    ]);
    // The cap that applies is the lower of the user's own and the service's.
    const caps = [preferences.monthlyBudgetUsd, deps.monthlyBudgetUsd].filter(
      (cap): cap is number => cap !== undefined,
    );
    res.set("Cache-Control", "no-store").json({
      userId,
      currency: "USD",
      by: query.by,
      periods: windows.map((w) => ({ ...w, ...(totals[w.period] ?? NO_SPEND) })),
      budget: {
        monthlyUsd: caps.length > 0 ? Math.min(...caps) : null,
        month,
        monthToDateUsd: roundUsd(totals[month]?.usd ?? 0),
      },
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
