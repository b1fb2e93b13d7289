import { channelAvailable, locationAvailable, type StockFigures } from "./inventory-math.ts";
import type { Shortage } from "./schemas/orders.ts";
import type { ChannelRules } from "./schemas/tenancy.ts";

/** Units of one SKU an order needs (its lines of that SKU summed). */
export interface Demand {
  sku: string;
  qty: number;
}

export interface PlannedAllocation {
  sku: string;
  location: string;
  qty: number;
}

export type RoutePlan = { ok: true; allocations: PlannedAllocation[] } | { ok: false; shortages: Shortage[] };

export interface RouteInput {
  rules: ChannelRules;
  /** The pickup location, or null for a shipped order. */
  pickup: string | null;
  demand: readonly Demand[];
  /** Each SKU's per-location figures as its object reported them. */
  stocks: ReadonlyMap<string, readonly StockFigures[]>;
}

/**
 * Where an order's units should be reserved.
 *
 * - Pickup: every SKU at the pickup location.
 * - Ship: the first location of the channel's pool (priority order) that can
 *   supply every SKU; when none can, each SKU goes whole to the first
 *   location that has it all, and only a SKU that no single location has is
 *   spread over the pool in priority order.
 *
 * A SKU never gets more than the channel may have of it (pool less buffer,
 * within its caps). If any SKU falls short, the plan is its shortages.
 *
 * @example
 * routeOrder({ rules, pickup: null, demand: [{ sku: "A", qty: 2 }], stocks })
 * // { ok: true, allocations: [{ sku: "A", location: "wh-1", qty: 2 }] }
 */
export function routeOrder(input: RouteInput): RoutePlan {
  const { rules, pickup, demand } = input;
  const figures = (sku: string) => input.stocks.get(sku) ?? [];
  const availableAt = (sku: string, location: string) => {
    const stock = figures(sku).find((s) => s.location === location);
    return stock ? locationAvailable(stock) : 0;
  };
  const candidates = pickup === null ? rules.locations : [pickup];

  const shortages: Shortage[] = [];
  for (const { sku, qty } of demand) {
    const supply = candidates.reduce((total, location) => total + availableAt(sku, location), 0);
    const available = Math.min(channelAvailable(rules, figures(sku)), supply);
    if (available < qty) shortages.push({ sku, requested: qty, available });
  }
  if (shortages.length > 0) return { ok: false, shortages };

  const single = candidates.find((location) => demand.every(({ sku, qty }) => availableAt(sku, location) >= qty));
  if (single !== undefined) return { ok: true, allocations: demand.map(({ sku, qty }) => ({ sku, location: single, qty })) };

  const allocations: PlannedAllocation[] = [];
  for (const { sku, qty } of demand) {
    const whole = candidates.find((location) => availableAt(sku, location) >= qty);
    if (whole !== undefined) {
      allocations.push({ sku, location: whole, qty });
      continue;
    }
    let remaining = qty;
    for (const location of candidates) {
      const take = Math.min(availableAt(sku, location), remaining);
      if (take > 0) allocations.push({ sku, location, qty: take });
      remaining -= take;
      if (remaining === 0) break;
    }
  }
  return { ok: true, allocations };
}

/** The units an order needs per SKU, in the order its lines first name them. */
export function demandOf(lines: readonly { sku: string; qty: number }[]): Demand[] {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.qty);
  return [...bySku].map(([sku, qty]) => ({ sku, qty }));
}
