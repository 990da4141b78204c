import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { assertBlobKey, type BlobRead, type BlobStore, type BlobWrite } from "./blob-store.ts";

/** Local-disk adapter: objects under `root`, their content type and metadata in a sidecar file. */
export function createFsBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    assertBlobKey(key);
    return join(root, key);
  };
  const sidecar = (path: string) => `${path}.meta.json`;

  return {
    name: "fs",
    async put(key, bytes, options: BlobWrite) {
      const path = pathOf(key);
      if (options.createOnly && (await this.exists(key))) {
        // Its age now counts from this write, so the clean-up keeps what is still wanted.
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined);
        return;
      }
      await mkdir(dirname(path), { recursive: true });
      // Write then rename: a reader never sees half an image, and a retry just replaces it.
      const tmp = `${path}.${randomUUID()}.tmp`;
      // The two files at once (each is an open, a write and a close in libuv's pool); only the
      // renames keep their order.
      await Promise.all([
        writeFile(
          sidecar(tmp),
          JSON.stringify({ contentType: options.contentType, metadata: options.metadata ?? {} }),
        ),
        writeFile(tmp, bytes),
      ]);
      await rename(sidecar(tmp), sidecar(path));
      await rename(tmp, path);
    },
    async get(key): Promise<BlobRead | null> {
      const path = pathOf(key);
      try {
        const [info, meta] = await Promise.all([stat(path), readFile(sidecar(path), "utf8")]);
        const parsed = JSON.parse(meta) as {
          contentType: string;
          metadata: Record<string, string>;
        };
        return {
          body: createReadStream(path),
          contentType: parsed.contentType,
          size: info.size,
          metadata: parsed.metadata,
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw error;
      }
    },
    async exists(key) {
      try {
        await stat(pathOf(key));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
        throw error;
      }
    },
    async signedUrl() {
      // Local files are served through the API.
      return null;
    },
    async deleteOlderThan(prefix, before) {
      const dir = join(root, prefix);
      let entries: string[];
      try {
        entries = await readdir(dir, { recursive: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
        throw error;
      }
      let deleted = 0;
      for (const entry of entries) {
        if (entry.endsWith(".meta.json") || entry.endsWith(".tmp")) continue;
        const path = join(dir, entry);
        const info = await stat(path).catch(() => null);
        if (!info?.isFile() || info.mtime >= before) continue;
        await rm(path, { force: true });
        await rm(sidecar(path), { force: true });
        deleted++;
      }
      return deleted;
    },
    async delete(key) {
      const path = pathOf(key);
      await rm(path, { force: true });
      await rm(sidecar(path), { force: true });
    },
  };
}
