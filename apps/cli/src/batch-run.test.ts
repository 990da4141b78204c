import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GenerateInput, GenerationRecord, NanoBanana } from "@nanobanana/client";
import { describe, expect, it } from "vitest";
import { batchKey, type ManifestRow, runBatch } from "./batch-run.ts";

/** A stand-in for the SDK: batches that end at once, prompts containing "fail" fail. */
function fakeClient(options: { failing?: (prompt: string) => boolean } = {}) {
  const records = new Map<string, GenerationRecord>();
  const batches = new Map<string, string[]>();
  const creates: Array<{ key: string; prompts: string[] }> = [];
  const byKey = new Map<string, { batchId: string; ids: string[] }>();
  let n = 0;
  const nb = {
    batches: {
      async create(items: GenerateInput[], opts: { idempotencyKey: string }) {
        creates.push({ key: opts.idempotencyKey, prompts: items.map((i) => i.prompt) });
        const known = byKey.get(opts.idempotencyKey);
        if (known)
          return { ...known, statusUrl: "", idempotencyKey: opts.idempotencyKey, replayed: true };
        const batchId = `bat_${++n}`;
        const ids = items.map((item) => {
          const id = `gen_${++n}`;
          const failed = options.failing?.(item.prompt) ?? false;
          records.set(id, {
            id,
            prompt: item.prompt,
            status: failed ? "failed" : "completed",
            cost: { usd: failed ? 0 : 0.01, savedUsd: 0 },
            error: failed ? { code: "SAFETY_BLOCKED", message: "refused", retryable: false } : null,
          } as GenerationRecord);
          return id;
        });
        batches.set(batchId, ids);
        byKey.set(opts.idempotencyKey, { batchId, ids });
        return {
          batchId,
          ids,
          statusUrl: "",
          idempotencyKey: opts.idempotencyKey,
          replayed: false,
        };
      },
      async *items(batchId: string) {
        for (const id of batches.get(batchId) ?? []) yield records.get(id) as GenerationRecord;
      },
      async *events() {},
    },
    generations: {
      async image() {
        return { bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), mimeType: "image/png" };
      },
      async get(id: string) {
        return records.get(id) as GenerationRecord;
      },
    },
  };
  return { nb: nb as unknown as NanoBanana, creates, records };
}

const rowsOf = (...prompts: string[]) =>
  prompts.map((prompt, i) => ({ row: i + 1, input: { prompt } }));

describe("runBatch", () => {
  const run = (nb: NanoBanana, outDir: string, prompts: string[]) =>
    runBatch({
      nb,
      source: "/data/prompts.txt",
      outDir,
      rows: rowsOf(...prompts),
      chunkSize: 2,
      downloads: 2,
      signal: new AbortController().signal,
      pollIntervalMs: 5,
    });

  it("saves every image by row, records failures, and on a re-run sends only the failed rows anew", async () => {
    const out = mkdtempSync(join(tmpdir(), "nb-batch-run-"));
    let failing = true;
    const fake = fakeClient({ failing: (p) => failing && p.includes("fail") });
    const prompts = ["red sneaker", "please fail", "blue mug"];
    const first = await run(fake.nb, out, prompts);
    expect(first).toMatchObject({ total: 3, completed: 2, failed: 1, costUsd: 0.02, resumed: 0 });
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith(".png"))
        .sort(),
    ).toEqual(["0001-red-sneaker.png", "0003-blue-mug.png"]);
    const failed = first.rows.find((r) => r.row === 2) as ManifestRow;
    expect(failed).toMatchObject({ status: "failed", error: { code: "SAFETY_BLOCKED" } });
    // Two chunks of at most 2 rows, each with a key derived from the file and its rows.
    expect(fake.creates.map((c) => c.prompts)).toEqual([
      ["red sneaker", "please fail"],
      ["blue mug"],
    ]);

    failing = false;
    const second = await run(fake.nb, out, prompts);
    expect(second).toMatchObject({ total: 3, completed: 3, failed: 0, resumed: 2, costUsd: 0.03 });
    expect(fake.creates).toHaveLength(3);
    expect(fake.creates[2]?.prompts).toEqual(["please fail"]);
    expect(fake.creates[2]?.key).not.toBe(fake.creates[0]?.key);
    expect(second.rows.find((r) => r.row === 2)?.attempt).toBe(1);
    expect(existsSync(join(out, "0002-please-fail.png"))).toBe(true);
  });

  it("derives the same key from the same file and rows, and another for other rows or attempts", () => {
    const row = (r: number, attempt = 0) =>
      ({ row: r, inputHash: `h${r}`, attempt }) as unknown as ManifestRow;
    expect(batchKey("/a/prompts.txt", [row(1), row(2)])).toBe(
      batchKey("/b/prompts.txt", [row(1), row(2)]),
    );
    expect(batchKey("/a/prompts.txt", [row(1), row(2)])).not.toBe(
      batchKey("/a/prompts.txt", [row(1)]),
    );
    expect(batchKey("/a/prompts.txt", [row(1)])).not.toBe(batchKey("/a/prompts.txt", [row(1, 1)]));
    expect(batchKey("/a/prompts.txt", [row(1)])).not.toBe(batchKey("/a/other.txt", [row(1)]));
    expect(batchKey("/a/prompts.txt", [row(1)])).toMatch(/^nbcli-[0-9a-f]{48}$/);
  });

  it("a changed row is drawn anew; an unchanged one is kept; a killed run's temporary files go", async () => {
    const out = mkdtempSync(join(tmpdir(), "nb-batch-edit-"));
    const fake = fakeClient();
    await run(fake.nb, out, ["red sneaker", "blue mug"]);
    writeFileSync(join(out, "0002-x.png.1234.tmp"), "half");
    const edited = await run(fake.nb, out, ["red sneaker", "green mug"]);
    expect(edited).toMatchObject({ completed: 2, resumed: 1 });
    expect(fake.creates.at(-1)?.prompts).toEqual(["green mug"]);
    expect(readdirSync(out).some((f) => f.endsWith(".tmp"))).toBe(false);
    expect(existsSync(join(out, "0002-green-mug.png"))).toBe(true);
  });
});
