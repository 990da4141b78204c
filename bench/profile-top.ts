/**
 * Summarises a V8 .cpuprofile (as `node --cpu-prof` writes it): the top functions by self time
 * with file:line, and the top packages or files by inclusive time (a sample counts once for
 * every package or file on its stack).
 *
 *   npx tsx bench/profile-top.ts FILE.cpuprofile [--self 25] [--groups 15] [--from-us A --to-us B]
 *
 * --from-us/--to-us keep only the samples in that window, in the profile's own clock (µs of
 * CLOCK_MONOTONIC on Linux: process.hrtime.bigint() / 1000n in any process on the machine), so
 * start-up and shutdown can be left out. V8 gives positions in the code it ran: for TypeScript
 * that tsx ran, esbuild's one-line output, so such a file is transformed again here as tsx does
 * (same esbuild, same options) and the position mapped back to the source's line through the
 * source map; where that fails, the row shows tsx's output column ("ts:1:2524").
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** Per generated line, its segments as [generated column, source line], both 0-based. */
type LineMap = Array<Array<[number, number]>>;

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes a source map's "mappings" (base64 VLQ) into generated column → source line. */
function decodeMappings(mappings: string): LineMap {
  const lines: LineMap = [];
  let sourceLine = 0;
  for (const line of mappings.split(";")) {
    const segments: Array<[number, number]> = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = BASE64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0] ?? 0;
      if (fields.length >= 4) {
        sourceLine += fields[2] ?? 0;
        segments.push([column, sourceLine]);
      }
    }
    lines.push(segments);
  }
  return lines;
}

type Transform = (code: string, options: Record<string, unknown>) => { map: string };
let esbuild: { transformSync: Transform } | null | undefined;
const lineMaps = new Map<string, LineMap | null>();

/** The source line (1-based) of a position in tsx's output of `file`, or undefined. */
function sourceLine(file: string, line: number, column: number): number | undefined {
  if (!/\.[cm]?tsx?$/.test(file)) return undefined;
  if (!lineMaps.has(file)) {
    let map: LineMap | null = null;
    try {
      if (esbuild === undefined) {
        // The esbuild tsx itself loads, with the options tsx 4 gives it for an ES module.
        const fromTsx = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
        esbuild = fromTsx("esbuild") as { transformSync: Transform };
      }
      if (esbuild) {
        const out = esbuild.transformSync(readFileSync(file, "utf8"), {
          target: `node${process.versions.node}`,
          loader: file.endsWith("x") ? "tsx" : "ts",
          format: "esm",
          sourcemap: true,
          sourcesContent: false,
          minifyWhitespace: true,
          keepNames: true,
          sourcefile: file,
        });
        map = decodeMappings((JSON.parse(out.map) as { mappings: string }).mappings);
      }
    } catch {
      esbuild ??= null;
    }
    lineMaps.set(file, map);
  }
  const segments = lineMaps.get(file)?.[line];
  if (!segments?.length) return undefined;
  let found: number | undefined;
  for (const [col, src] of segments) {
    if (col > column) break;
    found = src;
  }
  return found === undefined ? undefined : found + 1;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface TopOptions {
  self?: number;
  groups?: number;
  /** Only samples taken in [fromUs, toUs], in the profile's clock. */
  fromUs?: number;
  toUs?: number;
  /** Paths are shown relative to this folder (default: the current one). */
  root?: string;
  /** Rows of the third table: the project's own functions (apps/, packages/) by inclusive time. */
  own?: number;
}

const META = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

function pathOf(url: string, root: string): string {
  if (!url.startsWith("file://")) return url;
  return relative(root, fileURLToPath(url)) || url;
}

/** The package or file a frame belongs to: node_modules package, workspace, node: file, or V8. */
function groupOf(frame: CallFrame, root: string): string {
  if (META.has(frame.functionName)) return frame.functionName;
  if (!frame.url) return "(native: V8 builtins, C++)";
  if (!frame.url.startsWith("file://")) return frame.url; // node:internal/…, node:_http_server
  const path = pathOf(frame.url, root);
  const inModules = path.lastIndexOf("node_modules/");
  if (inModules >= 0) {
    const [first, second] = path.slice(inModules + "node_modules/".length).split("/");
    return first?.startsWith("@") ? `${first}/${second}` : `${first}`;
  }
  const [top, name] = path.split("/");
  if ((top === "apps" || top === "packages") && name) return `${top}/${name}`;
  return path;
}

/** file:line of a frame, TypeScript mapped back to its source line where that works. */
function whereOf(frame: CallFrame, root: string): string {
  if (!frame.url) return "";
  const mapped = frame.url.startsWith("file://")
    ? sourceLine(fileURLToPath(frame.url), frame.lineNumber, frame.columnNumber)
    : undefined;
  return mapped !== undefined
    ? `${pathOf(frame.url, root)}:${mapped}`
    : `${pathOf(frame.url, root)}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
}

/** The profile's summary as text (three tables). */
export function profileTop(profile: CpuProfile, options: TopOptions = {}): string {
  const root = options.root ?? process.cwd();
  const selfCount = options.self ?? 25;
  const groupCount = options.groups ?? 15;
  const ownCount = options.own ?? 15;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Each sample's time: the delta to the next sample (the last one gets the average).
  let from = options.fromUs ?? Number.NEGATIVE_INFINITY;
  let to = options.toUs ?? Number.POSITIVE_INFINITY;
  if (from >= profile.endTime || to <= profile.startTime) {
    process.stderr.write("profile-top: the window misses the profile; using all of it\n");
    from = Number.NEGATIVE_INFINITY;
    to = Number.POSITIVE_INFINITY;
  }
  const selfUs = new Map<number, number>();
  const ownUs = new Map<string, number>();
  const groupUs = new Map<string, number>();
  const groupSelfUs = new Map<string, number>();
  let totalUs = 0;
  let t = profile.startTime;
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    t += deltas[i] ?? 0;
    if (t < from || t > to) continue;
    const next = deltas[i + 1];
    const us = next !== undefined && next >= 0 ? next : 0;
    const id = profile.samples[i] as number;
    totalUs += us;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
    const seen = new Set<string>();
    const seenOwn = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node || node.callFrame.functionName === "(root)") continue;
      const group = groupOf(node.callFrame, root);
      if (group.startsWith("apps/") || group.startsWith("packages/")) {
        const where = whereOf(node.callFrame, root);
        const key = `${node.callFrame.functionName || "(anonymous)"} ${where}`;
        if (!seenOwn.has(key)) {
          seenOwn.add(key);
          ownUs.set(key, (ownUs.get(key) ?? 0) + us);
        }
      }
      if (at === id) groupSelfUs.set(group, (groupSelfUs.get(group) ?? 0) + us);
      if (seen.has(group)) continue;
      seen.add(group);
      groupUs.set(group, (groupUs.get(group) ?? 0) + us);
    }
  }

  // The same function reached through different stacks is one row.
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const where = whereOf(frame, root);
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${where}`;
    const row = byFunction.get(key) ?? { name, where, us: 0 };
    row.us += us;
    byFunction.set(key, row);
  }
  const idleUs = [...byFunction.values()].find((r) => r.name === "(idle)")?.us ?? 0;
  const pct = (us: number) => `${((100 * us) / Math.max(1, totalUs)).toFixed(1)}%`;
  const msOf = (us: number) => `${(us / 1000).toFixed(0)} ms`;

  const lines = [
    `profile: ${msOf(totalUs)} sampled, of which (idle) ${pct(idleUs)}, busy ${msOf(totalUs - idleUs)}`,
    "",
    `top ${selfCount} by self time:`,
    "| self | % | function | where |",
    "|---:|---:|---|---|",
    ...[...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, selfCount)
      .map((r) => `| ${msOf(r.us)} | ${pct(r.us)} | ${r.name} | ${r.where} |`),
    "",
    `top ${groupCount} packages or files by inclusive time (self time beside it):`,
    "| inclusive | % | self | package or file |",
    "|---:|---:|---:|---|",
    ...[...groupUs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, groupCount)
      .map(([g, us]) => `| ${msOf(us)} | ${pct(us)} | ${msOf(groupSelfUs.get(g) ?? 0)} | ${g} |`),
    "",
    `top ${ownCount} of the project's own functions by inclusive time (what they call counted in):`,
    "| inclusive | % | function |",
    "|---:|---:|---|",
    ...[...ownUs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, ownCount)
      .map(([f, us]) => `| ${msOf(us)} | ${pct(us)} | ${f} |`),
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : undefined;
  };
  if (!file) {
    process.stderr.write(
      "usage: tsx bench/profile-top.ts FILE.cpuprofile [--self 25] [--groups 15] [--own 15] [--from-us A --to-us B]\n",
    );
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  process.stdout.write(
    `${profileTop(profile, {
      self: flag("self"),
      groups: flag("groups"),
      fromUs: flag("from-us"),
      toUs: flag("to-us"),
      own: flag("own"),
    })}\n`,
  );
}
