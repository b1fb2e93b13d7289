import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FairShareBucket } from "../durable/connectors/fair-share.ts";

/*
 * The budget an Amazon application shares across all its sellers: never more
 * than the published rate, whoever asks, and shared equally when several ask.
 */

describe("an application budget shared by many connections", () => {
  it("never grants more than the burst plus what the rate restored, whatever the requests", () => {
    const request = fc.record({ requester: fc.integer({ min: 0, max: 7 }), wanted: fc.integer({ min: 0, max: 600 }), afterMs: fc.integer({ min: 0, max: 400 }) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.array(request, { maxLength: 200 }), (rate, requests) => {
        const start = 1_000_000;
        const bucket = new FairShareBucket({ rate, burst: rate }, start);
        let now = start;
        let granted = 0;
        for (const { requester, wanted, afterMs } of requests) {
          now += afterMs;
          const answer = bucket.take(`r${requester}`, wanted, now);
          expect(answer.granted).toBeGreaterThanOrEqual(0);
          expect(answer.granted).toBeLessThanOrEqual(wanted);
          if (answer.granted === 0 && wanted > 0) expect(answer.retryAt).toBeGreaterThan(now);
          granted += answer.granted;
          expect(granted).toBeLessThanOrEqual(rate + Math.floor((rate * (now - start)) / 1000));
        }
      }),
    );
  });

  it("splits a window equally among the connections asking for more than their share", () => {
    const start = 2_000_000;
    const bucket = new FairShareBucket({ rate: 500, burst: 500 }, start);
    // Three sellers become active; the first asked alone and could have taken the lot, so they are all seen first.
    for (const seller of ["a", "b", "c"]) bucket.take(seller, 0, start);
    const grants = ["a", "b", "c"].map((seller) => bucket.take(seller, 500, start).granted);
    expect(grants).toEqual([166, 166, 166]);
    // A second ask in the same window gets nothing more, and is told to come back in the next window.
    expect(bucket.take("a", 10, start + 10)).toEqual({ granted: 0, retryAt: start + 1_000 });
    // The next window: a fresh share each.
    expect(bucket.take("a", 500, start + 1_000).granted).toBe(166);
  });

  it("lets a lone connection use the whole budget, and tells it when the next token is due", () => {
    const start = 3_000_000;
    const bucket = new FairShareBucket({ rate: 4, burst: 4 }, start);
    expect(bucket.take("solo", 10, start).granted).toBe(4);
    expect(bucket.take("solo", 1, start + 100)).toEqual({ granted: 0, retryAt: start + 1_000 });
    expect(bucket.take("solo", 10, start + 1_000).granted).toBe(4);
    // Four a second, and this window's four are spent: the next window.
    expect(bucket.take("solo", 1, start + 1_000)).toEqual({ granted: 0, retryAt: start + 2_000 });
  });
});
