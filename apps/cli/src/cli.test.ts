import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";

const cwd = mkdtempSync(join(tmpdir(), "nb-cli-unit-"));

async function cli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; answers?: Response[] } = {},
) {
  let stdout = "";
  let stderr = "";
  const requests: Array<{ url: string; headers: Headers }> = [];
  const answers = [...(options.answers ?? [])];
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: options.env ?? { NANOBANANA_API_KEY: "nb_test", NANOBANANA_URL: "http://api.test" },
    cwd,
    fetch: async (url, init) => {
      requests.push({ url, headers: new Headers(init?.headers) });
      const next = answers.shift();
      if (!next) throw new Error(`unexpected request ${url}`);
      return next;
    },
  });
  return { code, stdout, stderr, requests };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "x-request-id": "req-1" },
  });

describe("exit codes", () => {
  it("0 for help and version", async () => {
    expect((await cli(["--help"])).code).toBe(0);
    const version = await cli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("2 for usage mistakes, before any request", async () => {
    const mistakes = [
      ["bogus"],
      ["generate"],
      ["generate", "x", "--quality", "ultra"],
      ["generate", "x", "--aspect", "5:7"],
      ["batch", "prompts.txt"],
      ["batch", "missing.txt", "--out", "o"],
      ["status", "not-an-id"],
      ["history", "--limit", "0"],
      ["cost", "--date", "yesterday"],
    ];
    for (const argv of mistakes) {
      const run = await cli(argv);
      expect({ argv, code: run.code }).toEqual({ argv, code: 2 });
      expect(run.requests).toEqual([]);
      expect(run.stderr).not.toBe("");
    }
  });

  it("2 when there is no key, saying where to put one", async () => {
    const run = await cli(["models"], { env: { DATA_DIR: join(cwd, "no-such-dir") } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/NANOBANANA_API_KEY/);
  });

  it("2 for a batch file with bad rows, naming them", async () => {
    writeFileSync(join(cwd, "bad.jsonl"), '{"prompt":"ok"}\n{"prompt":"x","quality":"ultra"}\n');
    const run = await cli(["batch", "bad.jsonl", "--out", "out"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/row 2: quality "ultra"/);
  });

  it("1 for an API error, with its code, status and request id", async () => {
    const run = await cli(["status", "gen_01m8ama7aet3emeqxhz5amed1z"], {
      answers: [json(404, { error: { code: "NOT_FOUND", message: "no generation gen_x" } })],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NOT_FOUND: no generation gen_x \(HTTP 404, request req-1\)/);
  });

  it("1 for a refused key, saying where the key came from", async () => {
    const run = await cli(["models"], {
      answers: [json(401, { error: { code: "UNAUTHORIZED", message: "unknown API key" } })],
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the key came from NANOBANANA_API_KEY/);
  });
});

describe("--json", () => {
  it("prints the API's answer as one JSON document on stdout", async () => {
    const models = {
      provider: "sketch",
      defaultModel: "sketch-v1",
      fallbackModel: null,
      routes: [],
      items: [],
    };
    const run = await cli(["--json", "models"], { answers: [json(200, models)] });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(models);
    expect(run.requests[0]?.url).toBe("http://api.test/models");
    expect(run.requests[0]?.headers.get("authorization")).toBe("Bearer nb_test");
  });

  it("works after the command too, and for errors", async () => {
    const run = await cli(["history", "--json", "-n", "1"], {
      answers: [json(200, { items: [{ id: "gen_1", status: "completed" }], nextCursor: "c" })],
    });
    expect(JSON.parse(run.stdout)).toEqual({ items: [{ id: "gen_1", status: "completed" }] });
    const failed = await cli(["--json", "cost"], {
      answers: [json(400, { error: { code: "INVALID_REQUEST", message: "bad date" } })],
    });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({
      error: { code: "INVALID_REQUEST", status: 400 },
    });
  });
});
