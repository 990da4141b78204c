import {
  type BatchRecord,
  batchRequestSchema,
  isBatchId,
  newGenerationRecord,
  newId,
  presentGeneration,
  resolveRequest,
  summarizeBatch,
} from "@nanobanana/domain";
import { invalidRequest, notFound } from "@nanobanana/errors";
import { allFinished, cancelQueued, checkRequests, settleBatches } from "@nanobanana/generations";
import type { GenerationState } from "@nanobanana/store";
import { type Request, Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { deadlineFromCancelAfter, withCancelAfter } from "../cancel-after.ts";
import { parseBody, queryInt } from "../http-errors.ts";
import { respondIdempotently } from "../idempotency.ts";
import { logFacts } from "../request-log.ts";
import { baseUrlOf, type GenerationRouteDeps, uploadExistsFor } from "./generations.ts";

const itemsQuery = z.strictObject({
  limit: queryInt("limit", { min: 1, max: 1000, default: 100 }),
  cursor: z
    .string()
    .regex(/^\d{1,6}$/, "cursor is not one this API handed out")
    .optional(),
});

/** Loads the batch `:id` the caller may see; someone else's is "not found". */
export async function loadOwnedBatch(
  deps: Pick<GenerationRouteDeps, "store">,
  req: Request,
): Promise<BatchRecord> {
  const id = String(req.params.id);
  if (!isBatchId(id)) throw invalidRequest(`"${id.slice(0, 40)}" is not a batch id (bat_…)`);
  const batch = await deps.store.getBatch(id);
  const caller = callerOf(req);
  if (!batch || (batch.userId !== caller.userId && !caller.admin)) throw notFound(`no batch ${id}`);
  return batch;
}

/**
 * The batch with its items' states, completed first when every item has ended but the batch
 * was not yet (the moment between the two steps, or a crash there), so counts and completedAt
 * agree.
 */
export async function readSettledBatch(
  deps: Pick<GenerationRouteDeps, "store" | "notify">,
  batch: BatchRecord,
): Promise<{ batch: BatchRecord; states: Array<GenerationState | null> }> {
  const states = await deps.store.getGenerationStates(batch.ids);
  if (batch.completedAt === null && allFinished(states)) {
    await settleBatches(deps.notify, [batch.id]);
    return { batch: (await deps.store.getBatch(batch.id)) ?? batch, states };
  }
  return { batch, states };
}

/** POST /generate-batch, GET /batch/:id/status, POST /batch/:id/cancel. */
export function batchRoutes(deps: GenerationRouteDeps & { batchMaxItems: number }): Router {
  const router = Router();
  const schema = batchRequestSchema(deps.batchMaxItems);
  const loadOwned = (req: Request) => loadOwnedBatch(deps, req);

  router.post("/generate-batch", async (req, res) => {
    await respondIdempotently(
      req,
      res,
      {
        store: deps.store,
        ttlSeconds: deps.idempotencyTtlSeconds,
        pendingSeconds: deps.idempotencyPendingSeconds,
      },
      async (claim) => {
        // The whole request is checked before anything is written or enqueued.
        const body = parseBody(schema, req.body);
        const { userId } = callerOf(req);
        const preferences = await deps.store.getPreferences(userId);
        // What an item leaves out comes from the batch, then the user's preferences.
        const cancelAfter = deadlineFromCancelAfter(req);
        const requests = body.items.map((item) =>
          withCancelAfter(
            resolveRequest(
              {
                ...item,
                webhook: item.webhook ?? body.webhook,
                tier: item.tier ?? body.tier,
                deadline: item.deadline ?? body.deadline,
                onDeadline: item.onDeadline ?? body.onDeadline,
              },
              preferences,
            ),
            cancelAfter,
          ),
        );
        await checkRequests({ ...deps, uploadExists: uploadExistsFor(deps.blobs, userId) }, [
          ...(body.webhook ? [{ path: "", request: { webhook: body.webhook } }] : []),
          ...requests.map((request, i) => ({ path: `items[${i}].`, request })),
        ]);
        const now = new Date();
        const batchId = newId("bat");
        logFacts(res, { batchId });
        const records = requests.map((request) =>
          newGenerationRecord({ id: newId("gen", now.getTime()), userId, batchId, now, request }),
        );
        const batch: BatchRecord = {
          id: batchId,
          userId,
          total: records.length,
          ids: records.map((r) => r.id),
          webhook: body.webhook ?? null,
          createdAt: now.toISOString(),
          completedAt: null,
        };
        const statusUrl = `${baseUrlOf(req, deps.publicUrl)}/batch/${batchId}/status`;
        const response = { status: 202, body: { batchId, ids: batch.ids, statusUrl } };
        await deps.accept({
          records,
          batch,
          ...(claim ? { idempotency: { ...claim, response } } : {}),
        });
        res.location(statusUrl);
        return response;
      },
    );
  });

  router.get("/batch/:id/status", async (req, res) => {
    const query = parseBody(itemsQuery, { ...req.query });
    const owned = await loadOwned(req);
    const offset = Number(query.cursor ?? 0);
    const baseUrl = baseUrlOf(req, deps.publicUrl);
    // The counts need every item's state; only the page's items are read whole, at the same time.
    const [{ batch, states }, records] = await Promise.all([
      readSettledBatch(deps, owned),
      deps.store.getGenerations(owned.ids.slice(offset, offset + query.limit)),
    ]);
    const page = records.flatMap((r) => (r ? [presentGeneration(r, baseUrl)] : []));
    res.set("Cache-Control", "no-store").json({
      ...summarizeBatch(batch, states),
      statusUrl: `${baseUrl}/batch/${batch.id}/status`,
      items: page,
      nextCursor: offset + query.limit < batch.total ? String(offset + query.limit) : null,
    });
  });

  router.post("/batch/:id/cancel", async (req, res) => {
    const batch = await loadOwned(req);
    const items = await deps.store.getGenerations(batch.ids);
    // One bulk step for every queued item; it also completes a batch a crash left open.
    const canceled = (
      await cancelQueued(
        deps,
        items.filter((item) => item !== null),
      )
    ).length;
    const after = await deps.store.getGenerationStates(batch.ids);
    const current = (await deps.store.getBatch(batch.id)) ?? batch;
    res.json({ ...summarizeBatch(current, after), canceled });
  });

  return router;
}
