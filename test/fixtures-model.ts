import { expect } from "vitest";
import type { LedgerEntry, LedgerPage, ReservationStatus } from "../shared/schemas/inventory.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { call, type TestTenant } from "./api.ts";

/** One location's figures as the product defines them, without `available`. */
export interface ModelStock {
  onHand: number;
  safetyStock: number;
  reserved: number;
  /** The store's lease in force: out of every channel's reach. */
  leased: number;
}

export interface ModelReservation {
  id: string;
  channel: string;
  qty: number;
  allocations: { location: string; qty: number }[];
  status: ReservationStatus;
  /** Epoch ms, as the object answered it. */
  expiresAt: number;
  /** Reserved with a TTL short enough to expire during the test. */
  short: boolean;
}

/** available = max(0, onHand - safetyStock - leased - reserved), written out again so the test does not trust the product's copy. */
export function expectedLocationAvailable(stock: ModelStock): number {
  return Math.max(0, stock.onHand - stock.safetyStock - stock.leased - stock.reserved);
}

/**
 * What a channel may be offered, from PRODUCT.md: the available units of the
 * locations in its pool, less its buffer, capped by maxUnits and by maxPercent
 * of the pool (rounded down). An independent oracle for channelAvailable.
 */
export function expectedChannelAvailable(rules: ChannelRules, stocks: ReadonlyMap<string, ModelStock>): number {
  let pool = 0;
  for (const location of rules.locations) {
    const stock = stocks.get(location);
    if (stock) pool += expectedLocationAvailable(stock);
  }
  const caps = [Math.max(0, pool - rules.bufferUnits)];
  if (rules.maxUnits !== null) caps.push(rules.maxUnits);
  if (rules.maxPercent !== null) caps.push(Math.floor((pool * rules.maxPercent) / 100));
  return Math.min(...caps);
}

/**
 * The state a SKU object should hold, kept alongside it by the property test:
 * per-location figures and every reservation the object granted.
 */
export class InventoryModel {
  readonly stocks = new Map<string, ModelStock>();
  readonly reservations: ModelReservation[] = [];

  available(location: string): number {
    const stock = this.stocks.get(location);
    return stock ? expectedLocationAvailable(stock) : 0;
  }

  onHand(location: string): number {
    return this.stocks.get(location)?.onHand ?? 0;
  }

  setStock(location: string, onHand: number, safetyStock: number | undefined): void {
    const current = this.stocks.get(location);
    this.stocks.set(location, { onHand, safetyStock: safetyStock ?? current?.safetyStock ?? 0, reserved: current?.reserved ?? 0, leased: current?.leased ?? 0 });
  }

  lease(location: string, units: number): void {
    const current = this.stocks.get(location) ?? { onHand: 0, safetyStock: 0, reserved: 0, leased: 0 };
    this.stocks.set(location, { ...current, leased: units });
  }

  adjust(location: string, delta: number): void {
    const current = this.stocks.get(location) ?? { onHand: 0, safetyStock: 0, reserved: 0, leased: 0 };
    this.stocks.set(location, { ...current, onHand: current.onHand + delta });
  }

  grant(reservation: ModelReservation): void {
    this.reservations.push(reservation);
    for (const { location, qty } of reservation.allocations) this.changeReserved(location, qty);
  }

  close(reservation: ModelReservation, status: "committed" | "released" | "expired"): void {
    reservation.status = status;
    for (const { location, qty } of reservation.allocations) {
      this.changeReserved(location, -qty);
      if (status === "committed") this.adjust(location, -qty);
    }
  }

  active(): ModelReservation[] {
    return this.reservations.filter((reservation) => reservation.status === "active");
  }

  private changeReserved(location: string, delta: number): void {
    const current = this.stocks.get(location) ?? { onHand: 0, safetyStock: 0, reserved: 0, leased: 0 };
    this.stocks.set(location, { ...current, reserved: current.reserved + delta });
  }
}

/** Sums a ledger from zero: onHand, reserved, safetyStock and leased per location. */
export function replayLedger(entries: readonly LedgerEntry[]): Map<string, ModelStock> {
  const replayed = new Map<string, ModelStock>();
  for (const entry of entries) {
    const current = replayed.get(entry.location) ?? { onHand: 0, safetyStock: 0, reserved: 0, leased: 0 };
    replayed.set(entry.location, {
      onHand: current.onHand + entry.delta,
      safetyStock: current.safetyStock + entry.safetyStockDelta,
      reserved: current.reserved + entry.reservedDelta,
      leased: current.leased + entry.leasedDelta,
    });
  }
  return replayed;
}

/**
 * Reads a whole ledger page by page and checks the paging contract on the way:
 * strictly increasing seq, each page within the limit, a cursor while more remain.
 */
export async function readWholeLedger(readPage: (after: number) => Promise<LedgerPage>, limit: number): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let after = 0;
  for (;;) {
    const page = await readPage(after);
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    for (const entry of page.entries) {
      expect(entry.seq).toBeGreaterThan(entries.at(-1)?.seq ?? 0);
      entries.push(entry);
    }
    if (page.nextCursor === null) return entries;
    expect(page.entries.length).toBe(limit);
    after = Number(page.nextCursor);
  }
}

/** The whole ledger of a SKU through GET /v1/inventory/{sku}/ledger. */
export async function httpLedger(tenant: TestTenant, sku: string, limit = 1000): Promise<LedgerEntry[]> {
  return readWholeLedger(async (after) => {
    const response = await call<LedgerPage>("GET", `/v1/inventory/${sku}/ledger?limit=${limit}${after > 0 ? `&cursor=${after}` : ""}`, { key: tenant.adminKey });
    expect(response.status).toBe(200);
    return response.body;
  }, limit);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Polls `probe` until `accept` holds or `timeoutMs` passes, and returns the
 * last value either way, so the caller's assertion shows what was seen.
 */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 3_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await sleep(intervalMs);
  }
}
