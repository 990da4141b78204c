import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfig } from "@nanobanana/config";
import { API_NODE_FLAGS } from "@nanobanana/entrypoint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * No Docker engine runs on our machines, so the deployment files are kept correct by this
 * lint: compose's environments go through the real config module, and the Dockerfile keeps
 * the properties the design asks for.
 */
const ROOT = resolve(import.meta.dirname, "../../..");
const read = (path: string) => readFileSync(resolve(ROOT, path), "utf8");

interface Service {
  image?: string;
  build?: { dockerfile: string; target: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
};
// ${NAME:-default} as compose expands it with nothing set in the shell.
const expand = (env: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, "$1")]),
  );

describe("docker-compose.yml", () => {
  it("runs api, worker, redis, the Firestore emulator and fake-gcs-server", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "api",
      "firestore",
      "gcs",
      "redis",
      "worker",
    ]);
    expect(compose.services.api?.build).toEqual({
      context: ".",
      dockerfile: "infra/Dockerfile",
      target: "api",
    });
    expect(compose.services.worker?.build).toMatchObject({
      dockerfile: "infra/Dockerfile",
      target: "worker",
    });
  });

  it.each(["api", "worker"])(
    "gives the %s an environment the config module accepts, on the production adapters",
    (name) => {
      const config = loadConfig(expand(compose.services[name]?.environment));
      expect(config).toMatchObject({
        store: "firestore",
        blobStore: "gcs",
        redisUrl: "redis://redis:6379",
      });
      expect(config.firestore?.emulatorHost).toBe("firestore:8080");
      expect(config.gcs).toMatchObject({ bucket: "nanobanana-images", emulatorHost: "gcs:4443" });
    },
  );

  it("creates the bucket the app uses and keeps Redis from evicting jobs", () => {
    expect(JSON.stringify(compose.services.gcs)).toContain("/data/nanobanana-images");
    expect(JSON.stringify(compose.services.redis)).toContain("noeviction");
    expect(JSON.stringify(compose.services.redis)).toContain("appendonly");
  });
});

describe("infra/Dockerfile", () => {
  const dockerfile = read("infra/Dockerfile");
  it("builds api and worker targets from the bundles, as a non-root user, with production dependencies only", () => {
    expect(dockerfile).toMatch(/^FROM .* AS api$/m);
    expect(dockerfile).toMatch(/^FROM .* AS worker$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/--omit=dev/);
    expect(dockerfile).toMatch(/apps\/api\/dist/);
    expect(dockerfile).toMatch(/apps\/worker\/dist/);
  });

  it("runs the API with API_NODE_FLAGS, as the package.json start scripts do", () => {
    const apiCmd = dockerfile.slice(dockerfile.indexOf("AS api")).match(/^CMD (\[.*\])$/m)?.[1];
    const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> })
      .scripts;
    const flags = API_NODE_FLAGS.join(" ");
    for (const flag of API_NODE_FLAGS) expect(JSON.parse(apiCmd ?? "[]")).toContain(flag);
    expect(scripts.start).toContain(`tsx ${flags} apps/local/src/main.ts`);
    expect(scripts["start:api"]).toContain(`tsx ${flags} apps/api/src/main.ts`);
    for (const app of ["api", "local"]) {
      const own = JSON.parse(read(`apps/${app}/package.json`)) as { scripts: { start: string } };
      expect(own.scripts.start).toBe(`tsx ${flags} src/main.ts`);
    }
  });

  it("ships the LTS Node major that CI tests on, and that package.json's engines allow", () => {
    const lts = read(".ci/run").match(/^LTS_NODE=(\d+)$/m)?.[1];
    expect(lts, ".ci/run sets LTS_NODE").toBeDefined();
    const images = [...dockerfile.matchAll(/^FROM (node:\S+)/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    // A pinned major and Debian release, never `node:latest` or an unpinned `node:lts`.
    for (const image of images) expect(image).toBe(`node:${lts}-trixie-slim`);

    const engines = (JSON.parse(read("package.json")) as { engines: { node: string } }).engines
      .node;
    const allows = (major: number) =>
      engines.split("||").some((range) => {
        const [, op, min] = range.trim().match(/^(\^|>=)(\d+)/) ?? [];
        return op === "^" ? Number(min) === major : op === ">=" && major >= Number(min);
      });
    expect(allows(Number(lts)), `engines "${engines}" allow Node ${lts}`).toBe(true);
    // This machine's Node, which CI's first run uses, is allowed too.
    expect(allows(Number(process.versions.node.split(".")[0]))).toBe(true);
  });
});
