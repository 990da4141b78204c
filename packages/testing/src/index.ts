import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { inject } from "vitest";

export { freePort } from "@nanobanana/local-redis";

/** A key prefix no other test uses, so tests sharing one Redis never see each other's data. */
export const uniquePrefix = (label = "t") => `${label}-${randomBytes(5).toString("hex")}`;

export const testRedisUrl = () => inject("redisUrl");

/** host:port of the Firestore emulator started for this run ("" when unavailable outside CI). */
export const testFirestoreHost = () => inject("firestoreHost");

export { type FirestoreEmulator, startFirestoreEmulator } from "./firestore-emulator.ts";

/** A plain connection to the test Redis; close it in afterAll. */
export function testRedis(options: { forWorker?: boolean } = {}): Redis {
  return new Redis(testRedisUrl(), options.forWorker ? { maxRetriesPerRequest: null } : {});
}

/**
 * Polls until `check` returns a value (not undefined) or the deadline passes. `what` may be a
 * function, read at the deadline, so the error can say what was last seen.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 10_000, intervalMs = 25, what = "condition" as string | (() => string) } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${typeof what === "function" ? what() : what}`,
      );
    await sleep(intervalMs);
  }
}

export { type FakeGcs, startFakeGcs } from "./fake-gcs.ts";
export {
  FAKE_GEMINI_LABEL,
  FAKE_GEMINI_TEXT_USAGE,
  type FakeGemini,
  type FakeGeminiCall,
  SCENARIOS,
  type Scenario,
  startFakeGemini,
} from "./fake-gemini.ts";
export {
  FAKE_OPENAI_MODELS,
  type FakeOpenAI,
  type FakeOpenAICall,
  OPENAI_SCENARIOS,
  type OpenAIScenario,
  startFakeOpenAI,
} from "./fake-openai.ts";
export {
  FAKE_STABILITY_SD3_MODELS,
  type FakeStability,
  type FakeStabilityCall,
  STABILITY_SCENARIOS,
  type StabilityScenario,
  startFakeStability,
} from "./fake-stability.ts";
export {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./webhook-receiver.ts";
