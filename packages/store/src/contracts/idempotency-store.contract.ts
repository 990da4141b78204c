import { newId } from "@nanobanana/domain";
import { describe, expect, it } from "vitest";
import type { IdempotencyStore } from "../store.ts";
import type { MakeStore } from "./fixtures.ts";

/** IdempotencyStore's behaviour; `makeStore` gives a fresh, isolated store. */
export function describeIdempotencyStoreContract(
  name: string,
  makeStore: MakeStore<IdempotencyStore>,
) {
  describe(`IdempotencyStore contract: ${name}`, () => {
    it("holds an idempotency key: new, in progress, replay, mismatch, release", async () => {
      const store = await makeStore();
      const key = newId("req");
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({ kind: "new" });
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({
        kind: "in_progress",
      });
      expect(await store.reserveIdempotencyKey("erin", key, "fp2", 60)).toEqual({
        kind: "mismatch",
      });
      await store.completeIdempotencyKey("erin", key, { status: 202, body: { id: "x" } }, 60);
      expect(await store.reserveIdempotencyKey("erin", key, "fp1", 60)).toEqual({
        kind: "replay",
        response: { status: 202, body: { id: "x" } },
      });
      expect(await store.reserveIdempotencyKey("frank", key, "fp2", 60)).toEqual({ kind: "new" });
      await store.releaseIdempotencyKey("frank", key);
      expect(await store.reserveIdempotencyKey("frank", key, "fp3", 60)).toEqual({ kind: "new" });
    });
  });
}
