export interface BackoffPolicy {
  /** The ceiling of the first retry's delay; it doubles with each failed attempt. */
  baseMs: number;
  /** No delay ever exceeds this. */
  capMs: number;
}

/** The store agent's replayer: a first retry within half a second, never more than 30 s apart. */
export const defaultBackoff: BackoffPolicy = { baseMs: 500, capMs: 30_000 };

/**
 * Exponential backoff with full jitter: a uniform delay between 0 and
 * min(cap, base · 2^attempt), so agents that lost the link together do not
 * come back in step. `attempt` counts from 0.
 *
 * @example
 * backoffDelay(3, { baseMs: 500, capMs: 30_000 }) // somewhere in [0, 4000)
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
