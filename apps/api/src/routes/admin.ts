import { newApiKeyRecord, operationsHours, USER_ID } from "@nanobanana/domain";
import { forbidden, notFound } from "@nanobanana/errors";
import { getMetrics, register } from "@nanobanana/metrics";
import type { Producer } from "@nanobanana/queue";
import type { ApiKeyStore, GenerationStore, TemplateStore } from "@nanobanana/store";
import type { Queue } from "bullmq";
import { type Request, Router } from "express";
import { z } from "zod";
import { callerOf } from "../auth.ts";
import { BULL_BOARD_PATH } from "../bull-board.ts";
import { parseBody, queryInt } from "../http-errors.ts";

const requireAdmin = (req: Request) => {
  if (!callerOf(req).admin) throw forbidden("this needs an admin key");
};

/** Operators' routes (admin keys only): queue depths and Prometheus metrics. */
export const newKeyBody = z.strictObject({
  userId: z.string().regex(USER_ID, "userId must be 1-64 of A-Z a-z 0-9 _ . -"),
  admin: z.boolean().default(false),
});

export const statsQuery = z.strictObject({
  hours: queryInt("hours", { min: 1, max: 168, default: 24 }),
});

/** Minutes of throughput GET /admin/stats returns (BullMQ keeps the per-minute counts). */
const THROUGHPUT_MINUTES = 60;

export function adminRoutes(deps: {
  producers: ReadonlyArray<Producer<never>["queue"]>;
  store: ApiKeyStore &
    Pick<TemplateStore, "templateStats"> &
    Pick<GenerationStore, "operationsTotals">;
}): Router {
  const router = Router();
  const depths = async () => {
    const out: Record<string, Record<string, number>> = {};
    for (const queue of deps.producers) {
      out[queue.name] = await queue.getJobCounts(
        "waiting",
        "active",
        "delayed",
        "completed",
        "failed",
        "paused",
        "prioritized",
      );
    }
    return out;
  };

  router.post("/admin/keys", async (req, res) => {
    requireAdmin(req);
    const { userId, admin } = parseBody(newKeyBody, req.body);
    const { key, record } = newApiKeyRecord(userId, admin);
    await deps.store.putApiKey(record);
    res
      .status(201)
      .set("Cache-Control", "no-store")
      .json({ key, keyId: record.keyId, userId, admin, createdAt: record.createdAt });
  });

  router.get("/admin/keys", async (req, res) => {
    requireAdmin(req);
    const keys = await deps.store.listApiKeys();
    res.json({ items: keys.map(({ hash: _hash, ...visible }) => visible) });
  });

  router.delete("/admin/keys/:keyId", async (req, res) => {
    requireAdmin(req);
    if (!(await deps.store.revokeApiKey(String(req.params.keyId), new Date().toISOString()))) {
      throw notFound(`no key ${String(req.params.keyId).slice(0, 20)}`);
    }
    res.status(204).end();
  });

  router.get("/templates/stats", async (req, res) => {
    requireAdmin(req);
    const items = (await deps.store.templateStats()).map((s) => {
      const rated = s.up + s.down;
      return {
        ...s,
        // Share of images that got feedback, and of that feedback, the share that was "up".
        feedbackRate: s.generations > 0 ? round(rated / s.generations) : null,
        upRate: rated > 0 ? round(s.up / rated) : null,
      };
    });
    res.set("Cache-Control", "no-store").json({ items });
  });

  router.get("/queue/status", async (req, res) => {
    requireAdmin(req);
    res.set("Cache-Control", "no-store").json({ queues: await depths() });
  });

  /**
   * The whole service at a glance, from Redis (not one process's counters): each hour's
   * outcomes, error codes and classifier confidence; the queues now; jobs finished per minute.
   */
  router.get("/admin/stats", async (req, res) => {
    requireAdmin(req);
    const { hours } = parseBody(statsQuery, { ...req.query });
    const names = operationsHours(new Date(), hours);
    const generation = deps.producers[0];
    const [totals, queues, completed, failed] = await Promise.all([
      deps.store.operationsTotals(names),
      depths(),
      generation?.getMetrics("completed", 0, THROUGHPUT_MINUTES - 1),
      generation?.getMetrics("failed", 0, THROUGHPUT_MINUTES - 1),
    ]);
    // BullMQ lists the finished minutes newest first, as far back as it has counted; the
    // minute under way is what its running count has gained since the last of them.
    const perMinute = (metrics: Awaited<ReturnType<Queue["getMetrics"]>> | undefined) => {
      const done = [...(metrics?.data ?? [])].slice(0, THROUGHPUT_MINUTES - 1).reverse();
      const now = Math.max(0, (metrics?.meta.count ?? 0) - (metrics?.meta.prevCount ?? 0));
      return [...Array(THROUGHPUT_MINUTES - 1 - done.length).fill(0), ...done, now];
    };
    res.set("Cache-Control", "no-store").json({
      hours: names.map((hour) => ({ hour, ...totals[hour] })),
      queues,
      throughput: {
        queue: generation?.name ?? null,
        completed: perMinute(completed),
        failed: perMinute(failed),
      },
      links: { bullBoard: BULL_BOARD_PATH, metrics: "/metrics" },
    });
  });

  router.get("/metrics", async (req, res) => {
    requireAdmin(req);
    const gauge = getMetrics().queueDepth;
    for (const [queue, counts] of Object.entries(await depths())) {
      for (const [state, n] of Object.entries(counts)) gauge.set({ queue, state }, n);
    }
    res.set("Content-Type", register.contentType).send(await register.metrics());
  });

  return router;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
