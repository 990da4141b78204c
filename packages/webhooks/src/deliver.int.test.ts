import { randomUUID } from "node:crypto";
import type { WebhookDelivery } from "@nanobanana/domain";
import { createRedisStore, type Store } from "@nanobanana/store";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  testRedisUrl,
  uniquePrefix,
  type WebhookReceiver,
} from "@nanobanana/testing";
import { Redis } from "ioredis";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { attemptDelivery, type DeliveryDeps } from "./deliver.ts";
import { newWebhookSecret } from "./signing.ts";
import type { Resolver } from "./ssrf.ts";

/** A real receiver on 127.0.0.1 that answers 204 and keeps what it was sent. */
type Received = ReceivedWebhook;

let redis: Redis;
let receiver: WebhookReceiver;
let port: number;
let received: Received[];

beforeAll(async () => {
  redis = new Redis(testRedisUrl());
  receiver = await startWebhookReceiver();
  port = receiver.port;
  received = receiver.got;
});

afterAll(async () => {
  await receiver.close();
  await redis.quit();
});

let store: Store;
beforeEach(() => {
  store = createRedisStore(redis, uniquePrefix("webhooks"));
  received.splice(0);
});

async function pendingDelivery(
  overrides: Partial<WebhookDelivery> & Pick<WebhookDelivery, "url">,
): Promise<WebhookDelivery> {
  const now = new Date().toISOString();
  const id = `msg_${randomUUID()}`;
  const delivery: WebhookDelivery = {
    id,
    userId: "alice",
    event: "generation.completed",
    subjectId: `gen_${randomUUID()}`,
    body: JSON.stringify({ type: "generation.completed", timestamp: now, data: { id } }),
    status: "pending",
    attempts: [],
    nextAttemptAt: null,
    createdAt: now,
    updatedAt: now,
    deliveredAt: null,
    ...overrides,
  };
  expect(await store.createDelivery(delivery)).toBe(true);
  return delivery;
}

const deps = (overrides: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
  store,
  allowPrivate: true,
  timeoutMs: 2_000,
  schedule: [10, 10, 10],
  ...overrides,
});

const resolvesTo =
  (address: string): Resolver =>
  async () => [{ address, family: 4 }];

const dnsError = (code: string, hostname: string) =>
  Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, hostname });

describe("attemptDelivery: DNS failures and refusals", () => {
  it("retries after a transient DNS failure (EAI_AGAIN), then delivers", async () => {
    let lookups = 0;
    const flaky: Resolver = async (hostname) => {
      lookups += 1;
      if (lookups === 1) throw dnsError("EAI_AGAIN", hostname);
      return [{ address: "127.0.0.1", family: 4 }];
    };
    const delivery = await pendingDelivery({ url: `http://receiver.test:${port}/hook` });

    const first = await attemptDelivery(deps({ resolve: flaky }), delivery.id);
    expect(first).toMatchObject({ kind: "retry", attempt: 1 });
    expect(received).toHaveLength(0);
    const stored = await store.getDelivery(delivery.id);
    expect(stored).toMatchObject({ status: "pending", attempts: [{ statusCode: null }] });
    expect(stored?.attempts[0]?.error).toMatch(/could not resolve receiver\.test \(EAI_AGAIN\)/);
    expect(stored?.nextAttemptAt).not.toBeNull();

    const second = await attemptDelivery(deps({ resolve: flaky }), delivery.id);
    expect(second.kind).toBe("delivered");
    expect(received).toHaveLength(1);
    expect(received[0]?.body).toBe(delivery.body);
    expect(await store.getDelivery(delivery.id)).toMatchObject({
      status: "delivered",
      attempts: [{ statusCode: null }, { statusCode: 204, error: null }],
    });
  });

  it.each(["ENOTFOUND", "ETIMEOUT", "ESERVFAIL"])(
    "follows the schedule when the resolver fails with %s, and is dead only when it is spent",
    async (code) => {
      const failing: Resolver = async (hostname) => {
        throw dnsError(code, hostname);
      };
      const delivery = await pendingDelivery({ url: "https://receiver.test/hook" });
      const settings = deps({ resolve: failing, allowPrivate: false, schedule: [10, 10] });
      expect((await attemptDelivery(settings, delivery.id)).kind).toBe("retry");
      expect((await attemptDelivery(settings, delivery.id)).kind).toBe("retry");
      const last = await attemptDelivery(settings, delivery.id);
      expect(last.kind).toBe("dead");
      expect(last.delivery?.attempts).toHaveLength(3);
    },
  );

  it("is dead after one attempt when the name resolves to a private address", async () => {
    const delivery = await pendingDelivery({ url: "http://receiver.test/hook" });
    const outcome = await attemptDelivery(
      deps({ resolve: resolvesTo("10.0.0.1"), allowPrivate: false }),
      delivery.id,
    );
    expect(outcome.kind).toBe("dead");
    const stored = await store.getDelivery(delivery.id);
    expect(stored?.status).toBe("dead");
    expect(stored?.attempts).toHaveLength(1);
    expect(stored?.attempts[0]?.error).toMatch(
      /webhook url refused: receiver\.test → 10\.0\.0\.1 is a private address/,
    );
    expect(received).toHaveLength(0);
  });

  it("is dead after one attempt when the URL names a port that is not allowed", async () => {
    const delivery = await pendingDelivery({ url: "http://receiver.test:6379/hook" });
    const outcome = await attemptDelivery(
      deps({ resolve: resolvesTo("93.184.215.14"), allowPrivate: false }),
      delivery.id,
    );
    expect(outcome.kind).toBe("dead");
    expect(outcome.delivery?.attempts[0]?.error).toMatch(/port 6379 is not allowed.*WEBHOOK_PORTS/);
  });

  it("records no attempt when the store fails while reading the secret; the job retries", async () => {
    const delivery = await pendingDelivery({ url: `http://127.0.0.1:${port}/hook` });
    // The first read of the user's secret (whichever method reads it) fails as Redis would.
    let failures = 1;
    const blip = () => failures-- > 0;
    const flakyStore: Store = {
      ...store,
      getOrCreateWebhookSecret: (userId, make) =>
        blip()
          ? Promise.reject(new Error("Connection is closed."))
          : store.getOrCreateWebhookSecret(userId, make),
      webhookSigningSecrets: (userId, make) =>
        blip()
          ? Promise.reject(new Error("Connection is closed."))
          : store.webhookSigningSecrets(userId, make),
    };
    await expect(attemptDelivery(deps({ store: flakyStore }), delivery.id)).rejects.toThrow(
      "Connection is closed.",
    );
    expect(await store.getDelivery(delivery.id)).toMatchObject({ status: "pending", attempts: [] });

    expect((await attemptDelivery(deps({ store: flakyStore }), delivery.id)).kind).toBe(
      "delivered",
    );
    expect(received).toHaveLength(1);
  });
});

describe("attemptDelivery: secret rotation", () => {
  const verifies = (secret: string, { body, headers }: Received) => {
    try {
      new Webhook(secret).verify(body, headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  };

  const signatures = ({ headers }: Received) => String(headers["webhook-signature"]).split(" ");

  it("signs with the old and the new secret during the overlap, then with the new one only", async () => {
    const oldSecret = await store.getOrCreateWebhookSecret("alice", newWebhookSecret);
    const newSecret = newWebhookSecret();
    await store.rotateWebhookSecret(
      "alice",
      newSecret,
      new Date(Date.now() + 3_600_000).toISOString(),
    );

    const during = await pendingDelivery({ url: `http://127.0.0.1:${port}/hook` });
    expect((await attemptDelivery(deps(), during.id)).kind).toBe("delivered");
    const [duringOverlap] = received;
    if (!duringOverlap) throw new Error("nothing received");
    expect(duringOverlap.headers["webhook-id"]).toBe(during.id);
    expect(signatures(duringOverlap)).toHaveLength(2);
    // A receiver not yet switched and one already switched both accept the same delivery.
    expect(verifies(oldSecret, duringOverlap)).toBe(true);
    expect(verifies(newSecret, duringOverlap)).toBe(true);
    expect(verifies(newWebhookSecret(), duringOverlap)).toBe(false);

    // Another rotation whose overlap has already ended: only the newest secret signs.
    const newest = newWebhookSecret();
    await store.rotateWebhookSecret("alice", newest, new Date(Date.now() - 1_000).toISOString());
    const after = await pendingDelivery({ url: `http://127.0.0.1:${port}/hook` });
    expect((await attemptDelivery(deps(), after.id)).kind).toBe("delivered");
    const afterOverlap = received[1];
    if (!afterOverlap) throw new Error("nothing received");
    expect(signatures(afterOverlap)).toHaveLength(1);
    expect(verifies(newest, afterOverlap)).toBe(true);
    expect(verifies(newSecret, afterOverlap)).toBe(false);
    expect(verifies(oldSecret, afterOverlap)).toBe(false);
  });

  it("signs with the one secret when there was no rotation", async () => {
    const secret = await store.getOrCreateWebhookSecret("alice", newWebhookSecret);
    const delivery = await pendingDelivery({ url: `http://127.0.0.1:${port}/hook` });
    expect((await attemptDelivery(deps(), delivery.id)).kind).toBe("delivered");
    const [only] = received;
    if (!only) throw new Error("nothing received");
    expect(signatures(only)).toHaveLength(1);
    expect(verifies(secret, only)).toBe(true);
  });
});
