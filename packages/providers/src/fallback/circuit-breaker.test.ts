import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker } from "./circuit-breaker.ts";

describe("CircuitBreaker", () => {
  const make = () => {
    let now = 0;
    const changes: BreakerState[] = [];
    const breaker = new CircuitBreaker({
      failures: 3,
      openMs: 1_000,
      now: () => now,
      onChange: (state) => changes.push(state),
    });
    return { breaker, changes, advance: (ms: number) => (now += ms) };
  };

  it("opens after that many failures in a row, not after failures a success interrupted", () => {
    const { breaker } = make();
    breaker.failure("503");
    breaker.failure("503");
    breaker.success();
    breaker.failure("503");
    breaker.failure("503");
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure("503");
    expect(breaker.current()).toBe("open");
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.msUntilTrial()).toBe(1_000);
  });

  it("lets one trial call through after its rest: success closes it, failure opens it again", () => {
    const { breaker, changes, advance } = make();
    for (let i = 0; i < 3; i++) breaker.failure("503");
    advance(1_000);
    expect(breaker.current()).toBe("half-open");
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false); // one trial at a time
    breaker.failure("still 503");
    expect(breaker.current()).toBe("open");
    advance(1_000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.current()).toBe("closed");
    expect(changes).toEqual(["open", "half-open", "open", "half-open", "closed"]);
  });
});
