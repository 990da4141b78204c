import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import type { BlobRead, BlobStore } from "./blob-store.ts";

const bodyText = (read: BlobRead | null) => (read ? text(read.body) : Promise.resolve(null));

/** One behaviour suite for every BlobStore adapter. */
export function describeBlobStoreContract(
  name: string,
  makeStore: () => Promise<BlobStore> | BlobStore,
) {
  describe(`BlobStore contract: ${name}`, () => {
    it("returns what was put, with its content type and metadata", async () => {
      const store = await makeStore();
      await store.put("images/a.png", Buffer.from("png-bytes"), {
        contentType: "image/png",
        metadata: { model: "sketch-v1" },
      });
      const read = await store.get("images/a.png");
      expect(read).not.toBeNull();
      expect(read?.contentType).toBe("image/png");
      expect(read?.size).toBe(9);
      expect(read?.metadata).toEqual({ model: "sketch-v1" });
      expect(await bodyText(read)).toBe("png-bytes");
    });

    it("answers null and false for a missing key", async () => {
      const store = await makeStore();
      expect(await store.get("images/missing.png")).toBeNull();
      expect(await store.exists("images/missing.png")).toBe(false);
    });

    it("replaces an object written twice (retried uploads are safe)", async () => {
      const store = await makeStore();
      await store.put("images/b.png", Buffer.from("one"), { contentType: "image/png" });
      await store.put("images/b.png", Buffer.from("two!"), { contentType: "image/webp" });
      const read = await store.get("images/b.png");
      expect(read?.contentType).toBe("image/webp");
      expect(await bodyText(read)).toBe("two!");
    });

    it("leaves an existing object alone on a create-only write", async () => {
      const store = await makeStore();
      await store.put("cache/k.png", Buffer.from("first"), {
        contentType: "image/png",
        createOnly: true,
      });
      await store.put("cache/k.png", Buffer.from("second"), {
        contentType: "image/png",
        createOnly: true,
      });
      expect(await bodyText(await store.get("cache/k.png"))).toBe("first");
    });

    it("deletes, and deleting twice is fine", async () => {
      const store = await makeStore();
      await store.put("images/c.png", Buffer.from("x"), { contentType: "image/png" });
      expect(await store.exists("images/c.png")).toBe(true);
      await store.delete("images/c.png");
      await store.delete("images/c.png");
      expect(await store.exists("images/c.png")).toBe(false);
    });

    it("refuses keys that climb out of the store", async () => {
      const store = await makeStore();
      for (const key of ["../etc/passwd", "images/../../x", "/abs/path", "a//b", ""]) {
        await expect(
          store.put(key, Buffer.from("x"), { contentType: "text/plain" }),
        ).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}
