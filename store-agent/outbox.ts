import { childTraceparent, traceIdOf } from "../shared/tracing.ts";
import type { InStatement, ResultSet } from "@libsql/client";
import { and, asc, count, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import { createHash } from "node:crypto";
import { canonicalJson } from "../shared/ids.ts";
import type { PosTransaction, PosTransactionReceipt } from "../shared/schemas/store-transactions.ts";
import { toStatement, type AgentDatabase, type WriteStatement } from "./db/client.ts";
import { agentState, deadLetter, isPending, isSent, outbox, pendingCondition } from "./db/schema.ts";

/**
 * What recording a transaction came to. Only `recorded` stored anything:
 * `replayed` is the same transaction id with the same body (the first
 * answer again), `conflict` the same id with another body.
 */
export type RecordOutcome =
  | { kind: "recorded"; receipt: PosTransactionReceipt }
  | { kind: "replayed"; receipt: PosTransactionReceipt }
  | { kind: "conflict"; receipt: PosTransactionReceipt };

/** A pending row as the replayer sends it: `body` is the PosTransaction's JSON text. */
export interface OutboxEntry {
  sequence: number;
  transactionId: string;
  body: string;
  /** Null for a row recorded before traces were kept. */
  traceparent?: string | null;
  recordedAt?: number;
}

/** The edge's answer for one transaction of a batch. */
export type Acknowledgement =
  | { sequence: number; status: "accepted" | "duplicate" }
  | { sequence: number; status: "rejected"; code: string; reason: string | null };

export interface EdgeProgress {
  highWaterMark: number;
  gaps: { from: number; to: number }[];
}

export interface Backlog {
  size: number;
  oldestSequence: number | null;
  oldestRecordedAt: number | null;
}

/*
 * One sale is three statements in one write transaction: the insert takes
 * the next sequence number from agent_state (and does nothing if the
 * transaction id is already there), the counter moves only if that row now
 * exists, and the select reads back whichever row holds the transaction id.
 * So a sequence number is used exactly when a row is committed: no gaps.
 */
const insertNext = `
INSERT INTO outbox (sequence, transaction_id, terminal_id, type, receipt_number, body, body_hash, recorded_at, status, traceparent)
SELECT last_sequence + 1, ?, ?, ?, printf('%s-%08d', location, last_sequence + 1), ?, ?, ?, 'pending', ?
FROM agent_state WHERE id = 1
ON CONFLICT (transaction_id) DO NOTHING`;

const advanceSequence = `
UPDATE agent_state SET last_sequence = last_sequence + 1
WHERE id = 1 AND EXISTS (SELECT 1 FROM outbox WHERE sequence = agent_state.last_sequence + 1)`;

const readBack = `SELECT sequence, receipt_number, recorded_at, body_hash, traceparent FROM outbox WHERE transaction_id = ?`;

const deadLetterFromOutbox = `
INSERT INTO dead_letter (sequence, transaction_id, code, reason, body, dead_at)
SELECT sequence, transaction_id, ?, ?, body, ? FROM outbox WHERE sequence = ? AND ${pendingCondition}
ON CONFLICT (sequence) DO NOTHING`;

interface PreparedRow {
  transaction: PosTransaction;
  body: string;
  hash: string;
  traceparent: string;
  /** Written in the same transaction, just before the row (see {@link Outbox.record}). */
  effects: InStatement[];
}

interface QueuedRecord {
  row: PreparedRow;
  resolve: (outcome: RecordOutcome) => void;
  reject: (error: unknown) => void;
}

/** Statements per SQLite transaction stay in the hundreds. */
const maxGroup = 200;

/**
 * The stored body, the hash that tells a retry (same body) from a conflict
 * (another body under the same id), and the transaction's trace: a span of
 * the terminal's (its traceparent header) or the first of a new trace.
 */
function prepare(transaction: PosTransaction, terminalTrace?: string | null, effects: WriteStatement[] = []): PreparedRow {
  return {
    transaction,
    body: JSON.stringify(transaction),
    hash: createHash("sha256").update(canonicalJson(transaction)).digest("hex"),
    traceparent: childTraceparent(terminalTrace),
    effects: effects.map(toStatement),
  };
}

/**
 * The condition an effect of {@link Outbox.record} must carry: true only
 * while `transactionId` is not recorded yet. The effects run just before the
 * row's insert, in the same write transaction, so they take place exactly
 * when the row is inserted, never for a retry of a recorded id.
 *
 * @example
 * db.update(table).set({ used: 1 }).where(and(eq(table.id, id), notYetRecorded(transaction.transactionId)))
 */
export function notYetRecorded(transactionId: string): SQL {
  return sql`not exists (select 1 from ${outbox} where ${outbox.transactionId} = ${transactionId})`;
}

/**
 * `{"transactions":[…]}` around the entries, and
 * `{"sequence":N,"traceparent":"…","recordedAt":"…","transaction":…},` around each (N up to 15 digits).
 */
const batchEnvelopeBytes = 19;
const entryEnvelopeBytes = 45 + 71 + 42;

/**
 * The durable outbox: every POS transaction the agent acknowledges is a row
 * here, committed (WAL, synchronous=FULL) before the caller answers. Rows are
 * marked sent or dead-lettered only from the edge's answer for them.
 *
 * @example
 * const outbox = new Outbox(store);
 * const outcome = await outbox.record(transaction);
 * if (outcome.kind === "recorded") reply(201, outcome.receipt);
 */
export class Outbox {
  readonly #store: AgentDatabase;
  readonly #clock: () => number;
  readonly #queued: QueuedRecord[] = [];
  #scheduled = false;
  #committing = false;

  constructor(store: AgentDatabase, clock: () => number = Date.now) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * Records one transaction; resolves after the commit. Transactions that
   * arrive while a commit is being written share the next one (group
   * commit): each still gets its own sequence number in arrival order, but
   * the fsync is paid once per group. `effects` are committed with the row,
   * so a crash keeps both or neither; each must be conditioned on
   * {@link notYetRecorded}.
   */
  record(transaction: PosTransaction, terminalTrace?: string | null, effects: WriteStatement[] = []): Promise<RecordOutcome> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ row: prepare(transaction, terminalTrace, effects), resolve, reject });
      this.#schedule();
    });
  }

  /** Records several transactions in one durable commit, in order. */
  async recordMany(transactions: PosTransaction[]): Promise<RecordOutcome[]> {
    return this.#commit(transactions.map((transaction) => prepare(transaction)));
  }

  #schedule(): void {
    if (this.#committing || this.#scheduled || this.#queued.length === 0) return;
    this.#scheduled = true;
    // After the current I/O phase, so that requests read in the same turn join the group.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#commitQueued();
    });
  }

  async #commitQueued(): Promise<void> {
    const group = this.#queued.splice(0, maxGroup);
    this.#committing = true;
    try {
      const outcomes = await this.#commit(group.map((q) => q.row));
      group.forEach((q, i) => q.resolve(outcomes[i]!));
    } catch {
      // One bad row must not fail the others: each alone, in order.
      for (const q of group) {
        await this.#commit([q.row]).then(([outcome]) => q.resolve(outcome!), q.reject);
      }
    } finally {
      this.#committing = false;
      this.#schedule();
    }
  }

  async #commit(rows: PreparedRow[]): Promise<RecordOutcome[]> {
    const now = this.#clock();
    const insertAt: number[] = [];
    const statements: InStatement[] = [];
    for (const { transaction, body, hash, traceparent, effects } of rows) {
      statements.push(...effects);
      insertAt.push(statements.length);
      statements.push(
        { sql: insertNext, args: [transaction.transactionId, transaction.terminalId, transaction.type, body, hash, now, traceparent] },
        { sql: advanceSequence, args: [] },
        { sql: readBack, args: [transaction.transactionId] },
      );
    }
    const results = await this.#store.write(statements);
    return rows.map(({ transaction, hash }, i) => {
      const inserted = results[insertAt[i]!]!.rowsAffected === 1;
      const row = results[insertAt[i]! + 2]!.rows[0];
      if (!row) throw new Error(`outbox: no row for ${transaction.transactionId} after recording it`);
      const receipt: PosTransactionReceipt = {
        transactionId: transaction.transactionId,
        receiptNumber: String(row.receipt_number),
        sequence: Number(row.sequence),
        recordedAt: new Date(Number(row.recorded_at)).toISOString(),
        traceId: traceIdOf(row.traceparent === null ? null : String(row.traceparent)),
      };
      if (inserted) return { kind: "recorded", receipt };
      return { kind: row.body_hash === hash ? "replayed" : "conflict", receipt };
    });
  }

  /**
   * The oldest pending rows in sequence order: at most `limit`, and at most
   * `maxBytes` once wrapped in a StoreTransactionBatch (but always one row).
   */
  async pending(limit: number, maxBytes = Number.POSITIVE_INFINITY): Promise<OutboxEntry[]> {
    const rows = await this.#store.db
      .select({ sequence: outbox.sequence, transactionId: outbox.transactionId, body: outbox.body, traceparent: outbox.traceparent, recordedAt: outbox.recordedAt })
      .from(outbox)
      .where(isPending)
      .orderBy(asc(outbox.sequence))
      .limit(limit);
    let bytes = batchEnvelopeBytes;
    const batch: OutboxEntry[] = [];
    for (const row of rows) {
      bytes += Buffer.byteLength(row.body) + entryEnvelopeBytes;
      if (batch.length > 0 && bytes > maxBytes) break;
      batch.push(row);
    }
    return batch;
  }

  /**
   * Applies the edge's answers in one write transaction: accepted and
   * duplicate rows become sent, rejected ones move to the dead letters.
   * A row the edge did not answer for stays pending and is sent again.
   * `edge` is null when the answer came without the edge's progress (a
   * transaction refused alone as too large).
   */
  async settle(acknowledgements: Acknowledgement[], edge: EdgeProgress | null): Promise<{ sent: number; deadLettered: number }> {
    const now = this.#clock();
    const statements: WriteStatement[] = [];
    const sentStatements: number[] = [];
    for (const status of ["accepted", "duplicate"] as const) {
      const sequences = acknowledgements.filter((a) => a.status === status).map((a) => a.sequence);
      if (sequences.length === 0) continue;
      sentStatements.push(statements.length);
      statements.push(
        this.#store.db
          .update(outbox)
          .set({ status: "sent", edgeStatus: status, sentAt: now })
          .where(and(inArray(outbox.sequence, sequences), isPending)),
      );
    }
    const deadStatements: number[] = [];
    for (const ack of acknowledgements) {
      if (ack.status !== "rejected") continue;
      statements.push({ sql: deadLetterFromOutbox, args: [ack.code, ack.reason, now, ack.sequence] });
      deadStatements.push(statements.length);
      statements.push(
        this.#store.db
          .update(outbox)
          .set({ status: "dead_letter", edgeStatus: "rejected", sentAt: now })
          .where(and(eq(outbox.sequence, ack.sequence), isPending)),
      );
    }
    statements.push(
      this.#store.db
        .update(agentState)
        .set({
          lastPushOkAt: now,
          lastPushError: null,
          edgeReachable: true,
          edgeCheckedAt: now,
          ...(edge && { edgeHighWaterMark: edge.highWaterMark, edgeGaps: edge.gaps }),
        })
        .where(eq(agentState.id, 1)),
    );
    const results = await this.#store.write(statements);
    const affected = (indexes: number[]) => indexes.reduce((sum, i) => sum + (results[i] as ResultSet).rowsAffected, 0);
    return { sent: affected(sentStatements), deadLettered: affected(deadStatements) };
  }

  async backlog(): Promise<Backlog> {
    const db = this.#store.db;
    const [counted] = await db.select({ size: count() }).from(outbox).where(isPending);
    const oldest = await db
      .select({ sequence: outbox.sequence, recordedAt: outbox.recordedAt })
      .from(outbox)
      .where(isPending)
      .orderBy(asc(outbox.sequence))
      .limit(1)
      .get();
    return { size: counted?.size ?? 0, oldestSequence: oldest?.sequence ?? null, oldestRecordedAt: oldest?.recordedAt ?? null };
  }

  async deadLetterCount(): Promise<number> {
    const [counted] = await this.#store.db.select({ size: count() }).from(deadLetter);
    return counted?.size ?? 0;
  }

  /**
   * Deletes up to `limit` rows that the edge acknowledged before `sentBefore`.
   * The edge deduplicates for good, so a terminal that sends a pruned
   * transaction id again gets a new row, which the edge answers as duplicate.
   */
  async pruneSent(sentBefore: number, limit = 5_000): Promise<number> {
    const oldest = this.#store.db
      .select({ sequence: outbox.sequence })
      .from(outbox)
      .where(and(isSent, lt(outbox.sentAt, sentBefore)))
      .limit(limit);
    const [result] = await this.#store.write([this.#store.db.delete(outbox).where(inArray(outbox.sequence, oldest))]);
    return result?.rowsAffected ?? 0;
  }
}
