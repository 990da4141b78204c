import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, resolveConnection } from "./connection.ts";

const keyFile = (dir: string, key: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "local-api-key.json"), JSON.stringify({ key, userId: "local" }));
};

describe("resolveConnection", () => {
  const cwd = mkdtempSync(join(tmpdir(), "nb-cli-conn-"));

  it("takes flags first, then NANOBANANA_URL / NANOBANANA_API_KEY", () => {
    const env = { NANOBANANA_URL: "http://api:9000", NANOBANANA_API_KEY: "from-env" };
    expect(resolveConnection({}, env, cwd, null)).toEqual({
      baseUrl: "http://api:9000",
      apiKey: "from-env",
      keySource: "NANOBANANA_API_KEY",
    });
    expect(
      resolveConnection({ url: "https://x.example", apiKey: "flag" }, env, cwd, null),
    ).toMatchObject({ baseUrl: "https://x.example", apiKey: "flag" });
  });

  it("finds npm start's key in ./.data, in $DATA_DIR, or in the repository's .data", () => {
    const here = mkdtempSync(join(tmpdir(), "nb-cli-here-"));
    keyFile(join(here, ".data"), "nb_here");
    expect(resolveConnection({}, {}, here, null)).toMatchObject({
      baseUrl: "http://localhost:8080",
      apiKey: "nb_here",
      keySource: join(here, ".data", "local-api-key.json"),
    });
    keyFile(join(here, "elsewhere"), "nb_data_dir");
    expect(resolveConnection({}, { DATA_DIR: "elsewhere" }, here, null).apiKey).toBe("nb_data_dir");
    const repo = mkdtempSync(join(tmpdir(), "nb-cli-repo-"));
    keyFile(join(repo, ".data"), "nb_repo");
    expect(resolveConnection({}, {}, cwd, repo).apiKey).toBe("nb_repo");
  });

  it("says where it looked when there is no key, and refuses a URL that is not http(s)", () => {
    expect(() => resolveConnection({}, {}, cwd, null)).toThrow(
      /no API key: set NANOBANANA_API_KEY.*local-api-key\.json/,
    );
    expect(() =>
      resolveConnection({ url: "localhost:8080" }, { NANOBANANA_API_KEY: "k" }, cwd),
    ).toThrow(/must be http\(s\)/);
  });

  it("knows the repository it runs from", () => {
    expect(repoRoot()).toBe(join(import.meta.dirname, "../../.."));
  });
});
