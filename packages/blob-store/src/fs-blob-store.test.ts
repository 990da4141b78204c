import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeBlobStoreContract } from "./blob-store.contract.ts";
import { createFsBlobStore } from "./fs-blob-store.ts";

describeBlobStoreContract("fs", () => createFsBlobStore(mkdtempSync(join(tmpdir(), "nb-blobs-"))));
