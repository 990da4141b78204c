import { describe, expect, it } from "vitest";
import type { ApiKeyStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

/** ApiKeyStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeApiKeyStoreContract(name: string, makeStore: MakeStore<ApiKeyStore>) {
  describe(`ApiKeyStore contract: ${name}`, () => {
    it("keeps API keys by hash and revokes them by id", async () => {
      const store = await makeStore();
      const key = (n: number) => ({
        keyId: `k${n}00000000000`.slice(0, 12),
        hash: `${n}`.repeat(64).slice(0, 64),
        userId: "pat",
        admin: n === 2,
        createdAt: new Date(Date.UTC(2026, 0, 1) + n).toISOString(),
        revokedAt: null,
      });
      await store.putApiKey(key(1));
      await store.putApiKey(key(2));
      expect(await store.findApiKey(key(1).hash)).toEqual(key(1));
      expect(await store.findApiKey("f".repeat(64))).toBeNull();
      expect((await store.listApiKeys()).map((k) => k.keyId)).toEqual([key(1).keyId, key(2).keyId]);
      expect(await store.revokeApiKey(key(1).keyId, "2026-01-01T00:00:00.000Z")).toBe(true);
      expect((await store.findApiKey(key(1).hash))?.revokedAt).toBe("2026-01-01T00:00:00.000Z");
      expect(await store.revokeApiKey("nope", "2026-01-01T00:00:00.000Z")).toBe(false);
    });
  });
}
