import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeGcs, startFakeGcs } from "@nanobanana/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBlobStoreContract } from "./blob-store.contract.ts";
import { createGcsBlobStore } from "./gcs-blob-store.ts";

let gcs: FakeGcs;
beforeAll(async () => {
  gcs = await startFakeGcs();
});
afterAll(() => gcs.close());

const host = () => new URL(gcs.url).host;
const freshStore = () =>
  createGcsBlobStore({
    bucket: `bucket-${randomBytes(3).toString("hex")}`,
    emulatorHost: host(),
    projectId: "test",
    signedUrlTtlSeconds: 900,
  });

describeBlobStoreContract("gcs (JSON API over HTTP)", freshStore);

describe("GCS adapter specifics", () => {
  it("uploads in one request with its content type and metadata, create-only via ifGenerationMatch=0", async () => {
    const store = freshStore();
    const before = gcs.requests.length;
    await store.put("cache/abc.png", Buffer.from("png"), {
      contentType: "image/png",
      metadata: { model: "m" },
      createOnly: true,
    });
    await store.put("cache/abc.png", Buffer.from("again"), {
      contentType: "image/png",
      createOnly: true,
    });
    const uploads = gcs.requests.slice(before).filter((r) => r.method === "POST");
    expect(uploads.map((r) => r.path)).toEqual([
      expect.stringMatching(/^\/upload\/storage\/v1\/b\/bucket-\w+\/o$/),
      expect.any(String),
    ]);
    const stored = [...gcs.objects.values()].find((o) => o.name === "cache/abc.png");
    expect(stored).toMatchObject({ contentType: "image/png", metadata: { model: "m" } });
    expect(stored?.data.toString()).toBe("png");
  });

  it("cannot sign without credentials, so the API streams instead", async () => {
    expect(await freshStore().signedUrl("images/x.png")).toBeNull();
  });

  it("signs a V4 read URL when it has a service-account key", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyFile = join(mkdtempSync(join(tmpdir(), "nb-sa-")), "key.json");
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: "service_account",
        project_id: "test",
        private_key_id: "k1",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: "signer@test.iam.gserviceaccount.com",
        client_id: "1",
        token_uri: "https://oauth2.googleapis.com/token",
      }),
    );
    const store = createGcsBlobStore({
      bucket: "signed-bucket",
      keyFilename: keyFile,
      projectId: "test",
      signedUrlTtlSeconds: 600,
    });
    const url = new URL((await store.signedUrl("images/x.png")) ?? "http://none");
    expect(url.pathname).toBe("/signed-bucket/images/x.png");
    expect(url.searchParams.get("X-Goog-Algorithm")).toBe("GOOG4-RSA-SHA256");
    expect(url.searchParams.get("X-Goog-Credential")).toMatch(
      /^signer@test\.iam\.gserviceaccount\.com\//,
    );
    expect(url.searchParams.get("X-Goog-Expires")).toBe("600");
    expect(url.searchParams.get("X-Goog-Signature")).toMatch(/^[0-9a-f]{512}$/);
  });
});
