import { and, asc, eq, gt, lte, min, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { backoffDelay } from "../../shared/backoff.ts";
import type { ConnectionState } from "../../shared/schemas/connections.ts";
import { exceptionQueue, type ConnectionIdentity } from "../objects.ts";
import * as schema from "../schema/erp-connection.ts";

const { connection, journals, activity } = schema;

export type ErpConnectionRow = typeof connection.$inferSelect;
export type ErpJournalRow = typeof journals.$inferSelect;

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
 * the journals due, each one's outcome (posted, refused with an exception,
 * to retry after a backoff), throttled answers, requests, and the
 * connection's state. The ERP-specific part is each sender in ./connectors/.
 */
export class ErpOutbox {
  readonly db: ErpOutboxOptions["db"];

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

  /** When the next pending journal may be sent (null: none pending). */
  nextDueAt(): number | null {
    return this.db.select({ at: min(journals.notBefore) }).from(journals).where(eq(journals.state, "pending")).get()?.at ?? null;
  }

  /** Saves how far a journal got (Business Central's steps) before the next step is sent. */
  saveProgress(journalId: string, progress: Record<string, unknown>): void {
    this.db.update(journals).set({ progress }).where(eq(journals.journalId, journalId)).run();
  }

  /** The ERP holds the journal: it is never sent again. */
  posted(journalId: string): void {
    this.options.transaction(() => {
      this.db.update(journals).set({ state: "posted", postedAt: this.now(), lastError: null }).where(eq(journals.journalId, journalId)).run();
      this.record("posted", 1);
      this.setState("syncing");
    });
  }

  /** The ERP will not take the journal as it is: set aside with an exception for a person; later journals go on. */
  async refuse(row: ErpJournalRow, reason: string): Promise<void> {
    this.db.update(journals).set({ state: "refused", lastError: reason.slice(0, 500) }).where(eq(journals.journalId, row.journalId)).run();
    this.db.update(connection).set({ lastError: `${row.journalId}: ${reason}`.slice(0, 500), lastErrorAt: this.now() }).where(eq(connection.id, 1)).run();
    const { tenantId, connectionId } = this.options.identity;
    await exceptionQueue(this.options.env, tenantId).record([
      {
        naturalKey: `erp_journal_refused:${connectionId}:${row.journalId}`,
        type: "erp_journal_refused",
        subject: `journal:${row.journalId}@${connectionId}`,
        correlationId: row.journalId,
        payload: { connection: connectionId, remote: this.connection.type, journalId: row.journalId, reason: reason.slice(0, 500) },
      },
    ]);
  }

  /** A failure of this journal's call: it waits out a backoff (with jitter, growing with its attempts); returns when. */
  retryLater(row: ErpJournalRow, message: string): number {
    const failures = this.fail(message);
    const wakeAt = this.now() + backoffDelay(Math.max(row.attempts, failures), { baseMs: 1_000, capMs: maxBackoffMs });
    this.db.update(journals).set({ attempts: row.attempts + 1, notBefore: wakeAt, lastError: message.slice(0, 500) }).where(eq(journals.journalId, row.journalId)).run();
    return wakeAt;
  }

  /** The ERP said to slow down: counted, and nothing is sent before `wakeAt`. */
  throttled(wakeAt: number): ErpStep {
    this.record("throttled", 1);
    this.setState("throttled");
    this.db.update(journals).set({ notBefore: sql`max(${journals.notBefore}, ${wakeAt})` }).where(eq(journals.state, "pending")).run();
    return { kind: "wait", wakeAt };
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
    this.db.insert(activity).values({ at: this.now(), kind, amount }).run();
  }
}
