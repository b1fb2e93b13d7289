import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketUpperBound, countByBucket, histogramPercentile, lagBucket } from "../shared/lag-histogram.ts";

/** The exact nearest-rank percentile, as the status computed it before the histogram. */
function exactPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(1, Math.ceil(q * sorted.length)) - 1)]!;
}

describe("the sync-lag histogram", () => {
  it("reports each percentile at or above the exact one, and at most 1/16 above it", () => {
    const lag = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 3_600_000 }));
    fc.assert(
      fc.property(fc.array(lag, { minLength: 1, maxLength: 500 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (values, q) => {
        const counts = [...countByBucket(values)].map(([bucket, count]) => ({ bucket, count }));
        const exact = exactPercentile(values, q);
        const reported = histogramPercentile(counts, q)!;
        expect(reported).toBeGreaterThanOrEqual(exact);
        expect(reported).toBeLessThanOrEqual(exact + Math.max(0, exact / 16));
      }),
    );
  });

  it("puts every value in a bucket whose bounds hold it, buckets in the order of their values", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (value) => {
        const bucket = lagBucket(value);
        expect(bucketUpperBound(bucket)).toBeGreaterThanOrEqual(value);
        expect(bucket === 0 || bucketUpperBound(bucket - 1) < value).toBe(true);
      }),
    );
  });

  it("adds counts kept in separate rows (minutes) as one histogram", () => {
    const minuteOne = countByBucket([10, 20, 30]);
    const minuteTwo = countByBucket([10, 4_000]);
    const rows = [...minuteOne, ...minuteTwo].map(([bucket, count]) => ({ bucket, count }));
    expect(histogramPercentile(rows, 0.5)).toBe(20);
    expect(histogramPercentile(rows, 1)).toBe(bucketUpperBound(lagBucket(4_000)));
    expect(histogramPercentile([], 0.5)).toBeNull();
  });
});
