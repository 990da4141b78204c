/**
 * `npm run bench`: starts the embedded stack (local redis-server, worker, API) on this
 * machine and prints figures. Not a test: machines here are noisy, so read the figures
 * side by side from one run. Writes the table to bench/RESULTS.md.
 */

import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startApi } from "@nanobanana/api";
import { classifyPrompt, readCorpusGroups } from "@nanobanana/classifier";
import { loadConfig } from "@nanobanana/config";
import { startLocalRedis } from "@nanobanana/local-redis";
import { createLogger } from "@nanobanana/logger";
import { startWorker } from "@nanobanana/worker";
import { Queue } from "bullmq";
import express from "express";
import { Redis } from "ioredis";
import { consoleFigures } from "./console-size.ts";
import {
  commandCalls,
  type LoadFigures,
  type LoadOptions,
  loadFromOutside,
  wrkInstalled,
} from "./load.ts";
import { type CpuProfile, profileTop } from "./profile-top.ts";
import type { SlowModelFigures } from "./slow-model.ts";
import {
  apiEnv,
  CONNECTIONS,
  compareWithBare,
  cpuMsPerRequest,
  headers,
  KEY,
  payload,
  startApiProcess,
  startBareProcess,
} from "./submit-throughput.ts";
import { sustainedFigures } from "./sustained.ts";

// Timed first, before the stack and its load fill the heap: the classifier runs on every request.
// The seed corpus's prompts are what most requests look like (about ten words); every group
// adds long rambling ones (up to 120 words), so the mean over all of them is given too.
const groups = readCorpusGroups();
const corpusPrompts = (groups.get("seed") ?? []).map((e) => e.prompt);
const allPrompts = [...groups.values()].flat().map((e) => e.prompt);
const passes = 20;
const timeClassify = (prompts: string[]) => {
  for (let pass = 0; pass < 5; pass++) for (const p of prompts) classifyPrompt(p);
  const start = process.hrtime.bigint();
  for (let pass = 0; pass < passes; pass++) for (const p of prompts) classifyPrompt(p);
  return Number(process.hrtime.bigint() - start) / 1000 / (passes * prompts.length);
};
const classifyUs = timeClassify(corpusPrompts);
const classifyAllUs = timeClassify(allPrompts);
const allWords = allPrompts.reduce((n, p) => n + p.split(/\s+/).length, 0);
const classifierStartup = JSON.parse(
  execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "bench/classifier-startup.ts"],
    {
      encoding: "utf8",
    },
  ),
) as {
  importMs: number;
  rssMiB: number;
  heapMiB: number;
  words: number;
  checkPrompts: number;
  newWords: number;
  firstSightUs: number;
  againUs: number;
};

const dir = mkdtempSync(join(tmpdir(), "nb-bench-"));
const logger = createLogger({ service: "bench", level: "warn" });
const redis = await startLocalRedis({ dir: join(dir, "redis") });
const config = {
  ...loadConfig({
    PORT: "0",
    DATA_DIR: dir,
    API_KEYS: `${KEY}:bench`,
    LOG_LEVEL: "warn",
    // The bench measures the service, not its per-key limit.
    RATE_LIMIT: "1000000",
  }),
  redisUrl: redis.url,
};
const worker = await startWorker(config, logger);
const api = await startApi(config, logger);
const base = `http://127.0.0.1:${api.port}`;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function submit(prompt: string): Promise<{ id: string; acceptMs: number; t0: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/generate`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt }),
  });
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  return { id, acceptMs: performance.now() - t0, t0 };
}

async function untilCompleted(id: string): Promise<number> {
  for (;;) {
    const res = await fetch(`${base}/generation/${id}/status`, { headers });
    const body = (await res.json()) as { status: string };
    if (body.status === "completed") return performance.now();
    if (body.status === "failed") throw new Error(`${id} failed`);
    await sleep(5);
  }
}

const prompts = [
  "wireless headphones on a desk",
  "sunset over the fjords",
  "system architecture of a payments platform",
  "oil painting of a harbour at dawn",
];

// 1. One at a time: what a single user polling sees.
const sequential: number[] = [];
const sequentialIds: string[] = [];
for (let i = 0; i < 40; i++) {
  const { id, t0 } = await submit(`${prompts[i % prompts.length]} #${i}`);
  sequential.push((await untilCompleted(id)) - t0);
  sequentialIds.push(id);
}

// 2. A burst: 200 submitted at once.
const burstStart = performance.now();
const accepted = await Promise.all(
  Array.from({ length: 200 }, (_, i) => submit(`${prompts[i % prompts.length]} burst ${i}`)),
);
const acceptedAll = performance.now() - burstStart;
const done = await Promise.all(accepted.map(async (a) => (await untilCompleted(a.id)) - a.t0));
const burstTotal = performance.now() - burstStart;

// 3. Throughput: POST /generate next to a bare Express JSON handler under the same load.
//    3a. In-process, as this bench first measured it: the load generator shares the event loop
//        and the core with the servers it measures, which flatters the slower one (issue 17).
//        Kept only for comparison; 3b is the figure to read. An API-only stack (no worker
//        drawing on the same cores) on its own key prefix.
async function load(url: string, body: string, seconds: number, clients: number) {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        const res = await fetch(url, { method: "POST", headers, body });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`${url} answered ${res.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
const bare = express();
bare.post("/generate", express.json(), (req, res) => {
  res
    .status(202)
    .json({ id: "gen_x", status: "queued", prompt: (req.body as { prompt?: string }).prompt });
});
const bareServer = bare.listen(0);
const bareUrl = `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/generate`;
const apiOnly = await startApi({ ...config, keyPrefix: "bench-api-only" }, logger);
const generateUrl = `http://127.0.0.1:${apiOnly.port}/generate`;
await load(bareUrl, payload, 1, 16); // warm-up
await load(generateUrl, payload, 1, 16);
const bareInProcess = await load(bareUrl, payload, 4, 16);
const apiInProcess = await load(generateUrl, payload, 4, 16);
await apiOnly.close();
bareServer.close();

//    3b. From outside: the bare handler, the API and the load generator (wrk, else autocannon) each in a
//        process of its own, as wrk measured it in issue 17 (bench/submit-throughput.ts). The
//        API as deployed (auth, rate limit, validation, a log line a request), API-only (no
//        worker) on a key prefix of its own; then the floor (Express plus the five plain round
//        trips an acceptance needs, nothing else) and the API as two processes, each against
//        the bare handler in the same alternating order.
const SECONDS = 6;
const GENERATOR = wrkInstalled() ? "wrk" : "autocannon";
const bareProc = await startBareProcess();
const bareOut = { url: bareProc.url, pid: bareProc.proc.child.pid };
const apiProc = await startApiProcess(apiEnv(redis.url, "bench-outside", dir));
const apiPids = () => ({ server: apiProc.proc.child.pid, redis: redis.pid });
const submitOne = await compareWithBare(apiProc.url, apiPids, bareOut, SECONDS);
const floorProc = await startBareProcess("bench/floor-server.ts", [redis.url]);
const submitFloor = await compareWithBare(
  floorProc.url,
  () => ({ server: floorProc.proc.child.pid, redis: redis.pid }),
  bareOut,
  SECONDS,
);
await floorProc.proc.stop();
const apiTwo = await startApiProcess(apiEnv(redis.url, "bench-outside-2", dir), [], 2);
const submitTwo = await compareWithBare(
  apiTwo.url,
  () => ({ server: apiTwo.proc.child.pid, redis: redis.pid }),
  bareOut,
  SECONDS,
);
await apiTwo.proc.stop();
await bareProc.proc.stop();
const bareFigures = submitOne.bare;
const apiFigures = submitOne.api;
const outside = (url: string, pid: number | undefined, more: Partial<LoadOptions> = {}) =>
  loadFromOutside({
    url,
    body: payload,
    headers,
    connections: CONNECTIONS,
    seconds: SECONDS,
    watch: { server: pid, redis: redis.pid },
    ...more,
  });

//    3b'. A 1000-item batch accepted by the same API process, next to BullMQ's raw addBulk of
//        1000 jobs on the same Redis, in turns (batch, raw, batch, raw, …) after one of each
//        to warm up, so drift on a busy machine weighs on both alike.
const rawRedis = new Redis(redis.url, { maxRetriesPerRequest: null });
const rawQueue = new Queue("raw-bench", { connection: rawRedis, prefix: "bench-raw" });
const batchMs: number[] = [];
const rawMs: number[] = [];
for (let run = 0; run < 6; run++) {
  const items = Array.from({ length: 1000 }, (_, i) => ({
    prompt: `${prompts[i % prompts.length]} batch ${run}/${i}`,
  }));
  const t0 = performance.now();
  const res = await fetch(apiProc.url.replace(/\/generate$/, "/generate-batch"), {
    method: "POST",
    headers,
    body: JSON.stringify({ items }),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`batch answered ${res.status}`);
  const batchRunMs = performance.now() - t0;
  const jobs = Array.from({ length: 1000 }, (_, i) => ({
    name: "generate",
    data: { generationId: `gen_${run}_${i}`, userId: "bench" },
  }));
  const t1 = performance.now();
  await rawQueue.addBulk(jobs);
  const rawRunMs = performance.now() - t1;
  if (run > 0) {
    batchMs.push(batchRunMs);
    rawMs.push(rawRunMs);
  }
}
await rawQueue.close();
await rawRedis.quit();

//    3c. Redis commands per accepted generation, against that API process: INFO commandstats
//        before and after N requests (commands run inside Lua scripts count too), less what
//        the other clients (the idle in-process stack) sent at their rate over the same time;
//        then a sample under MONITOR tells the commands the API sends from those its scripts run.
const N = 2000;
const statsRedis = new Redis(redis.url, { maxRetriesPerRequest: null });
const commandstats = async () => commandCalls((await statsRedis.info("commandstats")) as string);
const diff = (after: Map<string, number>, before: Map<string, number>, scale = 1) => {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (k !== "info") out.set(k, (v - (before.get(k) ?? 0)) * scale);
  return out;
};
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
// Redis's socket reads: each one a batch of commands that arrived together, near the number
// of round trips (commands written together, or that meet on one connection, are read as one).
const reads = async () =>
  Number(/^total_reads_processed:(\d+)/m.exec((await statsRedis.info("stats")) as string)?.[1]);
const idleReads0 = await reads();
const idleStart = await commandstats();
const idleT0 = performance.now();
await sleep(3000);
const idleEnd = await commandstats();
const idleReads1 = await reads();
const idleMs = performance.now() - idleT0;
const idlePerSecond = diff(idleEnd, idleStart, 1000 / idleMs);
const countReads0 = await reads();
const countStart = await commandstats();
const countT0 = performance.now();
const counted = await outside(apiProc.url, apiProc.proc.child.pid, { amount: N });
const countSeconds = (performance.now() - countT0) / 1000;
const perGeneration = diff(await commandstats(), countStart);
const readsPerGeneration =
  ((await reads()) - countReads0 - ((idleReads1 - idleReads0) * countSeconds * 1000) / idleMs) /
  counted.answered;
for (const [k, v] of perGeneration)
  perGeneration.set(
    k,
    Math.max(0, v - (idlePerSecond.get(k) ?? 0) * countSeconds) / counted.answered,
  );
const idleTotal = sum(idlePerSecond);
const topOf = (m: Map<string, number>, n: number) =>
  [...m.entries()]
    .filter(([, v]) => v >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
const MONITORED = 200;
const monitor = await statsRedis.monitor();
const sent = new Map<string, number>();
const scripted = new Map<string, number>();
monitor.on("monitor", (_time: string, args: string[], source: string) => {
  const name = String(args[0]).toLowerCase();
  const into = source === "lua" ? scripted : sent;
  into.set(name, (into.get(name) ?? 0) + 1);
});
const monitoredRun = await outside(apiProc.url, apiProc.proc.child.pid, { amount: MONITORED });
await sleep(200); // the last lines of MONITOR
monitor.disconnect();
for (const m of [sent, scripted]) for (const [k, v] of m) m.set(k, v / monitoredRun.answered);
await statsRedis.quit();
await apiProc.proc.stop();

//    3d. A CPU profile of an API process (--cpu-prof) under the same load, written when it
//        stops on SIGTERM; only the samples taken while the load ran are summarised.
const profileDir = join(dir, "cpu-profile");
const profiled = await startApiProcess(apiEnv(redis.url, "bench-profile", dir), [
  "--cpu-prof",
  `--cpu-prof-dir=${profileDir}`,
]);
await outside(profiled.url, profiled.proc.child.pid, { seconds: 2 }); // warm-up
const profileFromUs = Number(process.hrtime.bigint() / 1000n);
const profiledRun = await outside(profiled.url, profiled.proc.child.pid);
const profileToUs = Number(process.hrtime.bigint() / 1000n);
await profiled.proc.stop();
const profileFile = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
if (!profileFile) throw new Error(`no .cpuprofile in ${profileDir}`);
mkdirSync(join(import.meta.dirname, "out"), { recursive: true });
const keptProfile = join(import.meta.dirname, "out", "api-post-generate.cpuprofile");
copyFileSync(join(profileDir, profileFile), keptProfile);
const profileSummary = profileTop(JSON.parse(readFileSync(keptProfile, "utf8")) as CpuProfile, {
  fromUs: profileFromUs,
  toUs: profileToUs,
});

// 4. Queue overhead from the sequential run's records: accepted → picked up, and model done →
//    record completed (post-process + upload + record).
const records = await Promise.all(
  sequentialIds.map(
    async (id) =>
      (await (await fetch(`${base}/generation/${id}/status`, { headers })).json()) as {
        timings: Record<string, number>;
      },
  ),
);
const pickup = records.map((r) => r.timings.queuedMs ?? 0);
const finish = records.map((r) => (r.timings.postProcessMs ?? 0) + (r.timings.uploadMs ?? 0));

// 5. Last on the embedded stack, as it leaves 1000 jobs for the in-process worker: a 1000-item
//    batch behind the jobs still queued, then canceled at once.
const median = (values: number[]) => percentile(values, 50);
const cancelItems = Array.from({ length: 1000 }, (_, i) => ({
  prompt: `${prompts[i % prompts.length]} to cancel ${i}`,
}));
const cancelBatchRes = await fetch(`${base}/generate-batch`, {
  method: "POST",
  headers,
  body: JSON.stringify({ items: cancelItems }),
});
if (cancelBatchRes.status !== 202) throw new Error(`batch answered ${cancelBatchRes.status}`);
const lastBatchId = ((await cancelBatchRes.json()) as { batchId: string }).batchId;
// Cancel the last batch at once: most of its items are still queued behind the others.
const cancelT0 = performance.now();
const cancelRes = await fetch(`${base}/batch/${lastBatchId}/cancel`, { method: "POST", headers });
const cancelMs = performance.now() - cancelT0;
const { canceled } = (await cancelRes.json()) as { canceled: number };
// The cost report over a month holding every record above: running totals, not a scan.
const costMs: number[] = [];
for (let run = 0; run < 5; run++) {
  const t0 = performance.now();
  await (await fetch(`${base}/user/me/cost`, { headers })).json();
  costMs.push(performance.now() - t0);
}
const historyCount = (
  (await (await fetch(`${base}/user/me/cost`, { headers })).json()) as { month: { images: number } }
).month.images;

// The embedded stack is done: the slow model and the sustained run measure processes of their
// own, with nothing else of the bench's running beside them.
await api.close();
await worker.close();

// 6. A slow model: 3.5 s per image, 200 at a time, 400 images; ideal = 200 / 3.5 s. API and
//    worker run as their own processes (as deployed), so each one's peak RSS is its own
//    (bench/slow-model.ts, which also runs alone: `npx tsx bench/slow-model.ts`). On a Redis of
//    its own: the shared one holds the tens of thousands of jobs section 3 left, and runs on it
//    measured 5.7 ms of worker CPU an image against 3.5-4 ms alone. WORKER_PREFETCH=200 in
//    turns with its default 0 (each slot waits for its next job to be fetched and made ready),
//    two runs of each: throughput is the mean of a pair, the other figures its first run's.
//    Each run's processes first draw a warm-up batch of the same size (V8 compiles the hot
//    paths while it runs); its time is shown too, as the first batch after a start. The images
//    go to a directory in memory (/dev/shm; slow-model.ts says why), and one more run with
//    WORKER_PREFETCH=200 writes them to disk.
const { slowModel, slowModelDir, describe: describeSlowModel } = await import("./slow-model.ts");
const slowRedis = await startLocalRedis({ dir: join(dir, "redis-slow") });
const slowDir = slowModelDir();
const slowRuns: Array<{ prefetch: 200 | 0; figures: SlowModelFigures }> = [];
let onDisk: SlowModelFigures | undefined;
try {
  for (const [run, prefetch] of ([200, 0, 200, 0, 200] as const).entries()) {
    const disk = run === 4;
    const figures = await slowModel({
      redisUrl: slowRedis.url,
      redisPid: slowRedis.pid,
      dir: disk ? join(dir, "slow-disk") : slowDir,
      apiKey: KEY,
      keyPrefix: `bench-slow-${run}`,
      prefetch,
    });
    process.stdout.write(
      `\nslow model (section 6, run ${run + 1}${disk ? ", images on disk" : ""}):\n${describeSlowModel(figures)}\n`,
    );
    if (disk) onDisk = figures;
    else slowRuns.push({ prefetch, figures });
  }
} finally {
  await slowRedis.stop();
  rmSync(slowDir, { recursive: true, force: true });
}
const runsOf = (prefetch: 200 | 0) =>
  slowRuns.filter((r) => r.prefetch === prefetch).map((r) => r.figures);
const meanOf = (runs: SlowModelFigures[], pick: (f: SlowModelFigures) => number) =>
  runs.reduce((sum, f) => sum + pick(f), 0) / runs.length;
const slow = runsOf(200)[0] as SlowModelFigures;
const slowImagesPerSecond = meanOf(runsOf(200), (f) => f.imagesPerSecond);
const slowPercent = meanOf(runsOf(200), (f) => f.percentOfIdeal);
const withoutImagesPerSecond = meanOf(runsOf(0), (f) => f.imagesPerSecond);
const withoutPercent = meanOf(runsOf(0), (f) => f.percentOfIdeal);
const slowPercents = (prefetch: 200 | 0) =>
  runsOf(prefetch)
    .map((f) => `${f.percentOfIdeal.toFixed(0)}%`)
    .join(", ");
const coldPercents = (prefetch: 200 | 0) =>
  runsOf(prefetch)
    .map((f) => `${f.cold?.percentOfIdeal.toFixed(0) ?? "?"}%`)
    .join(", ");
const apiRss = slow.apiPeakRssMiB;
const workerRss = slow.workerPeakRssMiB;

const cores = (f: LoadFigures) =>
  ["server", "generator", "redis"].map((k) => (f.cpu[k] ?? Number.NaN).toFixed(2)).join(" / ");
const cpuMs = (f: LoadFigures) => ((f.cpuSeconds.server ?? Number.NaN) * 1000) / f.answered;
const rows = [
  [
    "machine",
    `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  ],
  [
    "sequential: submit → completed (p50 / p99, n=40)",
    `${ms(percentile(sequential, 50))} / ${ms(percentile(sequential, 99))}`,
  ],
  [
    "burst of 200: POST /generate latency (p50 / p99)",
    `${ms(
      percentile(
        accepted.map((a) => a.acceptMs),
        50,
      ),
    )} / ${ms(
      percentile(
        accepted.map((a) => a.acceptMs),
        99,
      ),
    )}`,
  ],
  ["burst of 200: all accepted in", ms(acceptedAll)],
  [
    "burst of 200: submit → completed (p50 / p99)",
    `${ms(percentile(done, 50))} / ${ms(percentile(done, 99))}`,
  ],
  [
    `POST /generate, API process, ${GENERATOR} process: ${CONNECTIONS} connections, 2 × ${SECONDS / 2} s (p50 / p99, mean of the 2)`,
    `${apiFigures.rps.toFixed(0)} req/s (${apiFigures.p50} ms / ${apiFigures.p99} ms)`,
  ],
  [
    "bare Express JSON handler, own process, same load (p50 / p99)",
    `${bareFigures.rps.toFixed(0)} req/s (${bareFigures.p50} ms / ${bareFigures.p99} ms)`,
  ],
  [
    "POST /generate ÷ bare Express, load from outside (aim ≥ 0.6)",
    (apiFigures.rps / bareFigures.rps).toFixed(2),
  ],
  [
    `CPU in cores during those runs: server / ${GENERATOR} / redis-server`,
    `bare ${cores(bareFigures)}; API ${cores(apiFigures)}`,
  ],
  [
    "server CPU per request: POST /generate, bare (ratio: steadier than req/s on a busy machine)",
    `${cpuMs(apiFigures).toFixed(2)} ms, ${cpuMs(bareFigures).toFixed(2)} ms (${(cpuMs(bareFigures) / cpuMs(apiFigures)).toFixed(2)})`,
  ],
  [
    "floor: Express + the 5 plain round trips of an acceptance, no middleware, own process (÷ bare in its own turns; CPU per request)",
    `${submitFloor.api.rps.toFixed(0)} req/s (×${submitFloor.ratio.toFixed(2)}); ${cpuMsPerRequest(submitFloor.api).toFixed(2)} ms`,
  ],
  [
    "POST /generate, API_PROCESSES=2 (÷ bare in its own turns; CPU per request, all processes)",
    `${submitTwo.api.rps.toFixed(0)} req/s (×${submitTwo.ratio.toFixed(2)}; 1 process: ${apiFigures.rps.toFixed(0)} req/s); ${cpuMsPerRequest(submitTwo.api).toFixed(2)} ms`,
  ],
  [
    "in-process (load generator in the bench process; flattered, for comparison): POST /generate, bare, ratio",
    `${apiInProcess.rps.toFixed(0)} req/s, ${bareInProcess.rps.toFixed(0)} req/s, ${(apiInProcess.rps / bareInProcess.rps).toFixed(2)}`,
  ],
  [
    `Redis commands per accepted POST /generate (${counted.answered} requests, incl. inside Lua)`,
    `${sum(perGeneration).toFixed(1)}: ${topOf(perGeneration, 8)}`,
  ],
  [
    "… Redis socket reads per accepted POST /generate (≈ round trips; other clients' idle rate taken off)",
    `${readsPerGeneration.toFixed(1)} (idle: ${idleTotal.toFixed(1)} commands/s from the other clients)`,
  ],
  [
    `… of which the API sends (MONITOR, ${monitoredRun.answered} requests)`,
    `${sum(sent).toFixed(1)}: ${topOf(sent, 8)}`,
  ],
  ["… and its Lua scripts run", `${sum(scripted).toFixed(1)}: ${topOf(scripted, 8)}`],
  [
    "API under --cpu-prof, same load (profile below)",
    `${profiledRun.rps.toFixed(0)} req/s (${profiledRun.p50} ms / ${profiledRun.p99} ms)`,
  ],
  [
    "queue overhead: accepted → picked up (p50 / p99)",
    `${ms(percentile(pickup, 50))} / ${ms(percentile(pickup, 99))}`,
  ],
  [
    "queue overhead: model done → record completed (p50 / p99)",
    `${ms(percentile(finish, 50))} / ${ms(percentile(finish, 99))}`,
  ],
  [
    "worker throughput, 3.5 s model (stock sketch drawings), 200 drawing slots (WORKER_CONCURRENCY) and WORKER_PREFETCH=200, 400 images from one batch after a warm-up batch of 400, on a Redis of its own, images in memory (/dev/shm) (aim ≥ 90% of ideal; mean of 2 runs)",
    `${slowImagesPerSecond.toFixed(1)} images/s (ideal ${(200 / 3.5).toFixed(1)}: ${slowPercent.toFixed(0)}%; runs ${slowPercents(200)}); the warm-up batches, the first after a start: ${coldPercents(200)}`,
  ],
  [
    "… the same with WORKER_PREFETCH=0, the default (a slot waits for its next job to be fetched and made ready), in turns with the above",
    `${withoutImagesPerSecond.toFixed(1)} images/s (${withoutPercent.toFixed(0)}%; runs ${slowPercents(0)}); warm-up batches: ${coldPercents(0)}`,
  ],
  [
    "… the same with WORKER_PREFETCH=200, the images in the OS's temporary directory (on disk here), after the runs above (one run)",
    onDisk
      ? `${onDisk.imagesPerSecond.toFixed(1)} images/s (${onDisk.percentOfIdeal.toFixed(0)}%); its warm-up batch ${onDisk.cold?.percentOfIdeal.toFixed(0)}%; worker CPU per image ${(onDisk.cpuPerImage.worker * 1000).toFixed(1)} ms`
      : "not run",
  ],
  [
    "… CPU per image: worker (its main thread) / API / redis-server",
    `${(slow.cpuPerImage.worker * 1000).toFixed(1)} ms (${(slow.workerMainThreadPerImage * 1000).toFixed(1)} ms) / ${(slow.cpuPerImage.api * 1000).toFixed(1)} ms / ${(slow.cpuPerImage.redis * 1000).toFixed(1)} ms`,
  ],
  [
    "… Redis commands per completed generation (INFO commandstats, incl. inside Lua)",
    `${slow.redisCommandsPerImage.toFixed(1)}: ${slow.topCommands}`,
  ],
  [
    "burst of 200: throughput",
    `${(200 / (burstTotal / 1000)).toFixed(1)} images/s (sketch, concurrency ${config.workerConcurrency})`,
  ],
  [
    "accept a 1000-item batch: POST /generate-batch, API process (median of 5, in turns with raw)",
    ms(median(batchMs)),
  ],
  ["raw BullMQ addBulk of 1000 jobs (median of 5)", ms(median(rawMs))],
  ["batch accept ÷ raw addBulk (aim ≤ 2)", `${(median(batchMs) / median(rawMs)).toFixed(2)}×`],
  [`cancel a 1000-item batch (${canceled} items still queued, one bulk step)`, ms(cancelMs)],
  [
    `GET /user/me/cost with ${historyCount} completed images this month (median of 5)`,
    ms(median(costMs)),
  ],
  ["API process peak RSS (slow-model run)", `${apiRss} MiB`],
  [
    "worker process peak RSS (slow-model run, 200 drawing and up to 400 jobs in flight)",
    `${workerRss} MiB`,
  ],
  [
    "bench process peak RSS (in-process stack + load generator)",
    `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
  ],
];

rows.push(
  [
    `classifyPrompt, mean over the ${corpusPrompts.length} seed-corpus prompts × ${passes}, warm (aim < 25 µs)`,
    `${classifyUs.toFixed(1)} µs`,
  ],
  [
    `classifyPrompt, mean over all ${allPrompts.length} corpus prompts (${(allWords / allPrompts.length).toFixed(1)} words on average) × ${passes}`,
    `${classifyAllUs.toFixed(1)} µs (${((classifyAllUs * allPrompts.length) / allWords).toFixed(2)} µs a word)`,
  ],
  [
    "classifier start-up in a fresh process: import, WordNet classes and model indexed, first prompt",
    `${classifierStartup.importMs.toFixed(0)} ms, +${classifierStartup.heapMiB.toFixed(0)} MiB heap after GC, +${classifierStartup.rssMiB.toFixed(0)} MiB RSS (${classifierStartup.words} words with classes)`,
  ],
  [
    `classifyPrompt on the ${classifierStartup.checkPrompts} prompts of the independent check set, in that fresh process after the seed corpus: the first time (${classifierStartup.newWords} words the seed corpus lacks, each worked out once) / again`,
    `${classifierStartup.firstSightUs.toFixed(1)} µs / ${classifierStartup.againUs.toFixed(1)} µs`,
  ],
);

rows.push(...(await consoleFigures()));

// 7. Last, on a stack of its own with the embedded one stopped: 100 req/s for 5 minutes with a
//    3.5 s model, then a burst (bench/sustained.ts; `npm run bench -- --no-sustained` skips it).
if (!process.argv.includes("--no-sustained")) {
  rows.push(["— sustained run (bench/sustained.ts) —", ""]);
  rows.push(...(await sustainedFigures()));
}

const table = ["| figure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join(
  "\n",
);
process.stdout.write(`\n${table}\n\n`);
process.stdout.write(`API CPU profile under POST /generate load:\n${profileSummary}\n\n`);
writeFileSync(
  join(import.meta.dirname, "RESULTS.md"),
  `# Benchmark results\n\nWritten by \`npm run bench\` on ${new Date().toISOString()}. Embedded stack: local redis-server, sketch provider, no simulated latency.\n\n${table}\n\n## API CPU profile under POST /generate load\n\nAn API process started with \`--cpu-prof\`, ${CONNECTIONS} ${GENERATOR} connections for ${SECONDS} s; only the samples taken under load. The whole profile is left in \`bench/out/api-post-generate.cpuprofile\` (open it in Chrome DevTools); \`npx tsx bench/profile-top.ts bench/out/api-post-generate.cpuprofile --from-us ${profileFromUs} --to-us ${profileToUs} --self 50\` prints more rows (without the window, start-up is counted in). TypeScript positions are mapped back to source lines (profile-top transforms the file again as tsx does).\n\n${profileSummary}\n`,
);

await redis.stop();
rmSync(dir, { recursive: true, force: true });
