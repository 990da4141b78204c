import { AppError } from "@nanobanana/errors";
import { describe, expect, it } from "vitest";
import { callWithRetries, ModelUnavailable, type RetryContext, TransientError } from "./retry.ts";

const context = (overrides: Partial<RetryContext> = {}): RetryContext => ({
  maker: "Maker",
  model: "model-1",
  policy: { maxRetries: 2, retryBaseMs: 1 },
  maxCalls: Number.POSITIVE_INFINITY,
  ...overrides,
});

/** A call that fails with each of `failures` in turn, then answers "drawn". */
function scripted(...failures: Error[]) {
  const models: string[] = [];
  return {
    call: async (model: string) => {
      models.push(model);
      const failure = failures[models.length - 1];
      if (failure) throw failure;
      return "drawn";
    },
    made: () => models.length,
    /** The model of each call, in order. */
    models: () => models,
  };
}

const busy = (count: number) =>
  Array.from({ length: count }, () => new TransientError("503 busy", 1));

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

describe("callWithRetries over fallback models", () => {
  const chain = (overrides: Partial<RetryContext> = {}) =>
    context({ fallbackModels: ["model-2"], ...overrides });

  it("moves to the next model once the retries of one are spent", async () => {
    const maker = scripted(...busy(3));
    expect(await callWithRetries(maker.call, chain())).toEqual({ value: "drawn", calls: 4 });
    expect(maker.models()).toEqual(["model-1", "model-1", "model-1", "model-2"]);
  });

  it("gives up retryably after the retries of every model, saying the fallback was included", async () => {
    const maker = scripted(...busy(10));
    const error = await failure(callWithRetries(maker.call, chain()));
    expect(error).toMatchObject({ retryable: true, details: { calls: 6, model: "model-2" } });
    expect(error.message).toBe("503 busy (gave up after 6 calls, fallback to model-2 included)");
  });

  it("caps the calls over the whole chain with maxCalls, and that failure is final", async () => {
    const maker = scripted(...busy(10));
    const error = await failure(callWithRetries(maker.call, chain({ maxCalls: 4 })));
    expect(error).toMatchObject({ retryable: false, details: { calls: 4 } });
    expect(error.message).toBe(
      "503 busy (gave up after 4 calls, fallback to model-2 included, all the provider calls it was allowed)",
    );
    expect(maker.models()).toEqual(["model-1", "model-1", "model-1", "model-2"]);
  });

  it("hands a model that is gone, or asks for a wait past 30 s, to the next at once", async () => {
    const gone = scripted(new ModelUnavailable("model-1 is gone"));
    expect(await callWithRetries(gone.call, chain())).toEqual({ value: "drawn", calls: 2 });
    const limited = scripted(new TransientError("429", 60_000));
    expect(await callWithRetries(limited.call, chain())).toEqual({ value: "drawn", calls: 2 });
    expect(limited.models()).toEqual(["model-1", "model-2"]);
  });

  it("fails at once, not retryably, when the last model is gone", async () => {
    const maker = scripted(...busy(3), new ModelUnavailable("model-2 is gone"));
    const error = await failure(callWithRetries(maker.call, chain()));
    expect(error).toMatchObject({ retryable: false, details: { calls: 4, model: "model-2" } });
    expect(error.message).toBe("model-2 is gone");
  });
});
