/** A bucket's size and how fast it fills: `burst` requests at once, `requestsPerSecond` sustained. */
export interface BucketLimit {
  requestsPerSecond: number;
  burst: number;
}

/**
 * A token bucket on a caller's clock: it starts full, refills continuously at
 * `requestsPerSecond` up to `burst`, and each admitted request takes a token.
 *
 * @example
 * const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 20 }, now);
 * bucket.take(1, now); // 1: admitted
 * bucket.retryAfterMs(now); // 0 while a token is left
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  readonly limit: BucketLimit;

  constructor(limit: BucketLimit, now: number) {
    this.limit = limit;
    this.#tokens = limit.burst;
    this.#at = now;
  }

  /** Up to `wanted` whole tokens now; how many were taken. */
  take(wanted: number, now: number): number {
    this.#refill(now);
    const granted = Math.min(wanted, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
  }

  /** Whole tokens left now. */
  remaining(now: number): number {
    this.#refill(now);
    return Math.floor(this.#tokens);
  }

  /** How long until one token is there (0: now). */
  retryAfterMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.limit.requestsPerSecond);
  }

  /** How long until the bucket is full again. */
  fullAfterMs(now: number): number {
    this.#refill(now);
    return Math.ceil(((this.limit.burst - this.#tokens) * 1000) / this.limit.requestsPerSecond);
  }

  #refill(now: number): void {
    if (now > this.#at) this.#tokens = Math.min(this.limit.burst, this.#tokens + ((now - this.#at) * this.limit.requestsPerSecond) / 1000);
    this.#at = Math.max(this.#at, now);
  }
}
