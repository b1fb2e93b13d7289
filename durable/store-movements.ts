import type { Result } from "../shared/errors.ts";
import type { StockFigures } from "../shared/inventory-math.ts";
import type { ShortReservation } from "../shared/schemas/exceptions.ts";

/** One POS line's effect on one SKU at one store, as the store ingest hands it to the SKU object. */
export interface StoreMovement {
  /** From {@link posMovementKey}: the line moves stock once for good under it. */
  key: string;
  type: "pos_sale" | "pos_return" | "pos_void";
  location: string;
  /** Units, positive; a sale takes them off onHand, a return or void puts them back. */
  qty: number;
  reference: string;
  reason: string;
  /** When the sale, return or void happened at the till (epoch ms); a late replay happened long before it reaches the edge. */
  occurredAt: number;
  /** The transaction's trace, for its ledger entry. */
  traceId?: string | null;
}

/** The reservations a sale left uncovered at its location (reserved > onHand - safetyStock); not an order's shortage. */
export interface UncoveredReservations {
  onHand: number;
  safetyStock: number;
  reserved: number;
  shortBy: number;
  reservations: ShortReservation[];
}

export interface StoreMovementOutcome {
  key: string;
  /** False when the key had already moved stock (a retry after a crash): nothing changed now. */
  applied: boolean;
  /** For a sale: the reservations at the location that stock no longer covers, if any. */
  short: UncoveredReservations | null;
}

export type StoreMovementsResult = Result<{ outcomes: StoreMovementOutcome[] }>;

/**
 * The key under which one POS line moves stock. Transaction ids are the
 * terminal's and repeat across stores, so the location is part of it.
 *
 * @example
 * posMovementKey("store-001", "T01-000123", 2) // "pos:store-001:T01-000123:2"
 */
export function posMovementKey(location: string, transactionId: string, line: number): string {
  return `pos:${location}:${transactionId}:${line}`;
}

/** The ledger reference of a POS line: the transaction and the 1-based line. */
export function posReference(transactionId: string, line: number): string {
  return `pos:${transactionId}:${line}`;
}

export interface ActiveReservation {
  id: string;
  channel: string;
  reference: string;
  createdAt: number;
  allocations: { location: string; qty: number }[];
}

/** Units reserved at the location that its stock (onHand less safetyStock, at least 0) no longer covers. */
function uncovered(stock: StockFigures): number {
  return Math.max(0, stock.reserved - Math.max(0, stock.onHand - stock.safetyStock));
}

/** Whether some reservation at the location is no longer covered: a sale there then raises an exception. */
export function leavesReservationsShort(stock: StockFigures): boolean {
  return uncovered(stock) > 0;
}

/**
 * The reservations at a location that its stock no longer covers. The oldest
 * keep their cover first, so the ones named are those promised last.
 */
export function shortReservations(stock: StockFigures, active: readonly ActiveReservation[]): UncoveredReservations | null {
  const shortBy = uncovered(stock);
  if (shortBy === 0) return null;
  const here = active
    .map((reservation) => ({ reservation, qty: reservation.allocations.filter((a) => a.location === stock.location).reduce((sum, a) => sum + a.qty, 0) }))
    .filter(({ qty }) => qty > 0)
    .sort((a, b) => a.reservation.createdAt - b.reservation.createdAt || (a.reservation.id < b.reservation.id ? -1 : 1));
  let left = Math.max(0, stock.onHand - stock.safetyStock);
  const reservations: ShortReservation[] = [];
  for (const { reservation, qty } of here) {
    const covered = Math.min(left, qty);
    left -= covered;
    if (covered < qty) reservations.push({ id: reservation.id, channel: reservation.channel, qty, shortBy: qty - covered, reference: reservation.reference });
  }
  return { onHand: stock.onHand, safetyStock: stock.safetyStock, reserved: stock.reserved, shortBy, reservations };
}
