/**
 * A token bucket shared by many requesters, handed out fairly: within each
 * window (a second), no requester takes more than an equal share of what the
 * window allows among those that asked in the last window, so one busy tenant
 * cannot starve the others of an application-wide budget; a lone requester
 * may take it all. A requester that gets nothing is told when to ask again.
 *
 * @example
 * const bucket = new FairShareBucket({ rate: 500, burst: 500 }, now);
 * bucket.take("tenant-a/amazon-us", 5, now); // { granted: 5, retryAt: null }
 */
export class FairShareBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #windowMs: number;
  #available: number;
  #at: number;
  #windowStart: number;
  readonly #lastAsked = new Map<string, number>();
  readonly #usedInWindow = new Map<string, number>();

  constructor(limit: { rate: number; burst: number }, now: number, state?: { available: number; at: number }, windowMs = 1_000) {
    this.#rate = limit.rate;
    this.#burst = limit.burst;
    this.#windowMs = windowMs;
    this.#available = state?.available ?? limit.burst;
    this.#at = state?.at ?? now;
    this.#windowStart = now;
  }

  /** Up to `wanted` tokens for `requester` now, at most what is left of its share of this window; with none granted, when to ask again. */
  take(requester: string, wanted: number, now: number): { granted: number; retryAt: number | null } {
    this.#refill(now);
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now;
      this.#usedInWindow.clear();
    }
    this.#lastAsked.set(requester, now);
    for (const [other, at] of this.#lastAsked) if (now - at > this.#windowMs) this.#lastAsked.delete(other);
    const share = Math.max(1, Math.floor((this.#rate * this.#windowMs) / 1000 / this.#lastAsked.size));
    const used = this.#usedInWindow.get(requester) ?? 0;
    const granted = Math.max(0, Math.min(Math.floor(wanted), Math.floor(this.#available), share - used));
    this.#available -= granted;
    this.#usedInWindow.set(requester, used + granted);
    if (granted > 0 || wanted <= 0) return { granted, retryAt: null };
    const nextToken = now + Math.ceil(((1 - this.#available) * 1000) / this.#rate);
    const nextWindow = used >= share ? this.#windowStart + this.#windowMs : now;
    return { granted: 0, retryAt: Math.max(nextToken, nextWindow) };
  }

  /** What a restart needs to go on where it stopped. */
  get state(): { available: number; at: number } {
    return { available: this.#available, at: this.#at };
  }

  #refill(now: number): void {
    this.#available = Math.min(this.#burst, this.#available + (this.#rate * Math.max(0, now - this.#at)) / 1000);
    this.#at = Math.max(this.#at, now);
  }
}
