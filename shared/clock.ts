/**
 * Where code that decides by time (reservation TTLs, alarms, retry backoff,
 * retention) reads the time. Production uses the system clock; tests use a
 * {@link ManualClock} and move it on instead of waiting.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, as `Date.now()`. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that stands still until told to move.
 *
 * @example
 * const clock = new ManualClock(Date.now());
 * clock.advance(15 * 60_000); // a 15-minute TTL has run out
 */
export class ManualClock implements Clock {
  private current: number;

  constructor(current: number) {
    this.current = current;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): number {
    if (ms < 0) throw new RangeError("a clock does not go back");
    this.current += ms;
    return this.current;
  }
}
