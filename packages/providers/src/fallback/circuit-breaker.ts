/** Where a maker's circuit is: sending, resting after repeated failures, or trying one call. */
export type BreakerState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long an open circuit rests before one trial call may go. */
  openMs: number;
  now?: () => number;
  /** Told of every change of state (for metrics and logs). */
  onChange?: (state: BreakerState, reason: string) => void;
}

/**
 * One maker's circuit breaker, in this process. Closed, it counts failures in a row; at
 * `failures` it opens and nothing is sent for `openMs`; then one call may go (half-open):
 * a success closes it, a failure opens it again. Jobs meanwhile go to the next maker at once
 * instead of each waiting out its retries against a maker that is down.
 */
export class CircuitBreaker {
  private state: BreakerState = "closed";
  private failuresInRow = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state now (an open circuit whose rest is over reads half-open). */
  current(): BreakerState {
    if (this.state === "open" && this.now() - this.openedAt >= this.options.openMs) {
      return "half-open";
    }
    return this.state;
  }

  /** Whether a call may go now; a half-open circuit lets one through at a time. */
  tryAcquire(): boolean {
    const state = this.current();
    if (state === "closed") return true;
    if (state === "open" || this.trialInFlight) return false;
    this.set("half-open", "rested; one trial call");
    this.trialInFlight = true;
    return true;
  }

  /** How long until an open circuit lets a trial call through (0 when it would now). */
  msUntilTrial(): number {
    return this.state === "open"
      ? Math.max(0, this.options.openMs - (this.now() - this.openedAt))
      : 0;
  }

  success(): void {
    this.failuresInRow = 0;
    this.trialInFlight = false;
    if (this.state !== "closed") this.set("closed", "a call succeeded");
  }

  failure(reason: string): void {
    this.failuresInRow++;
    const trial = this.trialInFlight;
    this.trialInFlight = false;
    if (trial || this.failuresInRow >= this.options.failures) {
      this.openedAt = this.now();
      this.set(
        "open",
        trial
          ? `the trial call failed: ${reason}`
          : `${this.failuresInRow} failures in a row, the last: ${reason}`,
      );
    }
  }

  private set(state: BreakerState, reason: string): void {
    if (this.state === state && state !== "open") return;
    this.state = state;
    this.options.onChange?.(state, reason);
  }
}
