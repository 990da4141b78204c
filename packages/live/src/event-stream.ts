import type { IncomingMessage, ServerResponse } from "node:http";

export interface StreamEvent {
  id?: string | number;
  event: string;
  data: unknown;
}

/**
 * A Server-Sent Events response: headers that keep proxies from buffering it, a comment line
 * every `heartbeatMs` so idle connections stay open, and `closed` for when the client leaves.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: { heartbeatMs?: number } = {},
) {
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  // Reconnect after 2 s when the connection drops (the browser's EventSource reads this).
  res.write("retry: 2000\n\n");
  let open = true;
  let onClose = () => {};
  const closed = new Promise<void>((resolve) => {
    onClose = resolve;
  });
  const heartbeat = setInterval(() => {
    if (open) res.write(": ping\n\n");
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const finish = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    onClose();
  };
  req.on("close", finish);
  res.on("close", finish);
  return {
    get open() {
      return open;
    },
    send(event: StreamEvent) {
      if (!open) return;
      const lines = [
        ...(event.id === undefined ? [] : [`id: ${event.id}`]),
        `event: ${event.event}`,
        // JSON has no raw newlines, so one data line carries it whole.
        `data: ${JSON.stringify(event.data)}`,
      ];
      res.write(`${lines.join("\n")}\n\n`);
    },
    end() {
      if (open) res.end();
      finish();
    },
    closed,
  };
}
