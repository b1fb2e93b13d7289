import { leaseCovered } from "../shared/inventory-math.ts";
import { velocityWindowHours, type SetLeaseRequest } from "../shared/schemas/leases.ts";
import type { LeaseRow, Mutation, SkuState } from "./sku-state.ts";

const hourMs = 3_600_000;

/** A sized lease is sized again at most this often, when the store's sales arrive (the store is online). */
export const resizeEveryMs = hourMs;

/** What the SKU object keeps of a lease; the lapse is the store's business (./store-leases.ts). */
export type LeaseSpec = Pick<SetLeaseRequest, "units" | "coverHours" | "maxUnits">;

/** A lease at one location as the SKU object holds it. */
export interface LeaseState {
  location: string;
  units: number | null;
  coverHours: number | null;
  maxUnits: number | null;
  inForce: number;
  covered: number;
  suspended: boolean;
  sizedAt: number;
}

/**
 * Units a sized lease holds: the store's sales rate (units over the hours
 * observed, the trailing week or since its first sale there if later, at
 * least one hour) × coverHours, rounded up, capped by maxUnits.
 *
 * @example
 * sizeFromSales({ coverHours: 4, maxUnits: null }, { units: 48, first: 0 }, 24 * 3_600_000) // 8
 */
export function sizeFromSales(lease: { coverHours: number; maxUnits: number | null }, sales: { units: number; first: number | null }, now: number): number {
  if (sales.units <= 0 || sales.first === null) return 0;
  const hours = Math.max(1, Math.min(velocityWindowHours, (now - sales.first) / hourMs));
  // Rounded to 1e-9 first so that 2 an hour × 4 hours is 8, not 9 from floating-point error.
  const units = Math.ceil(Math.round(((sales.units / hours) * lease.coverHours) * 1e9) / 1e9);
  return lease.maxUnits === null ? units : Math.min(units, lease.maxUnits);
}

/**
 * Store stock leases of one SKU (docs/decisions/0033): per location, units
 * the store holds so that it can sell them while offline without leaving a
 * channel's reservation uncovered. They are kept out of every channel's
 * availability through `location_stock.leased`, each change with a `lease`
 * entry in the ledger.
 */
export class SkuLeases {
  constructor(private readonly state: SkuState) {}

  /** `suspended`: the store is silent past the lease's lapse already (./store-leases.ts decides). */
  set(location: string, spec: LeaseSpec, suspended: boolean, mutation: Mutation): LeaseState {
    const row: LeaseRow = { location, units: spec.units ?? null, coverHours: spec.coverHours ?? null, maxUnits: spec.maxUnits ?? null, suspended, sizedAt: mutation.now };
    this.state.putLease(row);
    this.apply(row, mutation, "set");
    return this.view(location)!;
  }

  /** Ends the lease: its units go back to the channels. False when there was none. */
  remove(location: string, mutation: Mutation): boolean {
    if (!this.state.lease(location)) return false;
    this.state.deleteLease(location);
    this.state.putLeased(location, 0, "lease ended", mutation);
    return true;
  }

  /** Suspends (the store fell silent) or resumes (it was heard from) the lease; nothing when there is none or it already is. */
  suspend(location: string, suspended: boolean, mutation: Mutation): void {
    const row = this.state.lease(location);
    if (!row || row.suspended === suspended) return;
    const next = { ...row, suspended, sizedAt: suspended ? row.sizedAt : mutation.now };
    this.state.putLease(next);
    this.apply(next, mutation, suspended ? "suspended: store silent" : "resumed: store heard from");
  }

  /** After a POS sale at the location: a sized lease not sized within the hour is sized again. */
  afterSale(location: string, mutation: Mutation): void {
    const row = this.state.lease(location);
    if (!row || row.coverHours === null || row.suspended || mutation.now - row.sizedAt < resizeEveryMs) return;
    const next = { ...row, sizedAt: mutation.now };
    this.state.putLease(next);
    this.apply(next, mutation, "re-sized");
  }

  view(location: string): LeaseState | null {
    const row = this.state.lease(location);
    if (!row) return null;
    const stock = this.state.stockAt(location);
    return { ...row, inForce: stock.leased ?? 0, covered: leaseCovered(stock) };
  }

  all(): LeaseState[] {
    return this.state.allLeases().map((row) => this.view(row.location)!);
  }

  private apply(row: LeaseRow, mutation: Mutation, why: string): void {
    this.state.putLeased(row.location, this.units(row, mutation.now), `lease ${why}: ${describe(row)}`, mutation);
  }

  private units(row: LeaseRow, now: number): number {
    if (row.suspended) return 0;
    if (row.coverHours === null) return row.units ?? 0;
    const sales = this.state.salesSince(row.location, now - velocityWindowHours * hourMs);
    return sizeFromSales({ coverHours: row.coverHours, maxUnits: row.maxUnits }, sales, now);
  }
}

function describe(row: LeaseRow): string {
  if (row.coverHours === null) return `${row.units} units`;
  return `${row.coverHours} h of sales${row.maxUnits === null ? "" : `, at most ${row.maxUnits}`}`;
}
