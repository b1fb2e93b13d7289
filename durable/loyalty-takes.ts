import type { LotTake } from "./schema/customer-loyalty.ts";

/**
 * The points of `takes` from position `from` up to `to` (counted in points,
 * in order): which lots they were taken from.
 *
 * @example
 * const takes = [{ lot: "a", points: 3 }, { lot: "b", points: 5 }];
 * pointsBetween(takes, 0, 4) // [{ lot: "a", points: 3 }, { lot: "b", points: 1 }]
 * pointsBetween(takes, 4, 6) // [{ lot: "b", points: 2 }]
 */
export function pointsBetween(takes: LotTake, from: number, to: number): LotTake {
  const between: LotTake = [];
  let at = 0;
  for (const take of takes) {
    const start = Math.max(from, at);
    const end = Math.min(to, at + take.points);
    if (end > start) between.push({ lot: take.lot, points: end - start });
    at += take.points;
    if (at >= to) break;
  }
  return between;
}
