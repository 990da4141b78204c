import type { IncomingMessage, ServerResponse } from "node:http";
import { getMetrics } from "@nanobanana/metrics";

/**
 * Counts the request and times it when it ends, labelled by `route()`: the matched route
 * pattern, never the raw path, as ids would explode the label set.
 */
export function measureRequest(
  req: IncomingMessage,
  res: ServerResponse,
  route: () => string,
): void {
  const { httpRequests, httpDuration } = getMetrics();
  const stop = httpDuration.startTimer();
  res.on("finish", () => {
    const labels = { method: req.method ?? "", route: route() };
    stop(labels);
    httpRequests.inc({ ...labels, status: String(res.statusCode) });
  });
}
