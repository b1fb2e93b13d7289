import type { HopRecord } from "../trace-log.ts";
import { and, asc, eq, gt, lte, min, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { backoffDelay } from "../../shared/backoff.ts";
import type { ConnectionState } from "../../shared/schemas/connections.ts";
import { exceptionQueue, type ConnectionIdentity } from "../objects.ts";
import * as schema from "../schema/erp-connection.ts";
import { countWrites } from "./usage-months.ts";

const { connection, journals, salesDocuments, activity } = schema;

export type ErpConnectionRow = typeof connection.$inferSelect;
export type ErpJournalRow = typeof journals.$inferSelect;
export type ErpSalesDocumentRow = typeof salesDocuments.$inferSelect;
/** What a sender hands to the ERP: a journal, or an order's sales document. */
export type ErpOutboxRow = ErpJournalRow | ErpSalesDocumentRow;

type RowPatch = Partial<Pick<ErpJournalRow, "state" | "attempts" | "notBefore" | "progress" | "lastError" | "postedAt">>;

/** The external id a row goes under (journal or sales document). */
export function keyOf(row: ErpOutboxRow): string {
  return "journalId" in row ? row.journalId : row.externalId;
}

/** Whether the connection's settings send sales documents (off for a connection stored before they existed). */
export function sendsSalesDocuments(current: ErpConnectionRow): boolean {
  return (current.settings as { salesDocuments?: { enabled?: boolean } }).salesDocuments?.enabled === true;
}

/** Where a run stopped: nothing due, or when to go on, or stopped until a person acts (credentials). */
export type ErpStep = { kind: "idle" } | { kind: "wait"; wakeAt: number } | { kind: "stopped" };

/** The longest wait after failures in a row. */
const maxBackoffMs = 5 * 60_000;

export interface ErpOutboxOptions {
  db: DrizzleSqliteDODatabase<typeof schema>;
  transaction: <T>(run: () => T) => T;
  env: Env;
  identity: ConnectionIdentity;
  connection: ErpConnectionRow;
  now: () => number;
}

/**
 * What every ERP's sender records in the connection's storage, the same way:
 * the journals and sales documents due, each one's outcome (posted, refused with an exception,
 * to retry after a backoff), throttled answers, requests, and the
 * connection's state. The ERP-specific part is each sender in ./connectors/.
 */
export class ErpOutbox {
  readonly db: ErpOutboxOptions["db"];
  /** The hops of this run's sales documents posted or refused, in their orders' traces: recorded by the connection when the run ends. */
  readonly hops: HopRecord[] = [];

  constructor(readonly options: ErpOutboxOptions) {
    this.db = options.db;
  }

  get connection(): ErpConnectionRow {
    return this.options.connection;
  }

  now(): number {
    return this.options.now();
  }

  /** Pending journals whose wait is over, in posting order. */
  due(limit: number): ErpJournalRow[] {
    return this.db
      .select()
      .from(journals)
      .where(and(eq(journals.state, "pending"), lte(journals.notBefore, this.now())))
      .orderBy(asc(journals.seq))
      .limit(limit)
      .all();
  }

  /** Pending sales documents whose wait is over, in booking order; none while the settings do not send them. */
  dueSalesDocuments(limit: number): ErpSalesDocumentRow[] {
    if (!sendsSalesDocuments(this.connection)) return [];
    return this.db
      .select()
      .from(salesDocuments)
      .where(and(eq(salesDocuments.state, "pending"), lte(salesDocuments.notBefore, this.now())))
      .orderBy(asc(salesDocuments.seq))
      .limit(limit)
      .all();
  }

  /** When the next pending journal or sales document may be sent (null: none pending). */
  nextDueAt(): number | null {
    const journal = this.db.select({ at: min(journals.notBefore) }).from(journals).where(eq(journals.state, "pending")).get()?.at ?? null;
    const document = sendsSalesDocuments(this.connection) ? (this.db.select({ at: min(salesDocuments.notBefore) }).from(salesDocuments).where(eq(salesDocuments.state, "pending")).get()?.at ?? null) : null;
    if (journal === null || document === null) return journal ?? document;
    return Math.min(journal, document);
  }

  /** Saves how far a row got (Business Central's steps) before the next step is sent. */
  saveProgress(row: ErpOutboxRow, progress: Record<string, unknown>): void {
    this.update(row, { progress });
  }

  /** The ERP holds the journal or document: it is never sent again. */
  posted(row: ErpOutboxRow): void {
    this.options.transaction(() => {
      this.update(row, { state: "posted", postedAt: this.now(), lastError: null });
      this.record("posted", 1);
      this.setState("syncing");
    });
    this.traceDocument(row, "erp.sales_document_posted", `${keyOf(row)} to ${this.connection.type}`);
  }

  /** A sales document's step, in its order's trace (journals sum a day of many sales: they name no trace). */
  private traceDocument(row: ErpOutboxRow, hop: string, detail: string): void {
    const traceId = "document" in row ? row.document.traceId : null;
    if (traceId) this.hops.push({ traceId, at: this.now(), hop, location: this.options.identity.connectionId, spanId: null, detail });
  }

  /** The ERP will not take the journal or document as it is: set aside with an exception for a person; the others go on. */
  async refuse(row: ErpOutboxRow, reason: string): Promise<void> {
    const key = keyOf(row);
    this.update(row, { state: "refused", lastError: reason.slice(0, 500) });
    this.traceDocument(row, "erp.sales_document_refused", `${key}: ${reason}`.slice(0, 300));
    this.db.update(connection).set({ lastError: `${key}: ${reason}`.slice(0, 500), lastErrorAt: this.now() }).where(eq(connection.id, 1)).run();
    const { tenantId, connectionId } = this.options.identity;
    const remote = this.connection.type;
    await exceptionQueue(this.options.env, tenantId).record([
      "journalId" in row
        ? {
            naturalKey: `erp_journal_refused:${connectionId}:${key}`,
            type: "erp_journal_refused",
            subject: `journal:${key}@${connectionId}`,
            correlationId: key,
            payload: { connection: connectionId, remote, journalId: key, reason: reason.slice(0, 500) },
          }
        : {
            naturalKey: `erp_sales_document_refused:${connectionId}:${key}`,
            type: "erp_sales_document_refused",
            subject: `sales-document:${key}@${connectionId}`,
            correlationId: row.document.orderId,
            payload: { connection: connectionId, remote, externalId: key, orderId: row.document.orderId, reason: reason.slice(0, 500) },
          },
    ]);
  }

  /** A failure of this row's call: it waits out a backoff (with jitter, growing with its attempts); returns when. */
  retryLater(row: ErpOutboxRow, message: string): number {
    const failures = this.fail(message);
    const wakeAt = this.now() + backoffDelay(Math.max(row.attempts, failures), { baseMs: 1_000, capMs: maxBackoffMs });
    this.update(row, { attempts: row.attempts + 1, notBefore: wakeAt, lastError: message.slice(0, 500) });
    return wakeAt;
  }

  /** The ERP said to slow down: counted, and nothing is sent before `wakeAt`. */
  throttled(wakeAt: number): ErpStep {
    this.record("throttled", 1);
    this.setState("throttled");
    this.db.update(journals).set({ notBefore: sql`max(${journals.notBefore}, ${wakeAt})` }).where(eq(journals.state, "pending")).run();
    this.db.update(salesDocuments).set({ notBefore: sql`max(${salesDocuments.notBefore}, ${wakeAt})` }).where(eq(salesDocuments.state, "pending")).run();
    return { kind: "wait", wakeAt };
  }

  private update(row: ErpOutboxRow, patch: RowPatch): void {
    if ("journalId" in row) this.db.update(journals).set(patch).where(eq(journals.journalId, row.journalId)).run();
    else this.db.update(salesDocuments).set(patch).where(eq(salesDocuments.externalId, row.externalId)).run();
  }

  /** A failure of the connection (not of one journal): recorded; returns the failures in a row. */
  fail(message: string, state: ConnectionState = "failing"): number {
    const failures = this.connection.failures + 1;
    this.connection.failures = failures;
    this.db.update(connection).set({ state, lastError: message.slice(0, 500), lastErrorAt: this.now(), failures }).where(eq(connection.id, 1)).run();
    return failures;
  }

  /** The ERP refused the credentials: nothing is sent until new ones are saved. */
  credentialsRejected(message: string): ErpStep {
    this.fail(message, "credentials_rejected");
    return { kind: "stopped" };
  }

  /** A failure of the connection before any journal went (a token): wait out the backoff. */
  connectionRetry(message: string): ErpStep {
    const failures = this.fail(message);
    return { kind: "wait", wakeAt: this.now() + backoffDelay(failures, { baseMs: 1_000, capMs: maxBackoffMs }) };
  }

  setState(state: ConnectionState): void {
    if (this.connection.state === state && this.connection.failures === 0) return;
    this.connection.state = state;
    this.connection.failures = 0;
    this.db.update(connection).set({ state, failures: 0 }).where(eq(connection.id, 1)).run();
  }

  /** What is left to do after a run: idle, or wake when the next pending journal is due. */
  afterRun(): ErpStep {
    const next = this.nextDueAt();
    if (next === null) {
      this.setState("idle");
      return { kind: "idle" };
    }
    return { kind: "wait", wakeAt: Math.max(next, this.now()) };
  }

  /**
   * Room left in a sliding window of `windowMs` holding at most `limit`
   * requests, counted from the requests recorded (durably, so a restart
   * does not forget them), and when the oldest of them leaves the window.
   */
  requestWindow(limit: number, windowMs: number): { room: number; freeAt: number } {
    const since = this.now() - windowMs;
    const used = this.db
      .select({ n: sql<number>`coalesce(sum(${activity.amount}), 0)`, oldest: min(activity.at) })
      .from(activity)
      .where(and(eq(activity.kind, "request"), gt(activity.at, since)))
      .get()!;
    return { room: limit - used.n, freeAt: (used.oldest ?? this.now()) + windowMs + 1 };
  }

  record(kind: (typeof activity.$inferSelect)["kind"], amount: number): void {
    const at = this.now();
    this.db.insert(activity).values({ at, kind, amount }).run();
    // Every request sent to the ERP posts something there: a partner's "connector writes".
    if (kind === "request") countWrites(this.db, at, amount);
  }
}
