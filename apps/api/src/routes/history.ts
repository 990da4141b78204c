import { presentGeneration } from "@nanobanana/domain";
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

/** GET /user/:id/history — newest first, cursor-paginated. */
export function historyRoutes(deps: { store: Store; publicUrl: string | undefined }): Router {
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
  return router;
}
