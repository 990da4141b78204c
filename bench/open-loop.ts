/**
 * An open-loop load generator, run as a process of its own by bench/sustained.ts:
 *
 *   npx tsx bench/open-loop.ts --url http://127.0.0.1:PORT --key KEY --rate 100 --seconds 300 \
 *     --out FILE [--tag TAG] [--watch-every 10] [--watch-ms 120000] [--timeout-ms 30000]
 *     [--warm-up 0] [--warm-connections 32]
 *
 * POSTs /generate at a fixed rate, each request on its schedule whether or not the earlier ones
 * have been answered (a slow server shows as latency, never as less load offered), each with a
 * prompt of its own and `cache: false`, so nothing is served from the cache. The requests go
 * through bench/lean-http.ts (0.23 ms of this process's CPU a request against 0.42 ms with
 * Node's http client, on the machine it shares with what it measures). Every
 * `--watch-every`th accepted id is also followed on its live stream
 * (GET /generation/:id/events) until its final event.
 *
 * `--warm-up N` first sends N rounds of `--warm-connections` (32) GET /health at once,
 * unrecorded: this process then starts its schedule with its own request path compiled and that
 * many connections open, as a front end that has been running would. Without it, a burst's first
 * few hundred milliseconds measured this process starting up (requests sent up to 60 ms late,
 * answers the server had sent in 2–9 ms read 100–240 ms after sending).
 *
 * Writes JSON lines to --out:
 *   {"k":"req","i":0,"lagMs":0.4,"sentAt":1764…,"acceptMs":12.3,"status":202,"id":"gen_…"}
 *     sentAt: wall clock (Date.now()) when sent, the clock the service stamps its records with;
 *     lagMs: how late the request left against its schedule (this process short of CPU);
 *     acceptMs: send → whole answer read (monotonic clock); status 0 with `error` when no answer.
 *   {"k":"watch","id":"gen_…","event":"completed","at":1764…}  (wall clock of the final event)
 *   {"k":"end","sentSeconds":…,"cpuSeconds":…,"connectionsOpened":…}  (new connections while
 *     the schedule ran: an answer later than the open ones could carry made more)
 */

import { createWriteStream } from "node:fs";
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { leanPool } from "./lean-http.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    key: { type: "string" },
    rate: { type: "string", default: "100" },
    seconds: { type: "string", default: "10" },
    out: { type: "string" },
    tag: { type: "string", default: String(Date.now()) },
    "watch-every": { type: "string", default: "0" },
    "watch-ms": { type: "string", default: "120000" },
    "timeout-ms": { type: "string", default: "30000" },
    "warm-up": { type: "string", default: "0" },
    "warm-connections": { type: "string", default: "32" },
  },
});
if (!values.url || !values.key || !values.out) {
  process.stderr.write("open-loop: --url, --key and --out are required\n");
  process.exit(2);
}
const base = new URL(values.url);
const key = values.key;
const rate = Number(values.rate);
const total = Math.round(rate * Number(values.seconds));
const watchEvery = Number(values["watch-every"]);
const watchMs = Number(values["watch-ms"]);
const timeoutMs = Number(values["timeout-ms"]);
const warmConnections = Number(values["warm-connections"]);
const tag = values.tag;
const out = createWriteStream(values.out);
const write = (line: Record<string, unknown>) => out.write(`${JSON.stringify(line)}\n`);

// Subjects of every domain (the renderer's work differs by kind); the number makes each unique.
const SUBJECTS = [
  "wireless headphones on a desk",
  "a navy and gold watch on marble",
  "sunset over the fjords",
  "portrait of a violinist on stage",
  "system architecture of a payments platform",
  "flowchart of a refund process",
  "oil painting of a harbour at dawn",
  "a white sneaker on a black background",
];
const bodyOf = (i: number) =>
  JSON.stringify({ prompt: `${SUBJECTS[i % SUBJECTS.length]}, take ${tag}-${i}`, cache: false });

// One pool for the requests (bench/lean-http.ts: as many sockets as are in flight, the schedule
// never waits for a free one), another for the long-lived streams. A socket left idle after a
// spike is closed here after 4 s, before the server's keep-alive timeout (Node's 5 s) closes
// it: reused just as the server closes it, a request fails with ECONNRESET without ever
// reaching the server (a full run lost 41 of 30000 requests that way, in three clusters after
// latency spikes).
const pool = leanPool(base, { idleMs: 4_000, timeoutMs });
const postHeaders = { Authorization: `Bearer ${key}`, "Content-Type": "application/json" };
const streamAgent = new Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });

let pending = 0;
const watches = new Set<Promise<void>>();

function watch(id: string): void {
  let deadline: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: `/generation/${id}/events`,
        agent: streamAgent,
        headers: { Authorization: `Bearer ${key}`, Accept: "text/event-stream" },
      },
      (res) => {
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          // Events end with a blank line; only the event's name is needed.
          for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
            const event = /^event: (.+)$/m.exec(buffered.slice(0, end))?.[1];
            buffered = buffered.slice(end + 2);
            if (event === "completed" || event === "failed" || event === "canceled") {
              write({ k: "watch", id, event, at: Date.now() });
              req.destroy();
              resolve();
              return;
            }
          }
        });
        res.on("end", resolve);
        res.on("error", resolve);
      },
    );
    // A deadline for the whole stream (its heartbeats would keep an idle timeout from firing).
    deadline = setTimeout(() => req.destroy(), watchMs);
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.end();
  });
  watches.add(done);
  void done.then(() => {
    clearTimeout(deadline);
    watches.delete(done);
  });
}

function fire(i: number, lagMs: number): void {
  const body = bodyOf(i);
  const sentAt = Date.now();
  const t0 = performance.now();
  pending++;
  const finish = (status: number, answer: string, error?: string) => {
    pending--;
    let id: string | undefined;
    if (status === 202) id = (JSON.parse(answer) as { id?: string }).id;
    write({
      k: "req",
      i,
      lagMs: Math.round(lagMs * 100) / 100,
      sentAt,
      acceptMs: Math.round((performance.now() - t0) * 100) / 100,
      status,
      ...(id ? { id } : {}),
      ...(error ? { error } : {}),
      ...(status !== 202 && !error ? { answer: answer.slice(0, 200) } : {}),
    });
    if (id && watchEvery > 0 && i % watchEvery === 0) watch(id);
  };
  pool.request("POST", "/generate", postHeaders, body).then(
    (answer) => finish(answer.status, answer.body),
    (error: Error) => finish(0, "", error.message),
  );
}

/** One unrecorded GET /health on the requests' pool. */
const healthCheck = () =>
  pool.request("GET", "/health", {}).then(
    () => undefined,
    () => undefined,
  );
for (let round = 0; round < Number(values["warm-up"]); round++)
  await Promise.all(Array.from({ length: warmConnections }, healthCheck));

const cpuAt = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const cpu0 = cpuAt();
const connectionsBefore = pool.opened();
const start = performance.now() + 20;
const interval = 1000 / rate;
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && start + next * interval <= now) {
      fire(next, now - (start + next * interval));
      next++;
    }
    if (next >= total) resolve();
    else setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - now)));
  };
  setTimeout(tick, 20);
});
const sentSeconds = (performance.now() - start) / 1000;
while (pending > 0) await new Promise((r) => setTimeout(r, 20));
await Promise.all([...watches]);
write({
  k: "end",
  sentSeconds,
  cpuSeconds: cpuAt() - cpu0,
  connectionsOpened: pool.opened() - connectionsBefore,
});
pool.close();
streamAgent.destroy();
await new Promise<void>((resolve) => out.end(resolve));
