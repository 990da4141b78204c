import { forbidden } from "@nanobanana/errors";
import { getMetrics, register } from "@nanobanana/metrics";
import type { Producer } from "@nanobanana/queue";
import { type Request, Router } from "express";
import { callerOf } from "../auth.ts";

const requireAdmin = (req: Request) => {
  if (!callerOf(req).admin) throw forbidden("this needs an admin key");
};

/** Operators' routes (admin keys only): queue depths and Prometheus metrics. */
export function adminRoutes(deps: { producers: ReadonlyArray<Producer<never>["queue"]> }): Router {
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

  router.get("/queue/status", async (req, res) => {
    requireAdmin(req);
    res.set("Cache-Control", "no-store").json({ queues: await depths() });
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
