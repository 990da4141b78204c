/**
 * Load from outside: the servers under test and the load generator (wrk when it is installed,
 * else autocannon) each run in a process of their own, so neither one's event loop or CPU time
 * is counted in the other's figures (issue 17: a load generator in the server's own process
 * flatters the server).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const autocannonCli = createRequire(import.meta.url).resolve("autocannon");

export interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  /** Run for this long… */
  seconds?: number;
  /** …or until this many requests have been answered. */
  amount?: number;
  /** Processes whose CPU time over the run is reported (name → pid). */
  watch?: Record<string, number | undefined>;
}

export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  answered: number;
  seconds: number;
  /** CPU seconds over the run, per watched process and the load generator (`generator`). */
  cpuSeconds: Record<string, number>;
  /** CPU seconds per second of load (1 = one core busy), same keys. */
  cpu: Record<string, number>;
}

/**
 * Runs of the same server taken as one: req/s over their total time, CPU likewise, p50 and p99
 * the mean of the runs' (autocannon gives percentiles, not its histogram).
 */
export function combine(runs: LoadFigures[]): LoadFigures {
  const answered = runs.reduce((a, r) => a + r.answered, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const mean = (f: (r: LoadFigures) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  const cpuSeconds: Record<string, number> = {};
  for (const r of runs)
    for (const [k, v] of Object.entries(r.cpuSeconds)) cpuSeconds[k] = (cpuSeconds[k] ?? 0) + v;
  return {
    rps: answered / seconds,
    p50: mean((r) => r.p50),
    p99: mean((r) => r.p99),
    answered,
    seconds,
    cpuSeconds,
    cpu: Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, v / seconds])),
  };
}

/**
 * utime + stime of a process and its live descendants in seconds, from /proc (NaN where there
 * is none): an API started with API_PROCESSES counts its cluster processes too.
 */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat(5), counted here from field 3 on; clock ticks of 1/100 s.
    const own = (Number(fields[11]) + Number(fields[12])) / 100;
    let children = 0;
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ")) {
      const seconds = child.trim() ? cpuSeconds(Number(child)) : 0;
      if (Number.isFinite(seconds)) children += seconds;
    }
    return own + children;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of this process's children that have exited and been waited for. */
function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat(5): cutime, cstime.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** POSTs `body` at `url` with autocannon in a child process; throws on any non-2xx or error. */
export async function autocannon(options: LoadOptions): Promise<LoadFigures> {
  const args = [autocannonCli, "--json", "-n", "-m", "POST", "-c", String(options.connections)];
  if (options.amount !== undefined) args.push("-a", String(options.amount));
  else args.push("-d", String(options.seconds ?? 5));
  for (const [k, v] of Object.entries(options.headers)) args.push("-H", `${k}=${v}`);
  args.push("-b", options.body, options.url);
  const { out, used } = await runGenerator("autocannon", process.execPath, args, options.watch);
  const result = JSON.parse(out) as {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    latency: { p50: number; p99: number };
  };
  if (result.errors || result.timeouts || result.non2xx)
    throw new Error(
      `${options.url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  return figures(result["2xx"], result.duration, result.latency.p50, result.latency.p99, used);
}

/**
 * Runs a load generator to its end: what it printed, and the CPU seconds each watched process
 * and the generator itself (`generator`) used meanwhile. Throws when it exits other than 0.
 */
async function runGenerator(
  name: string,
  command: string,
  args: string[],
  watch: Record<string, number | undefined> = {},
): Promise<{ out: string; used: Record<string, number> }> {
  const cpuOf = () => ({
    ...Object.fromEntries(Object.entries(watch).map(([k, pid]) => [k, cpuSeconds(pid)])),
    // Once reaped, the generator's CPU time is in this process's children's total.
    generator: childrenCpuSeconds(),
  });
  const before: Record<string, number> = cpuOf();
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const after: Record<string, number> = cpuOf();
  if (code !== 0) throw new Error(`${name} exited ${code}: ${err}`);
  const used = Object.fromEntries(
    Object.keys(after).map((k) => [k, (after[k] ?? Number.NaN) - (before[k] ?? Number.NaN)]),
  );
  return { out, used };
}

function figures(
  answered: number,
  seconds: number,
  p50: number,
  p99: number,
  used: Record<string, number>,
): LoadFigures {
  return {
    rps: answered / seconds,
    p50,
    p99,
    answered,
    seconds,
    cpuSeconds: used,
    cpu: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v / seconds])),
  };
}

export interface NodeProcess {
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `node [nodeFlags] --import tsx entry` with env on top of this process's (API_KEYS left out). */
export function nodeProcess(
  entry: string,
  env: Record<string, string>,
  nodeFlags: string[] = [],
  args: string[] = [],
  cwd?: string,
): NodeProcess {
  const { API_KEYS: _k, ...inherited } = process.env;
  const child = spawn(process.execPath, [...nodeFlags, "--import", "tsx", entry, ...args], {
    env: { ...inherited, ...env },
    ...(cwd ? { cwd } : {}),
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** Resolves once `url` answers with one of `statuses` (any answer by default). */
export async function untilAnswering(url: string, timeoutMs = 30_000, statuses?: number[]) {
  const until = performance.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (!statuses || statuses.includes(res.status)) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > until) throw new Error(`${url} did not answer in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** `INFO commandstats` as calls per command (subcommands as "client|setname"). */
export function commandCalls(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(m[1] as string, Number(m[2]));
  return calls;
}

/**
 * wrk (C, one thread) costs the machine far less CPU than autocannon (Node) for the same load,
 * which matters on two cores: it is what issue 17 measured with. `apt-get install wrk`.
 */
export const wrkInstalled = () => spawnSync("wrk", ["--version"]).error === undefined;

/** Percentiles wrk's done() hook prints; latencies in microseconds. */
const WRK_REPORT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;

/** POSTs `body` at `url` with wrk in a child process; same figures and checks as autocannon. */
export async function wrk(options: LoadOptions): Promise<LoadFigures> {
  if (options.amount !== undefined) throw new Error("wrk runs for a time, not an amount");
  const dir = mkdtempSync(join(tmpdir(), "nb-wrk-"));
  const script = join(dir, "post.lua");
  const headerLines = Object.entries(options.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join("\n");
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(options.body)}\n${headerLines}\n${WRK_REPORT}`,
  );
  // wrk reads a duration as whole seconds ("2.5s" is refused).
  const seconds = Math.max(1, Math.round(options.seconds ?? 5));
  const args = ["-t1", `-c${options.connections}`, `-d${seconds}s`, "-s", script, options.url];
  const { out, used } = await runGenerator("wrk", "wrk", args, options.watch).finally(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  const line = out.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`wrk printed no report:\n${out}`);
  const r = JSON.parse(line) as Record<string, number>;
  const bad = ["connect", "read", "write", "status", "timeout"].filter((k) => r[k]);
  if (bad.length)
    throw new Error(`${options.url}: ${bad.map((k) => `${r[k]} ${k} errors`).join(", ")}`);
  return figures(
    r.requests ?? 0,
    (r.durationUs ?? 0) / 1e6,
    Math.round((r.p50 ?? 0) / 10) / 100,
    Math.round((r.p99 ?? 0) / 10) / 100,
    used,
  );
}

/** The lighter generator this machine has: wrk when installed, else autocannon. */
export const loadFromOutside = (options: LoadOptions): Promise<LoadFigures> =>
  options.amount === undefined && wrkInstalled() ? wrk(options) : autocannon(options);
