/**
 * Latencies counted in log-linear buckets, so that percentiles over an hour
 * cost a few dozen rows to read however many values went in: values below
 * 16 ms each have their own bucket; above, every power of two is split into
 * 16 buckets of equal width. A percentile is reported as the upper bound of
 * the bucket it falls in: never below the exact value, and at most 1/16
 * (6.25 %) above it.
 *
 * @example
 * lagBucket(5); // 5
 * bucketUpperBound(lagBucket(1_000)); // 1_023: 1,000 lies in 992–1,023
 */
const subBuckets = 16;
const exactBelow = 16;

/** The bucket of a latency in milliseconds (negative and fractional values count as their floor, at least 0). */
export function lagBucket(valueMs: number): number {
  const value = Math.max(0, Math.floor(valueMs));
  if (value < exactBelow) return value;
  const exponent = Math.floor(Math.log2(value));
  const base = 2 ** exponent;
  const sub = Math.floor(((value - base) * subBuckets) / base);
  return exactBelow + (exponent - 4) * subBuckets + sub;
}

/** The largest latency that falls in the bucket. */
export function bucketUpperBound(bucket: number): number {
  if (bucket < exactBelow) return bucket;
  const exponent = Math.floor((bucket - exactBelow) / subBuckets) + 4;
  const sub = (bucket - exactBelow) % subBuckets;
  const base = 2 ** exponent;
  return base + ((sub + 1) * base) / subBuckets - 1;
}

/** Counts per bucket, summed from stored rows. */
export type BucketCounts = { bucket: number; count: number }[];

/** The nearest-rank percentile `q` (0–1) of the counted values, as its bucket's upper bound; null when nothing was counted. */
export function histogramPercentile(counts: BucketCounts, q: number): number | null {
  const sorted = [...counts].filter((row) => row.count > 0).sort((a, b) => a.bucket - b.bucket);
  const total = sorted.reduce((sum, row) => sum + row.count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const row of sorted) {
    seen += row.count;
    if (seen >= rank) return bucketUpperBound(row.bucket);
  }
  return bucketUpperBound(sorted.at(-1)!.bucket);
}

/** The values counted per bucket, ready to add to stored rows. */
export function countByBucket(valuesMs: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const value of valuesMs) {
    const bucket = lagBucket(value);
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return counts;
}
