import { AppError } from "@nanobanana/errors";
import { describe, expect, it } from "vitest";
import { callWithRetries, type RetryContext, TransientError } from "./retry.ts";

const context = (overrides: Partial<RetryContext> = {}): RetryContext => ({
  maker: "Maker",
  model: "model-1",
  policy: { maxRetries: 2, retryBaseMs: 1 },
  maxCalls: Number.POSITIVE_INFINITY,
  ...overrides,
});

/** A call that fails with each of `failures` in turn, then answers "drawn". */
function scripted(...failures: Error[]) {
  let made = 0;
  return {
    call: async () => {
      const failure = failures[made++];
      if (failure) throw failure;
      return "drawn";
    },
    made: () => made,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("callWithRetries", () => {
  it("retries transient failures and says how many calls the answer took", async () => {
    const maker = scripted(new TransientError("503", undefined), new TransientError("500", 5));
    expect(await callWithRetries(maker.call, context())).toEqual({ value: "drawn", calls: 3 });
  });

  it("gives up retryably after maxRetries, quoting the last failure", async () => {
    const maker = scripted(...Array.from({ length: 5 }, () => new TransientError("503 busy", 1)));
    const error = await failure(callWithRetries(maker.call, context()));
    expect(error).toMatchObject({ code: "PROVIDER_ERROR", retryable: true, details: { calls: 3 } });
    expect(error.message).toBe("503 busy (gave up after 3 calls)");
  });

  it("does not wait out a Retry-After past 30 s: one call, then a retryable failure", async () => {
    const maker = scripted(new TransientError("429", 60_000));
    const error = await failure(callWithRetries(maker.call, context()));
    expect(error).toMatchObject({ retryable: true, details: { calls: 1, retryAfterMs: 60_000 } });
    expect(maker.made()).toBe(1);
  });

  it("ends at once on an AppError, adding the calls and the model to its details", async () => {
    const refusal = new AppError("SAFETY_BLOCKED", "refused", { details: { refusedImage: true } });
    const maker = scripted(new TransientError("500", 1), refusal);
    const error = await failure(callWithRetries(maker.call, context()));
    expect(error).toMatchObject({
      code: "SAFETY_BLOCKED",
      retryable: false,
      details: { refusedImage: true, calls: 2, model: "model-1" },
    });
  });

  it("makes no call with maxCalls 0, and a failure that spent the budget is final", async () => {
    const none = scripted();
    const zero = await failure(callWithRetries(none.call, context({ maxCalls: 0 })));
    expect(zero).toMatchObject({ retryable: false, details: { calls: 0 } });
    expect(none.made()).toBe(0);
    const maker = scripted(new TransientError("500", 1), new TransientError("500", 1));
    const spent = await failure(callWithRetries(maker.call, context({ maxCalls: 2 })));
    expect(spent).toMatchObject({ retryable: false, details: { calls: 2 } });
    expect(spent.message).toMatch(/all the provider calls it was allowed/);
  });

  it("stops waiting between calls when the signal is aborted", async () => {
    const maker = scripted(new TransientError("429", 20_000));
    const controller = new AbortController();
    const pending = callWithRetries(maker.call, context({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await expect(pending).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(maker.made()).toBe(1);
  });
});
