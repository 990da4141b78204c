import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFsBlobStore } from "@nanobanana/blob-store";
import { newId, UPLOAD_ID } from "@nanobanana/domain";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { loadReferences, REFERENCE_LIMITS, saveUpload, uploadKeyFor } from "./index.ts";

const blobsIn = () => createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-references-")));
const noFetch = { allowPrivate: false };
const image = (format: "png" | "jpeg" | "webp" | "gif", width = 8, height = 6) =>
  sharp({ create: { width, height, channels: 3, background: "#c0392b" } })
    .toFormat(format)
    .toBuffer();
const sha256 = (bytes: Buffer) =>
  import("node:crypto").then(({ createHash }) => createHash("sha256").update(bytes).digest("hex"));

describe("uploadKeyFor", () => {
  it("puts each user's uploads under their own prefix", () => {
    const id = newId("upl");
    expect(uploadKeyFor("alice", id)).toBe(`uploads/alice/${id}`);
  });

  it("writes a user id that is not a plain key segment as a hash no user id can equal", () => {
    const key = uploadKeyFor("_ops", newId("upl"));
    expect(key).toMatch(/^uploads\/h[0-9a-f]{64}\/upl_/);
  });

  it("refuses what is not an upload id", () => {
    expect(() => uploadKeyFor("alice", "../etc/passwd")).toThrow(/not an upload id/);
  });
});

describe("saveUpload → loadReferences", () => {
  it.each(["png", "jpeg", "webp"] as const)(
    "keeps a %s upload and loads the same bytes back for its owner",
    async (format) => {
      const blobs = blobsIn();
      const bytes = await image(format, 12, 7);
      const info = await saveUpload({ blobs }, { userId: "alice", bytes });
      expect(info).toEqual({
        id: expect.stringMatching(UPLOAD_ID),
        sha256: await sha256(bytes),
        mimeType: `image/${format}`,
        width: 12,
        height: 7,
        bytes: bytes.length,
        createdAt: expect.any(String),
      });
      const stored = await blobs.get(uploadKeyFor("alice", info.id));
      stored?.body.destroy();
      expect(stored).toMatchObject({
        contentType: `image/${format}`,
        metadata: { sha256: info.sha256, width: "12", height: "7", userId: "alice" },
      });
      const [loaded] = await loadReferences({ blobs, fetchOptions: noFetch }, "alice", [info.id]);
      expect(loaded).toEqual({
        source: info.id,
        bytes,
        mimeType: `image/${format}`,
        sha256: info.sha256,
        width: 12,
        height: 7,
      });
    },
  );

  it("stores the type the bytes are, not the one declared: a PNG sent as JPEG is a PNG", async () => {
    const blobs = blobsIn();
    const info = await saveUpload(
      { blobs },
      { userId: "alice", bytes: await image("png"), declaredType: "image/jpeg" },
    );
    expect(info.mimeType).toBe("image/png");
    const stored = await blobs.get(uploadKeyFor("alice", info.id));
    stored?.body.destroy();
    expect(stored?.contentType).toBe("image/png");
  });

  it("refuses a text file, naming the allowed types", async () => {
    const error = await saveUpload(
      { blobs: blobsIn() },
      { userId: "alice", bytes: Buffer.from("hello, not a picture\n"), declaredType: "image/png" },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "INVALID_REQUEST", retryable: false });
    expect((error as Error).message).toMatch(/sent as image\/png\) is not an image/);
    expect((error as Error).message).toContain(REFERENCE_LIMITS.mimeTypes.join(", "));
  });

  it("refuses an image of a type models do not take, naming what it found", async () => {
    await expect(
      saveUpload({ blobs: blobsIn() }, { userId: "alice", bytes: await image("gif") }),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/is a gif image; send one of image\/png, image\/jpeg/),
    });
  });

  it("refuses an empty upload", async () => {
    await expect(
      saveUpload({ blobs: blobsIn() }, { userId: "alice", bytes: Buffer.alloc(0) }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST", message: "the upload is empty" });
  });

  it("refuses more than 7 MiB before looking at it, saying the limit", async () => {
    const bytes = Buffer.alloc(REFERENCE_LIMITS.maxBytes + 1);
    (await image("png")).copy(bytes);
    const error = await saveUpload({ blobs: blobsIn() }, { userId: "alice", bytes }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413, retryable: false });
    expect((error as Error).message).toMatch(/at most 7 MiB \(7340032 bytes\)/);
  });

  it("takes exactly 7 MiB", async () => {
    const png = await image("png");
    // Trailing bytes after IEND: still a PNG, exactly at the cap.
    const bytes = Buffer.concat([png, Buffer.alloc(REFERENCE_LIMITS.maxBytes - png.length)]);
    const info = await saveUpload({ blobs: blobsIn() }, { userId: "alice", bytes });
    expect(info.bytes).toBe(REFERENCE_LIMITS.maxBytes);
  });

  it("never lets another user read an upload: bob gets not found for alice's id", async () => {
    const blobs = blobsIn();
    const info = await saveUpload({ blobs }, { userId: "alice", bytes: await image("png") });
    const error = await loadReferences({ blobs, fetchOptions: noFetch }, "bob", [info.id]).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "NOT_FOUND", retryable: false });
    expect((error as Error).message).toMatch(`images[0]: upload ${info.id} not found`);
  });

  it("refuses an object under the user's key whose recorded owner is someone else", async () => {
    const blobs = blobsIn();
    const id = newId("upl");
    await blobs.put(uploadKeyFor("bob", id), await image("png"), {
      contentType: "image/png",
      metadata: { userId: "alice" },
    });
    await expect(
      loadReferences({ blobs, fetchOptions: noFetch }, "bob", [id]),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("loads in request order and names the failing image's place", async () => {
    const blobs = blobsIn();
    const ids: string[] = [];
    for (const width of [3, 5, 7, 9, 11, 13]) {
      ids.push(
        (await saveUpload({ blobs }, { userId: "alice", bytes: await image("png", width) })).id,
      );
    }
    const loaded = await loadReferences({ blobs, fetchOptions: noFetch }, "alice", ids);
    expect(loaded.map((r) => [r.source, r.width])).toEqual(
      ids.map((id, i) => [id, [3, 5, 7, 9, 11, 13][i]]),
    );
    const missing = newId("upl");
    await expect(
      loadReferences({ blobs, fetchOptions: noFetch }, "alice", [...ids.slice(0, 2), missing]),
    ).rejects.toThrow(`images[2]: upload ${missing} not found`);
    expect(await loadReferences({ blobs, fetchOptions: noFetch }, "alice", [])).toEqual([]);
  });
});
