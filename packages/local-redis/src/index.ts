import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface LocalRedisOptions {
  /** Where the append-only file and pid file live. */
  dir: string;
  bin?: string;
  port?: number;
  /** Durable by default (AOF, fsync every second); tests turn it off for speed. */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

export interface LocalRedis {
  url: string;
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

export class RedisServerNotFoundError extends Error {
  constructor(bin: string) {
    super(
      `could not run "${bin}": redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to a running Redis.`,
    );
    this.name = "RedisServerNotFoundError";
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    // "-LOADING" while the AOF replays: not ready yet.
    socket.on("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A server left behind by a process that was killed hard still owns the data directory;
 * two servers on one append-only file would corrupt it, so stop the old one first.
 */
const readPid = (file: string) => {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};

/**
 * A redis-server left running by a process that died is stopped; one whose owner is still
 * alive (another `npm start` on the same DATA_DIR) is not ours to stop: refuse instead.
 */
async function stopStale(pidFile: string, ownerFile: string): Promise<void> {
  const owner = readPid(ownerFile);
  if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `another process (pid ${owner}) is already running a redis-server in ${dirname(ownerFile)}; stop it first, or give this one its own DATA_DIR`,
    );
  }
  const pid = readPid(pidFile);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts a redis-server bound to loopback and resolves once it answers PING. */
export async function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedis> {
  const bin = options.bin ?? "redis-server";
  mkdirSync(options.dir, { recursive: true });
  const pidFile = join(options.dir, "redis.pid");
  const ownerFile = join(options.dir, "owner.pid");
  await stopStale(pidFile, ownerFile);
  writeFileSync(ownerFile, String(process.pid));
  const port = options.port ?? (await freePort());
  const persistent = options.persistent ?? true;
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    options.dir,
    "--pidfile",
    pidFile,
    "--daemonize",
    "no",
    "--save",
    "",
    "--appendonly",
    persistent ? "yes" : "no",
    "--appendfsync",
    "everysec",
    // BullMQ needs keys never to be evicted.
    "--maxmemory-policy",
    "noeviction",
    "--loglevel",
    "warning",
  ];
  // Its own process group: Ctrl+C (sent to the whole foreground group) reaches the app, which
  // stops this server last, after its jobs have finished with it.
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      output.push(line);
      options.onLog?.(line);
    }
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  const deadline = Date.now() + 15_000;
  for (;;) {
    const failed = await Promise.race([spawnError, sleep(50).then(() => null)]);
    if (failed) {
      if ((failed as NodeJS.ErrnoException).code === "ENOENT")
        throw new RedisServerNotFoundError(bin);
      throw failed;
    }
    if (child.exitCode !== null) {
      throw new Error(
        `redis-server exited with code ${child.exitCode}:\n${output.slice(-10).join("\n")}`,
      );
    }
    if (await pingOnce(port)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(
        `redis-server did not answer on port ${port} within 15 s:\n${output.slice(-10).join("\n")}`,
      );
    }
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    async stop() {
      // SIGTERM makes redis flush the append-only file before it exits.
      child.kill("SIGTERM");
      if (!(await waitForExit(child, 10_000))) {
        child.kill("SIGKILL");
        await waitForExit(child, 2_000);
      }
      // A later process that happens to get our pid must not look like a live owner.
      rmSync(ownerFile, { force: true });
    },
  };
}
