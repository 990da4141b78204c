import { mkdtempSync, readdirSync } from "node:fs";
import { utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeBlobStoreContract } from "./blob-store.contract.ts";
import { createFsBlobStore } from "./fs-blob-store.ts";

describeBlobStoreContract("fs", () => createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-blobs-"))));

describe("fs clean-up of expired cache images", () => {
  it("deletes cache objects last written before the cut-off, with their sidecars, and keeps the rest", async () => {
    const root = mkdtempSync(join(tmpdir(), "nb-blobs-"));
    const blobs = createFsBlobStore(root);
    const png = { contentType: "image/png" };
    await blobs.put("cache/old.png", Buffer.from("old"), png);
    await blobs.put("cache/rewritten.png", Buffer.from("again"), png);
    await blobs.put("cache/fresh.png", Buffer.from("fresh"), png);
    await blobs.put("images/gen_1.png", Buffer.from("own"), png);
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    for (const key of ["cache/old.png", "cache/rewritten.png", "images/gen_1.png"]) {
      await utimes(join(root, key), eightDaysAgo, eightDaysAgo);
    }
    // A create-only write of an existing cache object (an expired entry drawn again) renews it.
    await blobs.put("cache/rewritten.png", Buffer.from("again"), { ...png, createOnly: true });

    const deleted = await blobs.deleteOlderThan("cache/", new Date(Date.now() - 7 * 86_400_000));
    expect(deleted).toBe(1);
    expect(await blobs.exists("cache/old.png")).toBe(false);
    expect(await blobs.exists("cache/rewritten.png")).toBe(true);
    expect(await blobs.exists("cache/fresh.png")).toBe(true);
    expect(await blobs.exists("images/gen_1.png")).toBe(true);
    expect(readdirSync(join(root, "cache")).sort()).toEqual([
      "fresh.png",
      "fresh.png.meta.json",
      "rewritten.png",
      "rewritten.png.meta.json",
    ]);
    expect(await createFsBlobStore(join(root, "none")).deleteOlderThan("cache/", new Date())).toBe(
      0,
    );
  });
});
