export interface TokenBucketPolicy {
  /** Tokens added a second: the sustained rate. */
  ratePerSecond: number;
  /** The bucket's size: how many requests may come at once. */
  burst: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (a terminal id), in memory: a restart refills
 * them, which only ever lets a terminal in sooner.
 *
 * @example
 * const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 50 }, Date.now);
 * if (!buckets.take("trm_1").ok) refuse();
 */
export class TokenBuckets {
  readonly #policy: TokenBucketPolicy;
  readonly #clock: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(policy: TokenBucketPolicy, clock: () => number = Date.now) {
    this.#policy = policy;
    this.#clock = clock;
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): TakeResult {
    const now = this.#clock();
    const { ratePerSecond, burst } = this.#policy;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond)) };
  }
}
