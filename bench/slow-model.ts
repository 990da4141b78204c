/**
 * The bench's slow-model figure on its own: a 3.5 s simulated model, 200 at a time, 400 images
 * from one POST /generate-batch; ideal = concurrency / delay. The API and the worker run as
 * processes of their own (as deployed), each one's CPU time and peak RSS its own, and
 * `INFO commandstats` counts what Redis ran for it (commands inside Lua scripts too).
 *
 * The images are written under a directory in memory (/dev/shm, where there is one): they stand
 * in for GCS, and on this machine's ext4 the files' inode allocation, after the bench had deleted
 * the earlier runs' thousands of files, cost 1–2 ms of kernel CPU an image and swung the result
 * from run to run (81–92% of ideal on ext4, 90–92% in memory); --disk puts them on disk.
 *
 * A first batch of the same size warms the two processes up (V8 compiles the hot paths while it
 * runs): the figures are the second batch's, as of a service that has been running. The first
 * one's time is kept as `cold` (what the first batch after a start sees); --cold skips it.
 *
 * `npm run bench` calls `slowModel()` against its own Redis; alone, with a Redis of its own:
 *
 *   npx tsx bench/slow-model.ts [--items 400] [--concurrency 200] [--delay-ms 3500] [--runs 1]
 *                               [--workers 1] (worker processes; the concurrency is split evenly)
 *                               [--cold]      (no warm-up batch: measure the first one)
 *                               [--disk]      (images under the OS's temporary directory)
 *                               [--prefetch 0] (WORKER_PREFETCH of each worker)
 *                               [--drawing stock|per-request] (SKETCH_DRAWING; stock by default)
 *                               [--poll-ms 100] (how often the batch's status is polled)
 *                               [--monitor]   (MONITOR: commands split by client; slows Redis)
 *                               [--dump FILE] (the records' timings, as FILE.<run>.json)
 *                               [--profile-worker DIR] [--profile-api DIR] (--cpu-prof, into DIR)
 *                               [--json]      (the figures as one JSON line per run)
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { API_NODE_FLAGS } from "@nanobanana/entrypoint";
import { freePort, startLocalRedis } from "@nanobanana/local-redis";
import { Redis } from "ioredis";
import { commandCalls, cpuSeconds, nodeProcess } from "./load.ts";

/** A new directory for a run's images and Redis: in memory where the machine has /dev/shm. */
export function slowModelDir(onDisk = false): string {
  return mkdtempSync(join(!onDisk && existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "nb-slow-"));
}

export interface SlowModelOptions {
  redisUrl: string;
  /** redis-server's pid, for its CPU time (none: not reported). */
  redisPid?: number | undefined;
  /** DATA_DIR for the two processes (images are written under it). */
  dir: string;
  /** An API key the API process is started with. */
  apiKey: string;
  /** A key prefix of the run's own (several runs on one Redis each take another). */
  keyPrefix?: string;
  items?: number;
  /** How often GET /batch/:id/status is polled until progress is 1 (ms; 100 by default). */
  pollMs?: number;
  /** Jobs in flight over all worker processes (200). */
  concurrency?: number;
  delayMs?: number;
  /** Worker processes, each WORKER_CONCURRENCY = concurrency ÷ workers (1). */
  workers?: number;
  /** WORKER_PREFETCH of each worker (0, its default). */
  prefetch?: number;
  /**
   * SKETCH_DRAWING: "stock" (the default) answers drawings made once, as a remote model's answer
   * costs the worker nothing but its bytes, so the figure measures the service around the model;
   * "per-request" draws every sketch (~15 ms of CPU each), the renderer's cost on top.
   */
  drawing?: "stock" | "per-request";
  /** Measure the first batch after start, without a warm-up batch first (false). */
  cold?: boolean;
  /** MONITOR Redis over the run to split its commands by client (slows Redis down). */
  monitor?: boolean;
  /** Writes the records (timings, createdAt, completedAt) as JSON to this file. */
  dumpTo?: string;
  /** Runs the worker under --cpu-prof, writing its profile into this directory when it stops. */
  profileWorkerTo?: string;
  /** Runs the API under --cpu-prof, writing its profile into this directory when it stops. */
  profileApiTo?: string;
}

export interface SlowModelFigures {
  items: number;
  concurrency: number;
  workers: number;
  /** WORKER_PREFETCH of each worker process, as it ran. */
  prefetch: number;
  drawing: "stock" | "per-request";
  delayMs: number;
  /** POST /generate-batch → the batch's progress reads 1. */
  seconds: number;
  imagesPerSecond: number;
  idealImagesPerSecond: number;
  /** imagesPerSecond ÷ ideal, in %. */
  percentOfIdeal: number;
  /** The warm-up batch (the first after start, same size): its time and % of ideal; none with `cold`. */
  cold?: { seconds: number; percentOfIdeal: number };
  /** How long POST /generate-batch took to answer. */
  acceptMs: number;
  /** CPU seconds per image over the run, per process (all its threads). */
  cpuPerImage: { worker: number; api: number; redis: number };
  /**
   * CPU seconds per image of the worker's main thread alone (its JavaScript): the part that
   * cannot spread over cores, unlike sharp's and libuv's threads.
   */
  workerMainThreadPerImage: number;
  /** Redis commands per completed generation (incl. inside Lua), everything the run caused. */
  redisCommandsPerImage: number;
  /** The commands that make it up, most first ("evalsha 12.00, get 3.00, …"). */
  topCommands: string;
  /**
   * With `monitor`: commands per image by client name, each with its top commands
   * ("(inside Lua) 103.2 (hincrby 27.01, …); nanobanana-worker 42.6 (eval 9.00, …); …").
   */
  byClient?: string;
  /** Per-record stage timings (ms), p50 / p99 / max, from the records at the end. */
  stages: Record<string, [number, number, number]>;
  /** When the images were picked up by the worker, from the batch's start: first, median, last (s). */
  startedAt: [number, number, number];
  /** When the images completed, from the batch's start: first, median, last (s). */
  completedAt: [number, number, number];
  apiPeakRssMiB: number;
  workerPeakRssMiB: number;
  /** The run's window on the monotonic clock (µs), for `bench/profile-top.ts --from-us --to-us`. */
  windowUs: [number, number];
}

/** utime + stime of a process's main thread (its task whose id is the pid), in seconds. */
function mainThreadCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

function service(entry: string, env: Record<string, string>, nodeFlags: string[] = []) {
  const proc = nodeProcess(entry, env, nodeFlags);
  return {
    pid: proc.child.pid,
    output: proc.output,
    exited: () => proc.child.exitCode !== null || proc.child.signalCode !== null,
    async stop(): Promise<number> {
      await proc.stop();
      const line = proc
        .output()
        .split("\n")
        .find((l) => l.includes('"peakRssMiB"'));
      return line ? (JSON.parse(line) as { peakRssMiB: number }).peakRssMiB : Number.NaN;
    },
  };
}

export async function slowModel(options: SlowModelOptions): Promise<SlowModelFigures> {
  const items = options.items ?? 400;
  const concurrency = options.concurrency ?? 200;
  const delayMs = options.delayMs ?? 3500;
  const workerCount = options.workers ?? 1;
  const drawing = options.drawing ?? "stock";
  const perWorker = Math.ceil(concurrency / workerCount);
  const prefetch = options.prefetch ?? 0;
  const common = {
    REDIS_URL: options.redisUrl,
    KEY_PREFIX: options.keyPrefix ?? "bench-slow",
    DATA_DIR: options.dir,
    API_KEYS: `${options.apiKey}:bench`,
    LOG_LEVEL: "info",
  };
  const headers = { Authorization: `Bearer ${options.apiKey}`, "Content-Type": "application/json" };
  const port = String(await freePort());
  const workers = Array.from({ length: workerCount }, () =>
    service(
      "apps/worker/src/main.ts",
      {
        ...common,
        SKETCH_DELAY_MS: String(delayMs),
        SKETCH_DRAWING: drawing,
        WORKER_CONCURRENCY: String(perWorker),
        WORKER_PREFETCH: String(prefetch),
      },
      options.profileWorkerTo ? ["--cpu-prof", `--cpu-prof-dir=${options.profileWorkerTo}`] : [],
    ),
  );
  const api = service("apps/api/src/main.ts", { ...common, PORT: port, RATE_LIMIT: "1000000" }, [
    ...API_NODE_FLAGS,
    ...(options.profileApiTo ? ["--cpu-prof", `--cpu-prof-dir=${options.profileApiTo}`] : []),
  ]);
  const base = `http://127.0.0.1:${port}`;
  while (
    !api.output().includes("api listening") ||
    workers.some((w) => !w.output().includes("worker ready"))
  ) {
    if (api.exited() || workers.some((w) => w.exited()))
      throw new Error("the API or a worker exited early");
    await sleep(100);
  }
  // Let both settle (the worker's first fetches, the sweep's first run) before counting.
  await sleep(500);

  const stats = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const commandstats = async () => commandCalls((await stats.info("commandstats")) as string);
  const clientNames = new Map<string, string>();
  const byClient = new Map<string, Map<string, number>>();
  const cpu = () => ({
    workerMain: workers.reduce((sum, w) => sum + mainThreadCpuSeconds(w.pid), 0),
    worker: workers.reduce((sum, w) => sum + cpuSeconds(w.pid), 0),
    api: cpuSeconds(api.pid),
    redis: cpuSeconds(options.redisPid),
  });
  const ideal = concurrency / (delayMs / 1000);
  /** POSTs one batch of `items` prompts and polls it until its progress reads 1. */
  const runBatch = async (subject: string) => {
    const start = performance.now();
    const res = await fetch(`${base}/generate-batch`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        items: Array.from({ length: items }, (_, i) => ({ prompt: `${subject} ${i}` })),
      }),
    });
    const acceptMs = performance.now() - start;
    if (res.status !== 202) throw new Error(`batch answered ${res.status}: ${await res.text()}`);
    const { batchId, ids } = (await res.json()) as { batchId: string; ids: string[] };
    for (;;) {
      const s = (await (
        await fetch(`${base}/batch/${batchId}/status?limit=1`, { headers })
      ).json()) as { progress: number };
      if (s.progress === 1) break;
      await sleep(options.pollMs ?? 100);
    }
    return { ids, acceptMs, seconds: (performance.now() - start) / 1000 };
  };
  let cold: SlowModelFigures["cold"];
  if (!options.cold) {
    const warmUp = await runBatch("warm-up lamp");
    cold = { seconds: warmUp.seconds, percentOfIdeal: (100 * items) / warmUp.seconds / ideal };
    // Its last writes and the sweep's next run settle before the clock starts again.
    await sleep(1000);
  }
  // Only the measured batch's commands.
  const monitor = options.monitor ? await stats.monitor() : undefined;
  monitor?.on("monitor", (_time: string, args: string[], source: string) => {
    const counts = byClient.get(source) ?? new Map<string, number>();
    const name = String(args[0]).toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
    byClient.set(source, counts);
  });

  const commandsBefore = await commandstats();
  const cpuBefore = cpu();
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const { ids, acceptMs, seconds } = await runBatch("slow model lamp");
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const startedAtMs = Date.now() - seconds * 1000;
  const cpuAfter = cpu();
  const commandsAfter = await commandstats();
  if (monitor) {
    for (const line of ((await stats.client("LIST")) as string).split("\n")) {
      const addr = /addr=(\S+)/.exec(line)?.[1];
      const name = /name=(\S*)/.exec(line)?.[1];
      if (addr) clientNames.set(addr, name || "(no name)");
    }
    monitor.disconnect();
  }

  // The records, after the clock stopped: where each one's time went.
  const records: Array<{
    timings: Record<string, number>;
    createdAt: string;
    completedAt: string;
  }> = [];
  for (let i = 0; i < ids.length; i += 50) {
    const page = ids.slice(i, i + 50);
    records.push(
      ...(await Promise.all(
        page.map(
          async (id) =>
            (await (await fetch(`${base}/generation/${id}/status`, { headers })).json()) as {
              timings: Record<string, number>;
              createdAt: string;
              completedAt: string;
            },
        ),
      )),
    );
  }
  if (options.dumpTo)
    writeFileSync(options.dumpTo, JSON.stringify({ startedAtMs, acceptMs, records }, null, 1));
  await stats.quit();
  const apiPeakRssMiB = await api.stop();
  const workerPeakRssMiB = Math.max(...(await Promise.all(workers.map((w) => w.stop()))));

  const commands = new Map<string, number>();
  for (const [k, v] of commandsAfter)
    if (k !== "info" && k !== "client|list" && k !== "monitor")
      commands.set(k, (v - (commandsBefore.get(k) ?? 0)) / items);
  const total = [...commands.values()].reduce((a, b) => a + b, 0);
  const top = [...commands.entries()]
    .filter(([, v]) => v >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
  const clients = new Map<string, Map<string, number>>();
  for (const [source, counts] of byClient) {
    const name = source === "lua" ? "(inside Lua)" : (clientNames.get(source) ?? source);
    const into = clients.get(name) ?? new Map<string, number>();
    for (const [command, n] of counts) into.set(command, (into.get(command) ?? 0) + n / items);
    clients.set(name, into);
  }
  const sumOf = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const stageNames = new Set(records.flatMap((r) => Object.keys(r.timings)));
  const stages: SlowModelFigures["stages"] = {};
  for (const name of stageNames) {
    const values = records.map((r) => r.timings[name] ?? 0);
    stages[name] = [percentile(values, 50), percentile(values, 99), Math.max(...values)];
  }
  const done = records.map((r) => (Date.parse(r.completedAt) - startedAtMs) / 1000);
  const picked = records.map(
    (r) => (Date.parse(r.createdAt) + (r.timings.queuedMs ?? 0) - startedAtMs) / 1000,
  );
  const perImage = (k: keyof typeof cpuAfter) => (cpuAfter[k] - cpuBefore[k]) / items;
  return {
    items,
    concurrency,
    workers: workerCount,
    prefetch,
    drawing,
    delayMs,
    seconds,
    imagesPerSecond: items / seconds,
    idealImagesPerSecond: ideal,
    percentOfIdeal: (100 * items) / seconds / ideal,
    ...(cold ? { cold } : {}),
    acceptMs,
    cpuPerImage: { worker: perImage("worker"), api: perImage("api"), redis: perImage("redis") },
    workerMainThreadPerImage: perImage("workerMain"),
    redisCommandsPerImage: total,
    topCommands: top,
    ...(monitor
      ? {
          byClient: [...clients.entries()]
            .filter(([, m]) => sumOf(m) >= 0.05)
            .sort((a, b) => sumOf(b[1]) - sumOf(a[1]))
            .map(
              ([k, m]) =>
                `${k} ${sumOf(m).toFixed(1)} (${[...m.entries()]
                  .sort((a, b) => b[1] - a[1])
                  .slice(0, 8)
                  .map(([c, v]) => `${c} ${v.toFixed(2)}`)
                  .join(", ")})`,
            )
            .join("; "),
        }
      : {}),
    stages,
    startedAt: [Math.min(...picked), percentile(picked, 50), Math.max(...picked)],
    completedAt: [Math.min(...done), percentile(done, 50), Math.max(...done)],
    apiPeakRssMiB,
    workerPeakRssMiB,
    windowUs: [fromUs, toUs],
  };
}

/** The figures as lines for a terminal. */
export function describe(f: SlowModelFigures): string {
  const ms = (n: number) => (n * 1000).toFixed(1);
  return [
    `${f.items} images, ${f.delayMs} ms model (${f.drawing} drawings), concurrency ${f.concurrency} over ${f.workers} worker process${f.workers > 1 ? "es" : ""}, WORKER_PREFETCH ${f.prefetch}: ${f.seconds.toFixed(2)} s`,
    `  ${f.imagesPerSecond.toFixed(1)} images/s, ideal ${f.idealImagesPerSecond.toFixed(1)}: ${f.percentOfIdeal.toFixed(0)}% of ideal${f.cold ? ` (after a warm-up batch, which took ${f.cold.seconds.toFixed(2)} s: ${f.cold.percentOfIdeal.toFixed(0)}%)` : " (the first batch after start)"}`,
    `  batch accepted in ${f.acceptMs.toFixed(0)} ms; picked up at ${f.startedAt.map((s) => s.toFixed(2)).join(" / ")} s, completed at ${f.completedAt.map((s) => s.toFixed(2)).join(" / ")} s (first / median / last)`,
    `  CPU ms per image: worker ${ms(f.cpuPerImage.worker)} (its main thread ${ms(f.workerMainThreadPerImage)}), API ${ms(f.cpuPerImage.api)}, redis-server ${ms(f.cpuPerImage.redis)}`,
    `  Redis commands per completed generation: ${f.redisCommandsPerImage.toFixed(1)} (${f.topCommands})`,
    ...(f.byClient ? [`  … by client (MONITOR): ${f.byClient}`] : []),
    `  stage timings ms (p50 / p99 / max): ${Object.entries(f.stages)
      .map(([k, [a, b, c]]) => `${k} ${a}/${b}/${c}`)
      .join(", ")}`,
    `  peak RSS: API ${f.apiPeakRssMiB} MiB, worker ${f.workerPeakRssMiB} MiB`,
  ].join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { values } = parseArgs({
    options: {
      items: { type: "string", default: "400" },
      concurrency: { type: "string", default: "200" },
      workers: { type: "string", default: "1" },
      prefetch: { type: "string", default: "0" },
      drawing: { type: "string", default: "stock" },
      "delay-ms": { type: "string", default: "3500" },
      "poll-ms": { type: "string", default: "100" },
      runs: { type: "string", default: "1" },
      cold: { type: "boolean", default: false },
      disk: { type: "boolean", default: false },
      monitor: { type: "boolean", default: false },
      dump: { type: "string" },
      "profile-worker": { type: "string" },
      "profile-api": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const dir = slowModelDir(values.disk);
  const redis = await startLocalRedis({ dir: join(dir, "redis") });
  try {
    for (let run = 0; run < Number(values.runs); run++) {
      const figures = await slowModel({
        redisUrl: redis.url,
        redisPid: redis.pid,
        dir,
        apiKey: "bench-key-0001",
        keyPrefix: `bench-slow-${run}`,
        items: Number(values.items),
        concurrency: Number(values.concurrency),
        workers: Number(values.workers),
        prefetch: Number(values.prefetch),
        drawing: values.drawing === "per-request" ? "per-request" : "stock",
        delayMs: Number(values["delay-ms"]),
        pollMs: Number(values["poll-ms"]),
        cold: values.cold,
        monitor: values.monitor,
        ...(values.dump ? { dumpTo: `${values.dump}.${run}.json` } : {}),
        ...(values["profile-worker"] ? { profileWorkerTo: values["profile-worker"] } : {}),
        ...(values["profile-api"] ? { profileApiTo: values["profile-api"] } : {}),
      });
      process.stdout.write(values.json ? `${JSON.stringify(figures)}\n` : `${describe(figures)}\n`);
      for (const [name, dir] of [
        ["worker", values["profile-worker"]],
        ["API", values["profile-api"]],
      ])
        if (dir)
          process.stdout.write(
            `  ${name} profile: npx tsx bench/profile-top.ts ${dir}/CPU.*.cpuprofile --from-us ${figures.windowUs[0]} --to-us ${figures.windowUs[1]}\n`,
          );
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
