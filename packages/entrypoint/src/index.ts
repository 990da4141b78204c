import cluster from "node:cluster";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type Config, ConfigError, loadConfig } from "@nanobanana/config";
import { createLogger, type Logger } from "@nanobanana/logger";

/**
 * Node flags the API runs with (package.json's `start` and `start:api`, apps/api's and
 * apps/local's `start`, infra/Dockerfile; a deployment test keeps them in step; the benches
 * start their API with them).
 * - A young generation of 3 × 64 MiB instead of V8's default (16 MiB semi-spaces on a large
 *   machine, less under a memory limit): a request allocates about 90 KB, so at 1000 req/s
 *   the default scavenged every ~110 ms, and what 100 ms of requests in flight still held was
 *   promoted, to be freed by a full collection. With 64 MiB a burst of 1000 req/s on one core
 *   was answered at p99 44–50 ms instead of 276–299 ms (same CPU per request), for about
 *   75 MiB more RSS. Node's docs suggest trying 16–128 for a service: 32 gave 124 ms, 128 no
 *   better than 64.
 * - The collector on the main thread only (`--single-threaded-gc`). The API scales by
 *   processes, one a core (API_PROCESSES, or one per instance), so V8's helper threads can
 *   only take CPU from a thread answering requests. On one core at 1000 req/s a full
 *   collection's concurrent marking took 64–88% of the core for ~250 ms, and the requests
 *   queued behind it: p99 80–630 ms in 8 runs of 10 s. On the main thread, marking goes in
 *   steps between requests: p99 12–32 ms in 6 runs, 0.65–0.73 ms CPU a request instead of
 *   0.70–0.92 (bench/sustained.ts's pinned burst).
 */
export const API_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=64",
  "--single-threaded-gc",
];

export interface Running {
  close(): Promise<void>;
}

/** The configuration, or its problems printed (not a stack) and exit 1: for every entry point and script. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * A full collection once the heap has grown `percent` past what the last one kept. V8 on its
 * own lets a heap allowed gigabytes (its default on a large machine) grow up to 4× first: the
 * API's RSS went from 270 to 400 MiB and back on its first cycles at 100 req/s. At 50% it
 * stays within a few percent, for a full collection every ~15 s (about 5 ms, mostly
 * incremental). V8 reads the flag when a full collection ends and sets the next one's limit:
 * one is made now, or the first limit would still be the one loading the code left (4×).
 */
function steadyHeap(percent: number): void {
  if (percent <= 0) return;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/**
 * The shape of every entry point: read config once, start, and on SIGTERM/SIGINT close
 * gracefully (Cloud Run sends SIGTERM and waits). A second signal exits at once.
 * A bad configuration prints its message, not a stack, and exits 1.
 */
export async function runService(
  service: string,
  start: (config: Config, logger: Logger) => Promise<Running>,
): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ service, level: config.logLevel });
  steadyHeap(config.heapGrowthPercent);

  let running: Running;
  try {
    running = await start(config, logger);
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else logger.fatal({ err: error }, `${service} failed to start`);
    process.exit(1);
  }

  let stoppingSince: number | undefined;
  const stop = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // Ctrl+C reaches us twice at once (from the terminal's process group and relayed by
      // npm/tsx): only a signal sent later, on purpose, means "stop waiting".
      if (Date.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, "shutting down gracefully");
    // Running jobs get SHUTDOWN_TIMEOUT_MS; closing connections to a Redis that is already
    // gone could wait forever, so past that and a margin the process exits regardless (the
    // jobs it held go back to the queue when their locks lapse).
    setTimeout(() => {
      logger.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 10_000).unref();
    try {
      await running.close();
      // Peak memory over the process's life: what to size its container by.
      logger.info(
        { peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) },
        `${service} stopped`,
      );
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * FAILPOINT (testing only): a function the use cases call at their crash-sensitive steps,
 * which kills this process with SIGKILL, no clean-up, when it reaches the configured step.
 */
export function failpointFor(step: string | undefined): ((at: string) => void) | undefined {
  if (!step) return undefined;
  return (at) => {
    if (at === step) process.kill(process.pid, "SIGKILL");
  };
}

/**
 * runService over several processes sharing one port (Node's cluster; on Linux the primary
 * hands connections out in turn), for a service that holds no state of its own between
 * requests: the API. `processes` of 1 is runService itself. The primary only supervises: a
 * process that dies is started again (after 1 s, doubling while they keep dying young, up to
 * 30 s), and SIGTERM/SIGINT is passed to every process, the primary exiting once they have.
 */
export async function runServiceProcesses(
  service: string,
  start: (config: Config, logger: Logger) => Promise<Running>,
  processes: (config: Config) => number,
): Promise<void> {
  if (!cluster.isPrimary) return runService(service, start);
  const config = loadConfigOrExit();
  const count = processes(config);
  if (count <= 1) return runService(service, start);
  const logger = createLogger({ service, level: config.logLevel });
  let stopping = false;
  let quickDeaths = 0;
  const fork = () => {
    const startedAt = Date.now();
    const child = cluster.fork();
    child.on("exit", (code, signal) => {
      if (stopping) return;
      quickDeaths = Date.now() - startedAt < 10_000 ? quickDeaths + 1 : 0;
      const delayMs = Math.min(30_000, 1_000 * 2 ** Math.max(0, quickDeaths - 1));
      logger.error(
        { pid: child.process.pid, code, signal, restartInMs: delayMs },
        `${service} process exited; starting another`,
      );
      setTimeout(() => {
        if (!stopping) fork();
      }, delayMs);
    });
  };
  cluster.on("listening", (child) =>
    logger.info({ pid: child.process.pid }, `${service} process listening`),
  );
  for (let i = 0; i < count; i++) fork();
  logger.info({ processes: count }, `${service}: ${count} processes on one port`);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const child of Object.values(cluster.workers ?? {})) child?.process.kill(signal);
    setTimeout(() => {
      logger.error("processes did not stop in time; exiting");
      for (const child of Object.values(cluster.workers ?? {})) child?.process.kill("SIGKILL");
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    let failed = false;
    cluster.on("exit", (_child, code, exitSignal) => {
      // Killed by the signal passed on: a process still starting, before it listened for it.
      failed ||= code !== 0 && exitSignal !== signal;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
