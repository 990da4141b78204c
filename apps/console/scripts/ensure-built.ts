/**
 * Builds the console (apps/console/dist) when its sources changed since the last build, and
 * says where it is. A hash of what decides the bundle (the console's sources, the client
 * package's sources, both manifests and the installed versions of the console's dependencies)
 * is stored in dist/.source-hash; the same hash answers at once, so `npm start` and the tests
 * may call this on every start.
 *
 *   tsx apps/console/scripts/ensure-built.ts            # build if needed, print the dist path
 *   tsx apps/console/scripts/ensure-built.ts --force    # build regardless
 *
 * Concurrent callers (two test files, a test and `npm start`) take turns on a lock directory;
 * the build goes to a fresh folder that replaces dist/ only once it is complete, so a server
 * reading dist/ never sees half a build.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const CONSOLE_DIR = resolve(import.meta.dirname, "..");
const ROOT = resolve(CONSOLE_DIR, "../..");
const CLIENT_DIR = join(ROOT, "packages/client");
const DIST = join(CONSOLE_DIR, "dist");
const HASH_FILE = ".source-hash";
const LOCK = join(CONSOLE_DIR, ".build-lock");
/** A lock older than this is left over from a build that died; it is taken over. */
const STALE_LOCK_MS = 5 * 60_000;

/** Files under `dir` (recursively), test files left out: they do not change the bundle. */
function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.isFile() && !/\.test\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The installed version of each of the console's dependencies (an upgrade rebuilds). */
function dependencyVersions(): string {
  const manifest = JSON.parse(readFileSync(join(CONSOLE_DIR, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const require = createRequire(join(CONSOLE_DIR, "package.json"));
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).sort();
  return names
    .map((name) => {
      try {
        const version = (require(`${name}/package.json`) as { version?: string }).version;
        return `${name}@${version}`;
      } catch {
        return `${name}@?`;
      }
    })
    .join("\n");
}

/** sha256 over every file that decides the bundle, by path and content. */
export function consoleSourceHash(): string {
  const files = [
    join(CONSOLE_DIR, "index.html"),
    join(CONSOLE_DIR, "vite.config.ts"),
    join(CONSOLE_DIR, "package.json"),
    join(CONSOLE_DIR, "tsconfig.json"),
    ...sourceFiles(join(CONSOLE_DIR, "src")),
    ...sourceFiles(join(CONSOLE_DIR, "public")),
    join(CLIENT_DIR, "package.json"),
    ...sourceFiles(join(CLIENT_DIR, "src")),
  ]
    .filter((file) => existsSync(file))
    .sort();
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(relative(ROOT, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  hash.update(dependencyVersions());
  return hash.digest("hex");
}

async function builtHash(): Promise<string | null> {
  try {
    if (!existsSync(join(DIST, "index.html"))) return null;
    return (await readFile(join(DIST, HASH_FILE), "utf8")).trim();
  } catch {
    return null;
  }
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const age = await stat(LOCK).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) {
        await rm(LOCK, { recursive: true, force: true });
        continue;
      }
      await new Promise((done) => setTimeout(done, 200));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

async function buildInto(outDir: string): Promise<void> {
  // Vite is loaded only when a build is due: a start with a current build never pays for it.
  const { build } = await import("vite");
  // Vite and the React plugin read NODE_ENV to choose production JSX and React's production
  // build; under a test runner it is "test". The build is always a production one.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      configFile: join(CONSOLE_DIR, "vite.config.ts"),
      root: CONSOLE_DIR,
      mode: "production",
      logLevel: "warn",
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

export interface EnsureOptions {
  /** Build even when the stored hash matches. */
  force?: boolean;
  /** Told when a build starts and ends (the CLI prints it). */
  onBuild?: (event: "start" | "done", ms: number) => void;
}

/**
 * The console's dist directory, built first when its sources changed since the last build.
 * Cheap when nothing changed: one hash over the sources, no Vite.
 */
export async function ensureConsoleBuilt(options: EnsureOptions = {}): Promise<string> {
  const wanted = consoleSourceHash();
  if (!options.force && (await builtHash()) === wanted) return DIST;
  return withLock(async () => {
    // Another process may have built it while this one waited for the lock.
    if (!options.force && (await builtHash()) === wanted) return DIST;
    const started = Date.now();
    options.onBuild?.("start", 0);
    const tag = `${process.pid}-${Date.now().toString(36)}`;
    const fresh = join(CONSOLE_DIR, `dist-${tag}`);
    const old = join(CONSOLE_DIR, `dist-old-${tag}`);
    try {
      await buildInto(fresh);
      await writeFile(join(fresh, HASH_FILE), `${wanted}\n`);
      if (existsSync(DIST)) await rename(DIST, old);
      await rename(fresh, DIST);
    } finally {
      await rm(fresh, { recursive: true, force: true });
      await rm(old, { recursive: true, force: true });
    }
    options.onBuild?.("done", Date.now() - started);
    return DIST;
  });
}

/** The size of every file under dist, for the CLI's summary. */
function distSummary(dir: string): string {
  const files = sourceFiles(dir).filter((f) => !f.endsWith(HASH_FILE));
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  return `${files.length} files, ${(bytes / 1024).toFixed(0)} KiB`;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;

if (invokedDirectly) {
  const force = process.argv.includes("--force");
  try {
    let built = false;
    const dist = await ensureConsoleBuilt({
      force,
      onBuild: (event, ms) => {
        if (event === "start") process.stderr.write("building the console…\n");
        else {
          built = true;
          process.stderr.write(`built the console in ${(ms / 1000).toFixed(1)} s\n`);
        }
      },
    });
    if (!built) process.stderr.write("the console is up to date\n");
    process.stderr.write(`${distSummary(dist)}\n`);
    process.stdout.write(`${dist}\n`);
  } catch (error) {
    process.stderr.write(`console build failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
