import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@nanobanana/local-redis";

export interface FirestoreEmulator {
  /** host:port, as FIRESTORE_EMULATOR_HOST takes it. */
  host: string;
  stop(): Promise<void>;
}

/**
 * The real Firestore emulator (`gcloud emulators firestore start`) on a free port. gcloud
 * starts a JVM as its child, so the emulator runs in its own process group and is stopped
 * as a group.
 */
export async function startFirestoreEmulator(
  options: { timeoutMs?: number } = {},
): Promise<FirestoreEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    "gcloud",
    ["emulators", "firestore", "start", `--host-port=${host}`, "--quiet"],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  let failed: Error | undefined;
  child.once("error", (error) => (failed = error));

  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (failed) throw new Error(`could not run gcloud: ${failed.message}`);
    if (child.exitCode !== null)
      throw new Error(`the Firestore emulator exited (${child.exitCode}):\n${output.slice(-2000)}`);
    try {
      const res = await fetch(`http://${host}/`);
      if (res.ok) return { host, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the Firestore emulator did not answer within ${options.timeoutMs ?? 60_000} ms:\n${output.slice(-2000)}`,
      );
    }
    await sleep(250);
  }
}
