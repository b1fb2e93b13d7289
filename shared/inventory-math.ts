import type { ChannelRules } from "./schemas/tenancy.ts";

export interface StockFigures {
  location: string;
  onHand: number;
  safetyStock: number;
  reserved: number;
  /** Units the store at this location holds on lease (docs/decisions/0033): no channel may reserve them. Absent: none. */
  leased?: number;
}

/** available = max(0, onHand - safetyStock - leased - reserved), as the product defines it (leased: a store's lease, 0 without one). */
export function locationAvailable(stock: StockFigures): number {
  return Math.max(0, stock.onHand - stock.safetyStock - (stock.leased ?? 0) - stock.reserved);
}

/**
 * Of a store's lease, the units its shelves still hold beyond what channels
 * reserved there: what the store may sell while offline without leaving any
 * reservation uncovered, however many channel reservations follow.
 *
 * @example
 * leaseCovered({ location: "a", onHand: 10, safetyStock: 0, reserved: 8, leased: 5 }) // 2
 */
export function leaseCovered(stock: StockFigures): number {
  return Math.max(0, Math.min(stock.leased ?? 0, stock.onHand - stock.safetyStock - stock.reserved));
}

/**
 * Units a channel may be offered (and may reserve) now: the available units of
 * its pool, less its buffer, capped by maxUnits and by maxPercent of the pool.
 *
 * @example
 * channelAvailable({ locations: ["a"], bufferUnits: 2, maxUnits: null, maxPercent: 50 }, [{ location: "a", onHand: 10, safetyStock: 0, reserved: 0 }]) // 5
 */
export function channelAvailable(rules: ChannelRules, stocks: readonly StockFigures[]): number {
  const pool = new Set(rules.locations);
  let poolAvailable = 0;
  for (const stock of stocks) if (pool.has(stock.location)) poolAvailable += locationAvailable(stock);
  let exposed = Math.max(0, poolAvailable - rules.bufferUnits);
  if (rules.maxUnits !== null) exposed = Math.min(exposed, rules.maxUnits);
  if (rules.maxPercent !== null) exposed = Math.min(exposed, Math.floor((poolAvailable * rules.maxPercent) / 100));
  return exposed;
}

/**
 * Spreads a pool reservation over the pool's locations in priority order,
 * taking what each has available. The caller has checked that the channel may
 * have `qty`, which implies the pool holds at least that many.
 */
export function allocateFromPool(rules: ChannelRules, stocks: readonly StockFigures[], qty: number): { location: string; qty: number }[] {
  const byLocation = new Map(stocks.map((stock) => [stock.location, stock]));
  const allocations: { location: string; qty: number }[] = [];
  let remaining = qty;
  for (const location of rules.locations) {
    if (remaining === 0) break;
    const stock = byLocation.get(location);
    const take = stock ? Math.min(locationAvailable(stock), remaining) : 0;
    if (take > 0) {
      allocations.push({ location, qty: take });
      remaining -= take;
    }
  }
  if (remaining > 0) throw new Error(`pool allocation short by ${remaining}: channel rules and pool disagree`);
  return allocations;
}
