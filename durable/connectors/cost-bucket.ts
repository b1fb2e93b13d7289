/**
 * A remote's leaky bucket of cost points (Shopify Admin GraphQL:
 * `extensions.cost.throttleStatus`), as the connection last heard it and
 * refilled since at its restore rate. The connection sends a call only when
 * the bucket holds its cost, so a well-modelled remote never throttles it;
 * every answer corrects the model with what the remote itself reports.
 */
export interface BucketState {
  maximumAvailable: number;
  currentlyAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
  /** When the remote reported `currentlyAvailable` (epoch ms). */
  at: number;
}

/**
 * Until a first answer says otherwise: Shopify's Standard plan restores 100
 * points a second; its bucket size is not published for the current figures,
 * so the model starts with one second's worth and learns the rest.
 */
export const initialBucket = (now: number): BucketState => ({ maximumAvailable: 100, currentlyAvailable: 100, restoreRate: 100, at: now });

/** Points in the bucket at `now`. */
export function availableAt(bucket: BucketState, now: number): number {
  return Math.min(bucket.maximumAvailable, bucket.currentlyAvailable + (bucket.restoreRate * Math.max(0, now - bucket.at)) / 1000);
}

/** When the bucket will hold `cost` points (now if it already does); a cost above the bucket's size waits for a full bucket. */
export function affordableAt(bucket: BucketState, cost: number, now: number): number {
  const needed = Math.min(cost, bucket.maximumAvailable) - availableAt(bucket, now);
  if (needed <= 0) return now;
  return now + Math.ceil((needed * 1000) / bucket.restoreRate);
}

/** The bucket after spending `cost` at `now`, before the remote's answer corrects it. */
export function spend(bucket: BucketState, cost: number, now: number): BucketState {
  return { ...bucket, currentlyAvailable: availableAt(bucket, now) - cost, at: now };
}
