import { describe, expect, it } from "vitest";
import type { Store } from "../store.ts";
import { describeApiKeyStoreContract } from "./api-key-store.contract.ts";
import { describeCacheStoreContract } from "./cache-store.contract.ts";
import { describeEconomyStoreContract } from "./economy-store.contract.ts";
import type { MakeStore } from "./fixtures.ts";
import { describeGenerationStoreContract } from "./generation-store.contract.ts";
import { describeIdempotencyStoreContract } from "./idempotency-store.contract.ts";
import { describeLabelAnswerStoreContract } from "./label-answer-store.contract.ts";
import { describePreferenceStoreContract } from "./preference-store.contract.ts";
import { describeTemplateStoreContract } from "./template-store.contract.ts";
import { describeWebhookStoreContract } from "./webhook-store.contract.ts";

/** One behaviour suite for every Store adapter: each port's suite, then the Store's own. */
export function describeStoreContract(name: string, makeStore: MakeStore<Store>) {
  describeGenerationStoreContract(name, makeStore);
  describeIdempotencyStoreContract(name, makeStore);
  describeApiKeyStoreContract(name, makeStore);
  describePreferenceStoreContract(name, makeStore);
  describeTemplateStoreContract(name, makeStore);
  describeWebhookStoreContract(name, makeStore);
  describeCacheStoreContract(name, makeStore);
  describeEconomyStoreContract(name, makeStore);
  describeLabelAnswerStoreContract(name, makeStore);

  describe(`Store contract: ${name}`, () => {
    it("answers ping", async () => {
      const store = await makeStore();
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
