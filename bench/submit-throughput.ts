/**
 * POST /generate next to a bare Express JSON handler, each server and the load generator
 * (wrk when installed, else autocannon) in a process of its own (issue 17). run.ts calls it; alone,
 * `npx tsx bench/submit-throughput.ts [--seconds 6] [--processes 1]` prints the figures, which
 * is the quick loop for work on the accept path.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { API_NODE_FLAGS } from "@nanobanana/entrypoint";
import { freePort, startLocalRedis } from "@nanobanana/local-redis";
import {
  combine,
  type LoadFigures,
  type LoadOptions,
  loadFromOutside,
  nodeProcess,
  untilAnswering,
} from "./load.ts";
import { type CpuProfile, profileTop } from "./profile-top.ts";

export const KEY = "bench-key-0001";
export const headers = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };
export const payload = JSON.stringify({ prompt: "throughput probe: a ceramic mug", cache: false });
export const CONNECTIONS = 32;

/**
 * The API as deployed (auth, rate limit, validation, a log line a request at the default
 * level), without a worker.
 */
export function apiEnv(redisUrl: string, prefix: string, dataDir: string) {
  return {
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    DATA_DIR: dataDir,
    API_KEYS: `${KEY}:bench`,
    LOG_LEVEL: "info",
    RATE_LIMIT: "1000000",
  };
}

export async function startApiProcess(
  env: Record<string, string>,
  /** Besides API_NODE_FLAGS, which the API runs with as deployed. */
  nodeFlags: string[] = [],
  processes = 1,
  /** Another checkout's API (an earlier commit, for a before/after in one run). */
  cwd?: string,
) {
  const port = await freePort();
  const proc = nodeProcess(
    "apps/api/src/main.ts",
    { ...env, PORT: String(port), API_PROCESSES: String(processes) },
    [...API_NODE_FLAGS, ...nodeFlags],
    [],
    cwd,
  );
  await untilAnswering(`http://127.0.0.1:${port}/health`, 60_000, [200]);
  return { proc, url: `http://127.0.0.1:${port}/generate` };
}

export async function startBareProcess(entry = "bench/bare-server.ts", args: string[] = []) {
  const proc = nodeProcess(entry, {}, [], args);
  while (!proc.output().includes("\n")) {
    if (proc.child.exitCode !== null) throw new Error("the bare handler's process exited");
    await sleep(50);
  }
  const port = (JSON.parse(proc.output().split("\n")[0] as string) as { port: number }).port;
  return { proc, url: `http://127.0.0.1:${port}/generate` };
}

export interface SubmitFigures {
  api: LoadFigures;
  bare: LoadFigures;
  ratio: number;
  /** Server CPU milliseconds per answered request. */
  apiCpuMs: number;
  bareCpuMs: number;
}

export const cpuMsPerRequest = (f: LoadFigures) =>
  ((f.cpuSeconds.server ?? Number.NaN) * 1000) / f.answered;

/**
 * Two halves in the order bare, API, API, bare: a load that other processes put on the
 * machine and that drifts over the run weighs on both alike.
 */
export async function compareWithBare(
  apiUrl: string,
  apiPids: () => Record<string, number | undefined>,
  bare: { url: string; pid: number | undefined },
  seconds: number,
  more: Partial<LoadOptions> = {},
): Promise<SubmitFigures> {
  const outside = (url: string, watch: Record<string, number | undefined>, s: number) =>
    loadFromOutside({
      url,
      body: payload,
      headers,
      connections: CONNECTIONS,
      seconds: s,
      watch,
      ...more,
    });
  const bareWatch = { server: bare.pid };
  await outside(bare.url, bareWatch, 2); // warm-up
  await outside(apiUrl, apiPids(), 2);
  const bareRuns = [await outside(bare.url, bareWatch, seconds / 2)];
  const apiRuns = [await outside(apiUrl, apiPids(), seconds / 2)];
  apiRuns.push(await outside(apiUrl, apiPids(), seconds / 2));
  bareRuns.push(await outside(bare.url, bareWatch, seconds / 2));
  const api = combine(apiRuns);
  const bareFigures = combine(bareRuns);
  return {
    api,
    bare: bareFigures,
    ratio: api.rps / bareFigures.rps,
    apiCpuMs: cpuMsPerRequest(api),
    bareCpuMs: cpuMsPerRequest(bareFigures),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const seconds = arg("seconds", 6);
  const processes = arg("processes", 1);
  const profile = process.argv.includes("--profile");
  const dir = mkdtempSync(join(tmpdir(), "nb-submit-"));
  const redis = await startLocalRedis({ dir: join(dir, "redis") });
  const bare = await startBareProcess();
  const api = await startApiProcess(apiEnv(redis.url, "bench-submit", dir), [], processes);
  try {
    const f = await compareWithBare(
      api.url,
      () => ({ server: api.proc.child.pid, redis: redis.pid }),
      { url: bare.url, pid: bare.proc.child.pid },
      seconds,
    );
    // --variant K=V,…: a second API with that environment on top, measured against the first
    // in the same run (the quick A/B for work on the accept path).
    const baseline = process.argv.indexOf("--baseline");
    if (baseline > 0) {
      const dirOf = String(process.argv[baseline + 1]);
      const before = await startApiProcess(
        apiEnv(redis.url, "bench-baseline", dir),
        [],
        processes,
        dirOf,
      );
      // Bare's place taken by the earlier API: the ratio is this API ÷ that one.
      const v = await compareWithBare(
        api.url,
        () => ({ server: api.proc.child.pid, redis: redis.pid }),
        { url: before.url, pid: before.proc.child.pid },
        seconds,
      );
      await before.proc.stop();
      console.log(
        `this API ${v.api.rps.toFixed(0)} req/s vs ${dirOf}'s ${v.bare.rps.toFixed(0)} req/s: ×${v.ratio.toFixed(2)}; CPU per request ${v.apiCpuMs.toFixed(3)} ms vs ${v.bareCpuMs.toFixed(3)} ms`,
      );
    }
    const variant = process.argv.indexOf("--variant");
    if (variant > 0) {
      const extra = Object.fromEntries(
        String(process.argv[variant + 1])
          .split(",")
          .map((kv) => kv.split("=") as [string, string]),
      );
      const b = await startApiProcess(
        { ...apiEnv(redis.url, "bench-variant", dir), ...extra },
        [],
        processes,
      );
      const v = await compareWithBare(
        b.url,
        () => ({ server: b.proc.child.pid, redis: redis.pid }),
        { url: api.url, pid: api.proc.child.pid },
        seconds,
      );
      await b.proc.stop();
      console.log(
        `variant ${process.argv[variant + 1]}: ${v.api.rps.toFixed(0)} req/s vs ${v.bare.rps.toFixed(0)} req/s: ×${v.ratio.toFixed(2)}; CPU per request ${v.apiCpuMs.toFixed(3)} ms vs ${v.bareCpuMs.toFixed(3)} ms; redis ${(((v.api.cpuSeconds.redis ?? 0) * 1000) / v.api.answered).toFixed(3)} ms/request`,
      );
    }
    if (process.argv.includes("--floor")) {
      const floor = await startBareProcess("bench/floor-server.ts", [redis.url]);
      const v = await compareWithBare(
        floor.url,
        () => ({ server: floor.proc.child.pid, redis: redis.pid }),
        { url: bare.url, pid: bare.proc.child.pid },
        seconds,
      );
      await floor.proc.stop();
      console.log(
        `floor: ${v.api.rps.toFixed(0)} req/s vs ${v.bare.rps.toFixed(0)} req/s: ×${v.ratio.toFixed(2)}; CPU per request ${v.apiCpuMs.toFixed(3)} ms vs ${v.bareCpuMs.toFixed(3)} ms`,
      );
    }
    console.log(
      `POST /generate ${f.api.rps.toFixed(0)} req/s (p50 ${f.api.p50} ms, p99 ${f.api.p99} ms), ` +
        `bare ${f.bare.rps.toFixed(0)} req/s: ratio ${f.ratio.toFixed(2)}; ` +
        `server CPU per request ${f.apiCpuMs.toFixed(3)} ms vs ${f.bareCpuMs.toFixed(3)} ms; ` +
        `redis ${(((f.api.cpuSeconds.redis ?? 0) * 1000) / f.api.answered).toFixed(3)} ms/request`,
    );
    if (profile) {
      const profileDir = join(dir, "cpu-profile");
      const profiled = await startApiProcess(
        apiEnv(redis.url, "bench-profile", dir),
        ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
        processes,
      );
      const run = (s: number) =>
        loadFromOutside({
          url: profiled.url,
          body: payload,
          headers,
          connections: CONNECTIONS,
          seconds: s,
        });
      await run(2);
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      await run(seconds);
      const toUs = Number(process.hrtime.bigint() / 1000n);
      await profiled.proc.stop();
      const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
      if (!file) throw new Error(`no .cpuprofile in ${profileDir}`);
      const kept = join(tmpdir(), "nb-submit.cpuprofile");
      copyFileSync(join(profileDir, file), kept);
      console.log(
        profileTop(JSON.parse(readFileSync(kept, "utf8")) as CpuProfile, {
          fromUs,
          toUs,
          own: 30,
          self: 40,
        }),
      );
      console.log(`profile kept in ${kept}`);
    }
  } finally {
    await api.proc.stop();
    await bare.proc.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
