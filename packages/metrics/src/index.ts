import type { GenerationRecord } from "@nanobanana/domain";
import { Counter, collectDefaultMetrics, Gauge, Histogram } from "prom-client";

export { register } from "prom-client";

function create() {
  collectDefaultMetrics({ prefix: "nanobanana_" });
  return {
    httpRequests: new Counter({
      name: "nanobanana_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
    }),
    httpDuration: new Histogram({
      name: "nanobanana_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    generations: new Counter({
      name: "nanobanana_generations_total",
      help: "Generations that reached a terminal status, by outcome and error code",
      labelNames: ["status", "code"],
    }),
    stageDuration: new Histogram({
      name: "nanobanana_stage_duration_seconds",
      help: "Time spent per pipeline stage (queued = accepted → picked up)",
      labelNames: ["stage"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    cacheHits: new Counter({
      name: "nanobanana_cache_hits_total",
      help: "Generations served from the cache",
    }),
    costUsd: new Counter({
      name: "nanobanana_cost_usd_total",
      help: "Money spent on images, by model",
      labelNames: ["model"],
    }),
    savedUsd: new Counter({
      name: "nanobanana_cache_saved_usd_total",
      help: "Money the cache saved",
    }),
    confidence: new Histogram({
      name: "nanobanana_classification_confidence",
      help: "Classifier confidence of each generation's label",
      labelNames: ["domain"],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    }),
    breakerState: new Gauge({
      name: "nanobanana_provider_circuit",
      help: "Each image maker's circuit breaker in this process: 0 closed, 0.5 half-open, 1 open",
      labelNames: ["maker"],
    }),
    queueDepth: new Gauge({
      name: "nanobanana_queue_jobs",
      help: "Jobs per queue and state, read at scrape time",
      labelNames: ["queue", "state"],
    }),
  };
}

let metrics: ReturnType<typeof create> | undefined;

/** The process's metrics, created once (API and worker may share a process under npm start). */
export function getMetrics(): ReturnType<typeof create> {
  metrics ??= create();
  return metrics;
}

/** Records a generation that just reached a terminal status. */
export function observeSettled(record: GenerationRecord): void {
  const m = getMetrics();
  m.generations.inc({ status: record.status, code: record.error?.code ?? "" });
  for (const [key, ms] of Object.entries(record.timings)) {
    if (key === "totalMs") continue;
    m.stageDuration.observe({ stage: key.replace(/Ms$/, "") }, ms / 1000);
  }
  if (record.cached) {
    m.cacheHits.inc();
    m.savedUsd.inc(record.cost.savedUsd);
  }
  if (record.model && record.cost.usd > 0) m.costUsd.inc({ model: record.model }, record.cost.usd);
  if (record.classification)
    m.confidence.observe(
      { domain: record.classification.domain },
      record.classification.confidence,
    );
}
