import { and, asc, eq, gte, inArray, sql, type SQL } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { backoffDelay } from "../../shared/backoff.ts";
import { countByBucket } from "../../shared/lag-histogram.ts";
import type { ConnectionState } from "../../shared/schemas/connections.ts";
import { exceptionQueue, type ConnectionIdentity } from "../objects.ts";
import * as schema from "../schema/channel-connection.ts";
import { countWrites } from "./usage-months.ts";
import type { HopRecord } from "../trace-log.ts";

/** The calls that change the remote (a stock write, a feed submitted, a shipment confirmed): a partner's "connector writes". */
const remoteWrites: ReadonlySet<string> = new Set(["write", "feed", "ship-confirm"]);

const { connection, remoteSkus, activity, confirmLags, poolTarget } = schema;

/** Where a run of a push stopped: nothing left, or when to go on (and why), or stopped until a person acts. */
export type PushStep = { kind: "idle" } | { kind: "wait"; wakeAt: number; reason: string } | { kind: "stopped"; reason: string };

/** One run of a remote's push: everything pending, or only some SKUs (an exception's replay). */
export interface ConnectorPush {
  pushPending(deadline: number): Promise<PushStep>;
  pushSkus(skus: string[], deadline: number): Promise<PushStep>;
  /** When the remote needs the connection again with nothing to push (e.g. to list new orders); null: not before a change. */
  nextDue?(): number | null;
  /** Sends pending shipment confirmations (remotes that take them); null when none is left pending. */
  confirmShipments?(): Promise<PushStep | null>;
}

export type ConnectionRow = typeof connection.$inferSelect;
export type RemoteSkuRow = typeof remoteSkus.$inferSelect;
export type Remote = ConnectionRow["type"];

/** The target a quantity of a write is for: written before targets existed, the pool. */
export function targetOf(quantity: { target?: string }): string {
  return quantity.target ?? poolTarget;
}

/** Groups rows by SKU, in the order each SKU first appears (so the same rows always make the same groups). */
export function bySku<Row extends { sku: string }>(rows: readonly Row[]): [string, Row[]][] {
  const groups = new Map<string, Row[]>();
  for (const row of rows) groups.set(row.sku, [...(groups.get(row.sku) ?? []), row]);
  return [...groups];
}

/**
 * When to look at a bulk feed again: a tenth of the time it has been in
 * flight, at least a second and at most a minute. A feed is then seen
 * processed within about 10 % of the time it took, where doubling waits
 * (1, 2, 4 … 64 s) could see it up to twice as late.
 */
export function feedPollDelayMs(inFlightSince: number, now: number): number {
  return Math.min(60_000, Math.max(1_000, Math.round((now - inFlightSince) / 10)));
}

/** The longest wait after transient failures in a row. */
const maxBackoffMs = 5 * 60_000;

export interface PushLedgerOptions {
  db: DrizzleSqliteDODatabase<typeof schema>;
  /** The object's SQLite transaction. */
  transaction: <T>(run: () => T) => T;
  env: Env;
  identity: ConnectionIdentity;
  connection: ConnectionRow;
  now: () => number;
  /** Takes a hop of an order's trace (a shipment confirmed or refused) for the object to record after the run. */
  traced?: (hop: HopRecord) => void;
}

/**
 * What every remote's push records in the connection's storage, the same
 * way: the SKUs it confirmed (with their sync lag), the ones the remote does
 * not know (exceptions), its calls, throttled answers and failures, and the
 * connection's state. The remote-specific part (calls, budgets) is the push
 * class of each remote.
 */
export class PushLedger {
  readonly db: PushLedgerOptions["db"];

  constructor(readonly options: PushLedgerOptions) {
    this.db = options.db;
  }

  get connection(): ConnectionRow {
    return this.options.connection;
  }

  now(): number {
    return this.options.now();
  }

  /**
   * The remote location a target's values go to: the pool's, or the
   * location's mapping. Null for a target no longer mapped (its rows were
   * deleted when the mapping was, so a push never meets one).
   */
  remoteLocation(target: string): string | null {
    const { locations } = this.connection;
    return (target === poolTarget ? locations.pool : locations.byLocation?.[target]) ?? null;
  }

  /** Pending (target, SKU) rows the remote is not known to lack, oldest change first, whichever the target; `where` narrows them. */
  pending(limit: number, where: (SQL | undefined)[] = []): RemoteSkuRow[] {
    return this.db
      .select()
      .from(remoteSkus)
      .where(and(eq(remoteSkus.pending, true), eq(remoteSkus.unmapped, false), ...where))
      .orderBy(asc(remoteSkus.changedAt), asc(remoteSkus.wantedSeq))
      .limit(limit)
      .all();
  }

  /** Sets what belongs to the SKU itself (its remote id) on the rows of every target. */
  setRemoteId(sku: string, remoteId: string): void {
    this.db.update(remoteSkus).set({ remoteId }).where(eq(remoteSkus.sku, sku)).run();
  }

  /** Whether any fulfilment waits to be confirmed to the remote. */
  hasPendingShipments(): boolean {
    return this.db.select({ id: schema.shipments.eventId }).from(schema.shipments).where(eq(schema.shipments.state, "pending")).limit(1).get() !== undefined;
  }

  /** The remote confirmed `quantity` for each SKU at its target: pending only if Shelfsync wants another value since. */
  confirm(confirmed: { target?: string; sku: string; quantity: number; changedAt: number }[], also?: () => void): void {
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    const lags: number[] = [];
    this.options.transaction(() => {
      for (const q of confirmed) {
        const row = and(eq(remoteSkus.target, targetOf(q)), eq(remoteSkus.sku, q.sku));
        const current = this.db.select({ wanted: remoteSkus.wanted }).from(remoteSkus).where(row).get();
        // A target forgotten meanwhile (its mapping removed) has no row: nothing to record there.
        if (!current) continue;
        this.db.update(remoteSkus).set({ remote: q.quantity, confirmedAt: now, pending: current.wanted !== q.quantity }).where(row).run();
        lags.push(now - q.changedAt);
      }
      for (const [bucket, count] of countByBucket(lags)) {
        this.db
          .insert(confirmLags)
          .values({ minute, bucket, count })
          .onConflictDoUpdate({ target: [confirmLags.minute, confirmLags.bucket], set: { count: sql`${confirmLags.count} + ${count}` } })
          .run();
      }
      also?.();
    });
  }

  /**
   * The remote has no item for these SKUs: not retried in a loop at any
   * target, one exception per SKU for a person (its replay pushes them again).
   */
  async unmapped(named: string[], reason: string): Promise<void> {
    const skus = [...new Set(named)];
    if (skus.length === 0) return;
    this.db.update(remoteSkus).set({ unmapped: true, remoteId: null }).where(inArray(remoteSkus.sku, skus)).run();
    const { tenantId, connectionId } = this.options.identity;
    const { channel, type } = this.connection;
    await exceptionQueue(this.options.env, tenantId).record(
      skus.map((sku) => ({
        naturalKey: `channel_sku_unmapped:${connectionId}:${sku}`,
        type: "channel_sku_unmapped" as const,
        subject: `sku:${sku}@${connectionId}`,
        correlationId: null,
        payload: { connection: connectionId, remote: type, channel, sku, reason },
      })),
    );
  }

  /** A failure: recorded with the state it leaves; returns when to try again (backoff with jitter, growing with failures in a row). */
  fail(message: string, state: ConnectionState = "failing"): number {
    const failures = this.connection.failures + 1;
    this.connection.failures = failures;
    this.db.update(connection).set({ state, lastError: message.slice(0, 500), lastErrorAt: this.now(), failures }).where(eq(connection.id, 1)).run();
    return this.now() + backoffDelay(failures, { baseMs: 1_000, capMs: maxBackoffMs });
  }

  /** A failed call: recorded, and the run waits out the backoff before trying again. */
  retryLater(message: string, reason = message): PushStep {
    return { kind: "wait", wakeAt: this.fail(message), reason };
  }

  /** The remote refused the credentials: the connection stops until new ones are saved. */
  credentialsRejected(message: string): PushStep {
    this.fail(message, "credentials_rejected");
    return { kind: "stopped", reason: message };
  }

  /** The remote throttled a call: counted, the state says so, and the run waits until `wakeAt`. */
  throttled(wakeAt: number, reason: string): PushStep {
    this.record("throttled", 1);
    this.setState("throttled");
    return { kind: "wait", wakeAt, reason };
  }

  setState(state: ConnectionState): void {
    this.connection.failures = 0;
    this.db.update(connection).set({ state, failures: 0 }).where(eq(connection.id, 1)).run();
  }

  /** Saves columns of the connection's row that the push keeps (its budget, call costs, write numbers). */
  save(values: Partial<Pick<ConnectionRow, "bucket" | "writeCost" | "batches" | "rateBuckets" | "ordersCheckedAt" | "ordersAfter" | "ordersPageToken">>): void {
    Object.assign(this.connection, values);
    this.db.update(connection).set(values).where(eq(connection.id, 1)).run();
  }

  record(kind: (typeof activity.$inferSelect)["kind"], amount: number): void {
    const at = this.now();
    this.db.insert(activity).values({ at, kind, amount }).run();
    if (remoteWrites.has(kind)) countWrites(this.db, at, amount);
  }

  /** How many of `kind` were recorded since `since` (e.g. feeds submitted in the last hour). */
  recorded(kind: (typeof activity.$inferSelect)["kind"], since: number): { count: number; oldest: number | null } {
    const rows = this.db.select({ at: activity.at }).from(activity).where(and(eq(activity.kind, kind), gte(activity.at, since))).orderBy(asc(activity.at)).all();
    return { count: rows.length, oldest: rows[0]?.at ?? null };
  }
}
