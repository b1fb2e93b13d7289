// Over 400 lines on purpose: a Durable Object's RPC methods and alarm must be members of its class, and this is
// the one object per store that takes its POS transactions. What lies behind them lives by concept elsewhere:
// store-movements.ts (stock), store-exceptions.ts, store-loyalty.ts (points), store-traces.ts; what stays here
// is the batch, its exactly-once bookkeeping and the outboxes that hand accepted transactions on.
import { traceIdOf } from "../shared/tracing.ts";
import { and, asc, count, eq, gt, gte, inArray, lt, lte, min } from "drizzle-orm";
import { forEachLimited } from "../shared/for-each-limited.ts";
import {
  describeIssues,
  maxReportedGaps,
  PosTransaction,
  transactionIdOf,
  type StoreTransactionBatchResult,
  type StoreTransactionEnvelope,
  type StoreTransactionResult,
} from "../shared/schemas/store-transactions.ts";
import type { ResolvedCode } from "./catalog-store.ts";
import migrations from "./migrations/store-ingest/migrations.js";
import { availabilityIndex, catalogStore, exceptionQueue, financeLedger, parseName, skuObject, type StoreIdentity } from "./objects.ts";
import { chunks } from "./paging.ts";
import * as schema from "./schema/store-ingest.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { exceptionsOf, shortages } from "./store-exceptions.ts";
import { posMovementKey, posReference, type StoreMovement, type StoreMovementOutcome } from "./store-movements.ts";
import { applyStoreLoyalty, movesPoints } from "./store-loyalty.ts";
import { handOffHops, storeBatchHops, type HandOffStep, type TracedTransaction } from "./store-traces.ts";
import { recordHops } from "./trace-hops.ts";

const { ingestMeta, ledgerOutbox, loyaltyOutbox, transactions, receivedSequences } = schema;

type Meta = typeof ingestMeta.$inferSelect;
type TransactionRow = typeof transactions.$inferSelect;
type Gap = StoreTransactionBatchResult["gaps"][number];

/** How long a transaction may stay half-applied (after a crash) before the alarm finishes it. */
export const pendingRetryMs = 30_000;

/** How soon the alarm hands accepted transactions to the finance ledger again after it could not. */
export const ledgerRetryMs = 60_000;

/**
 * How long after a batch is accepted the alarm hands it to the finance
 * ledger: off the batch path, so a replaying store does not wait on the
 * books, and a second of batches goes over in one hand-off.
 */
export const ledgerHandOffDelayMs = 1_000;

/** Accepted transactions handed to the finance ledger in one call. */
const ledgerBatch = 200;

/**
 * Accepted transactions whose points move in one hand-off: each customer's
 * effects of a hand-off go in one call to its object, so a page larger than
 * the number of customers a store sees in a second gives each call several
 * (at 200 a page, a replay's page touched nearly as many customers as it had
 * sales). The page's bodies are held in memory while it is handed over.
 */
const loyaltyBatch = 2_000;

/**
 * While a store's batches keep coming (a replay after an outage), its points
 * are moved once the oldest waiting transaction is this old, rather than a
 * second after each batch: each customer's call then carries several of its
 * sales. A second after the last batch, what waits is moved at once.
 */
export const loyaltyMaxWaitMs = 5_000;

/** SKU objects called at once while a batch is applied. */
const skuConcurrency = 32;

/** Received sequence numbers read at once while the high-water mark advances. */
const receivePage = 500;

const ledgerTypes = { sale: "pos_sale", return: "pos_return", void: "pos_void" } as const;

/**
 * One per (tenant, store location): the single way POS transactions of that
 * store reach inventory. Batches run one after another. Each transaction id
 * is recorded for good, so a resend is answered "duplicate" however late.
 *
 * A new transaction is first recorded `pending` with the movements its lines
 * make (SKU resolved once, then fixed), then applied through the SKU objects
 * under a key per line, then recorded `accepted`. A crash in between leaves it
 * pending: the next batch or the alarm applies it again, and the SKU objects'
 * keys make that a no-op for lines already applied. So it counts exactly once.
 */
export class StoreIngest extends ShelfsyncObject<typeof schema, StoreIdentity> {
  /** When the last batch arrived (in memory: after an eviction, points move at the next alarm). */
  private lastBatchAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.store });
  }

  /**
   * Ingests one batch from the store's agent and answers per transaction,
   * with the high-water mark and gaps. Batches run one after another: an
   * await on a SKU object must not let another batch interleave.
   */
  async ingest(envelopes: StoreTransactionEnvelope[]): Promise<StoreTransactionBatchResult> {
    // On arrival, not on answer: the alarm a second after a batch is applied must find the store quiet unless another came.
    this.lastBatchAt = this.now();
    return this.serialized(() => this.ingestBatch(envelopes));
  }

  /**
   * Finishes transactions a crash left pending, then hands accepted ones to
   * the ledger. The hand-off runs beside batches, not behind them: it only
   * reads and deletes outbox rows by id, and a batch only adds rows, so a
   * replaying store's batches never wait on the books.
   */
  protected override async onAlarm(): Promise<number | null> {
    const meta = this.meta();
    if (!meta) return null;
    await this.serialized(async () => {
      const pending = this.pendingRows();
      if (pending.length === 0) return;
      // A failed alarm is retried by the runtime, with backoff.
      const { failed, cause } = await this.apply(meta, pending);
      if (failed > 0) throw new Error(`${failed} pending POS transactions of ${meta.location} could not be applied: ${cause}`);
    });
    const booked = await this.handToLedger(meta);
    const pointsDueAt = this.loyaltyDueAt();
    const pointsMoved = pointsDueAt === null ? await this.handToLoyalty(meta) : true;
    const retryAt = booked && pointsMoved ? null : this.now() + ledgerRetryMs;
    return retryAt === null || pointsDueAt === null ? (retryAt ?? pointsDueAt) : Math.min(retryAt, pointsDueAt);
  }

  /**
   * When the points of the transactions waiting in the loyalty outbox are
   * due to move, if later than now: while batches keep coming (the last one
   * arrived within a second), not before the oldest has waited
   * `loyaltyMaxWaitMs`. The batches' own alarm, a second after each, comes
   * again; so does this one.
   */
  private loyaltyDueAt(): number | null {
    const now = this.now();
    if (this.lastBatchAt === null || now - this.lastBatchAt >= ledgerHandOffDelayMs) return null;
    const oldest = this.db.select({ at: min(loyaltyOutbox.queuedAt) }).from(loyaltyOutbox).get()?.at ?? null;
    if (oldest === null || now - oldest >= loyaltyMaxWaitMs) return null;
    return oldest + loyaltyMaxWaitMs;
  }

  private async ingestBatch(envelopes: StoreTransactionEnvelope[]): Promise<StoreTransactionBatchResult> {
    const meta = this.claim();
    const now = this.now();
    const results: StoreTransactionResult[] = [];
    const decided = new Map<string, StoreTransactionResult>();
    const fresh: ({ sequence: number } & TracedTransaction)[] = [];
    const rejected: (typeof transactions.$inferInsert)[] = [];

    const checked = envelopes.map(({ sequence, transaction, traceparent, recordedAt }) => {
      const parsed = PosTransaction.safeParse(transaction);
      return { sequence, parsed, traceparent, recordedAt, transactionId: parsed.success ? parsed.data.transactionId : transactionIdOf(transaction) };
    });
    const stored = this.storedAnswers(checked.flatMap(({ transactionId }) => (transactionId === null ? [] : [transactionId])));

    for (const { sequence, parsed, transactionId, traceparent, recordedAt } of checked) {
      const result: StoreTransactionResult = { sequence, transactionId, status: "accepted" };
      results.push(result);
      if (transactionId !== null) {
        const earlier = decided.get(transactionId);
        if (earlier) {
          Object.assign(result, repeated(earlier));
          continue;
        }
        decided.set(transactionId, result);
        const earlierBatch = stored.get(transactionId);
        // A pending one was half-applied when a crash hit: it is applied again below, with the rest pending.
        if (earlierBatch?.status === "pending") continue;
        if (earlierBatch) {
          Object.assign(result, repeated(earlierBatch));
          continue;
        }
      }
      if (!parsed.success) {
        Object.assign(result, { status: "rejected", code: "validation_failed", reason: describeIssues(parsed.error) });
        // Without a valid id there is nothing to remember it by; validating it again gives the same answer.
        if (transactionId !== null) rejected.push({ transactionId, sequence, status: "rejected", code: "validation_failed", reason: result.reason!, receivedAt: now, settledAt: now });
        continue;
      }
      fresh.push({ sequence, transaction: parsed.data, traceparent, recordedAt });
    }

    const resolved = await this.resolve(meta, fresh.flatMap(({ transaction }) => transaction.lines.map((line) => line.sku)));
    const highWaterMark = this.transaction(() => {
      for (const row of rejected) this.db.insert(transactions).values(row).run();
      for (const { sequence, transaction, traceparent } of fresh) {
        this.db
          .insert(transactions)
          .values({ transactionId: transaction.transactionId, sequence, status: "pending", body: transaction, movements: plan(transaction, resolved), receivedAt: now, traceparent: traceparent ?? null })
          .run();
      }
      return this.receive(meta, envelopes.map((envelope) => envelope.sequence));
    });

    // Every pending transaction, also those a crash left behind, in the store's order: a SKU's movements keep it.
    const pending = this.pendingRows();
    if (pending.length > 0) {
      // Set before applying, for a crash in the middle; an earlier alarm (a hand-off due) stays.
      await this.wakeBy(now + pendingRetryMs);
      const { failed, cause } = await this.apply(meta, pending);
      // An infrastructure fault, not an answer: the agent resends the batch, as after any 5xx.
      if (failed > 0) throw new Error(`${failed} of ${pending.length} POS transactions of ${meta.location} could not be applied yet (${cause}); resend the batch`);
      // The books hear of them from the alarm: a batch answers without waiting on the ledger.
      await this.wakeBy(this.now() + ledgerHandOffDelayMs);
      await recordHops(this.env, meta.tenantId, storeBatchHops(meta.location, fresh, now, this.now()));
    }
    return { location: meta.location, results, highWaterMark, gaps: this.gaps(highWaterMark) };
  }

  /**
   * Applies pending transactions: one call per SKU with its movements in
   * order, then their exceptions, and only then records them accepted.
   */
  private async apply(meta: Meta, rows: TransactionRow[]): Promise<{ failed: number; cause?: string }> {
    const { failedSkus, outcomes } = await this.move(
      meta,
      rows.flatMap((row) => row.movements!.filter((movement) => !movement.held).map((movement) => ({ row, movement }))),
    );
    const applied = rows.filter((row) => row.movements!.every((movement) => movement.held || !failedSkus.has(movement.sku)));
    const drafts = applied.flatMap((row) => exceptionsOf(meta.location, { transactionId: row.transactionId, body: row.body!, movements: row.movements! }, outcomes));
    if (drafts.length > 0) await exceptionQueue(this.env, meta.tenantId).record(drafts);
    const now = this.now();
    this.transaction(() => {
      for (const ids of chunks(applied.map((row) => row.transactionId))) {
        this.db.update(transactions).set({ status: "accepted", settledAt: now }).where(inArray(transactions.transactionId, ids)).run();
      }
      // Accepted and owed to the books in one write: the ledger hears of every accepted transaction, after this commits.
      // Two parameters a row: 45 rows a statement keep within the 100 bound parameters.
      for (const ids of chunks(applied.map((row) => row.transactionId), 45)) {
        this.db.insert(ledgerOutbox).values(ids.map((transactionId) => ({ transactionId, queuedAt: now }))).onConflictDoNothing().run();
      }
      for (const ids of chunks(applied.filter((row) => movesPoints(row.body!)).map((row) => row.transactionId), 45)) {
        this.db.insert(loyaltyOutbox).values(ids.map((transactionId) => ({ transactionId, queuedAt: now }))).onConflictDoNothing().run();
      }
    });
    const [firstFailure] = failedSkus;
    return { failed: rows.length - applied.length, cause: firstFailure && `SKU ${firstFailure[0]}: ${firstFailure[1]}` };
  }

  /** Hands accepted transactions to the tenant's finance ledger (it books each once). False if it could not be reached. */
  private handToLedger(meta: Meta): Promise<boolean> {
    return this.drain(ledgerOutbox, ledgerBatch, async (rows) => {
      await financeLedger(this.env, meta.tenantId).contribute(rows.map(({ body }) => ({ kind: "pos" as const, location: meta.location, transaction: body })));
      return rows.map(({ transactionId, body }) => ({ transactionId, hop: "finance.booked", where: "ledger", detail: `${body.type} at ${meta.location}` }));
    });
  }

  /** Moves the points of accepted transactions' customers (docs/decisions/0038). False if they could not all move. */
  private handToLoyalty(meta: Meta): Promise<boolean> {
    return this.drain(loyaltyOutbox, loyaltyBatch, async (rows) => {
      const originalOf = (body: PosTransaction) => body.returnsTransactionId ?? body.voidsTransactionId;
      const originals = this.bodiesOf(rows.flatMap(({ body }) => originalOf(body) ?? []));
      const moved = await applyStoreLoyalty(this.env, meta.tenantId, meta.location, rows.map(({ body }) => ({ transaction: body, original: originals.get(originalOf(body) ?? "") ?? null })));
      return moved.map(({ transactionId, customerId, detail }) => ({ transactionId, hop: "loyalty.applied", where: customerId, detail }));
    });
  }

  /**
   * Hands the transactions queued in `outbox` to `hand`, oldest first, up
   * to `page` at a time, removing each page only after `hand` took it, and
   * records the steps `hand` names in the traced transactions' traces.
   * False if it could not: they stay for the alarm.
   */
  private async drain(outbox: typeof ledgerOutbox | typeof loyaltyOutbox, page: number, hand: (rows: { transactionId: string; body: PosTransaction }[]) => Promise<HandOffStep[]>): Promise<boolean> {
    try {
      for (;;) {
        const rows = this.db
          .select({ transactionId: outbox.transactionId, body: transactions.body, traceparent: transactions.traceparent })
          .from(outbox)
          .innerJoin(transactions, eq(transactions.transactionId, outbox.transactionId))
          .orderBy(asc(transactions.sequence))
          .limit(page)
          .all();
        if (rows.length === 0) return true;
        const steps = await hand(rows.map((row) => ({ transactionId: row.transactionId, body: row.body! })));
        for (const ids of chunks(rows.map((row) => row.transactionId))) this.db.delete(outbox).where(inArray(outbox.transactionId, ids)).run();
        const traceparents = new Map(rows.map((row) => [row.transactionId, row.traceparent]));
        await recordHops(this.env, this.identity.tenantId, handOffHops(steps, traceparents, this.now()));
      }
    } catch {
      return false;
    }
  }

  /** The bodies of those of `transactionIds` this store recorded. */
  private bodiesOf(transactionIds: string[]): Map<string, PosTransaction> {
    const bodies = new Map<string, PosTransaction>();
    for (const ids of chunks([...new Set(transactionIds)])) {
      for (const row of this.db.select({ transactionId: transactions.transactionId, body: transactions.body }).from(transactions).where(inArray(transactions.transactionId, ids)).all()) {
        if (row.body) bodies.set(row.transactionId, row.body);
      }
    }
    return bodies;
  }

  /**
   * Applies the held lines of one transaction (codes nothing knew when it
   * came) whose codes the catalog knows now, under the SKU each names now:
   * the replay of its `unknown_sku` exception. Each line moves stock under
   * its own key, so a second run changes nothing. Answers the codes still
   * unknown.
   */
  async applyHeld(transactionId: string): Promise<{ applied: string[]; stillUnknown: string[] }> {
    return this.serialized(async () => {
      const meta = this.meta();
      const row = meta && this.db.select().from(transactions).where(eq(transactions.transactionId, transactionId)).get();
      const held = row?.movements?.filter((movement) => movement.held) ?? [];
      if (!meta || !row || held.length === 0) return { applied: [], stillUnknown: [] };
      const resolved = await catalogStore(this.env, meta.tenantId).resolveCodes(held.map((movement) => movement.code));
      const ready = held.filter((movement) => resolved[movement.code]?.known).map((movement) => ({ ...movement, sku: resolved[movement.code]!.sku, held: false }));
      const { failedSkus, outcomes } = await this.move(meta, ready.map((movement) => ({ row, movement })));
      if (failedSkus.size > 0) throw new Error(`held lines of ${transactionId} could not be applied yet: ${[...failedSkus.values()][0]}`);
      const drafts = shortages(meta.location, transactionId, ready, outcomes);
      if (drafts.length > 0) await exceptionQueue(this.env, meta.tenantId).record(drafts);
      const byLine = new Map(ready.map((movement) => [movement.line, movement]));
      const movements = row.movements!.map((movement) => byLine.get(movement.line) ?? movement);
      this.db.update(transactions).set({ movements }).where(eq(transactions.transactionId, transactionId)).run();
      return { applied: [...new Set(ready.map((movement) => movement.code))], stillUnknown: [...new Set(held.filter((movement) => !resolved[movement.code]?.known).map((movement) => movement.code))] };
    });
  }

  /**
   * Each code's SKU (the catalog's, through barcodes) and, for codes the
   * catalog does not know, whether the inventory does (the read model, so
   * no SKU object is woken or made for a made-up code).
   */
  private async resolve(meta: Meta, codes: string[]): Promise<Resolution> {
    if (codes.length === 0) return { resolved: {}, inventoried: new Set() };
    const resolved = await catalogStore(this.env, meta.tenantId).resolveCodes(codes);
    const unknown = Object.keys(resolved).filter((code) => !resolved[code]!.known);
    const inventoried = unknown.length === 0 ? [] : await availabilityIndex(this.env, meta.tenantId).inventoried(unknown);
    return { resolved, inventoried: new Set(inventoried) };
  }

  /** Moves stock for the given lines: one call per SKU, its movements in order. */
  private async move(meta: Meta, lines: { row: TransactionRow; movement: schema.PlannedMovement }[]) {
    const bySku = new Map<string, StoreMovement[]>();
    for (const { row, movement } of lines) {
      const list = bySku.get(movement.sku) ?? [];
      list.push({
        key: posMovementKey(meta.location, row.transactionId, movement.line),
        type: movement.type,
        location: meta.location,
        qty: movement.qty,
        reference: posReference(row.transactionId, movement.line),
        reason: `terminal ${row.body!.terminalId}`,
        occurredAt: Date.parse(row.body!.occurredAt),
        traceId: traceIdOf(row.traceparent),
      });
      bySku.set(movement.sku, list);
    }
    const failedSkus = new Map<string, string>();
    const outcomes = new Map<string, StoreMovementOutcome>();
    await forEachLimited([...bySku], skuConcurrency, async ([sku, movements]) => {
      try {
        const result = await skuObject(this.env, meta.tenantId, sku).applyStoreMovements(movements);
        if (!result.ok) throw new Error(`${result.code}: ${result.detail}`);
        for (const outcome of result.outcomes) outcomes.set(outcome.key, outcome);
      } catch (error) {
        // Its transactions stay pending and are applied again by the retry; the other SKUs' effects stand.
        failedSkus.set(sku, String(error));
      }
    });
    return { failedSkus, outcomes };
  }

  /** What this object recorded for those of the transaction ids it has seen. */
  private storedAnswers(transactionIds: string[]): Map<string, Answer> {
    const answers = new Map<string, Answer>();
    for (const ids of chunks([...new Set(transactionIds)])) {
      const rows = this.db
        .select({ transactionId: transactions.transactionId, status: transactions.status, code: transactions.code, reason: transactions.reason })
        .from(transactions)
        .where(inArray(transactions.transactionId, ids))
        .all();
      for (const row of rows) answers.set(row.transactionId, { status: row.status, code: row.code ?? undefined, reason: row.reason ?? undefined });
    }
    return answers;
  }

  /**
   * Records received sequence numbers and advances the high-water mark over
   * those that now follow on without a gap. Only numbers above the mark are
   * kept: the mark stands for all below it.
   */
  private receive(meta: Meta, sequences: number[]): number {
    let mark = meta.highWaterMark;
    for (const above of chunks(sequences.filter((sequence) => sequence > mark))) {
      this.db.insert(receivedSequences).values(above.map((sequence) => ({ sequence }))).onConflictDoNothing().run();
    }
    for (;;) {
      const run = this.db.select().from(receivedSequences).where(gt(receivedSequences.sequence, mark)).orderBy(asc(receivedSequences.sequence)).limit(receivePage).all();
      const start = mark;
      for (const { sequence } of run) {
        if (sequence !== mark + 1) break;
        mark = sequence;
      }
      if (run.length < receivePage || mark - start < run.length) break;
    }
    if (mark > meta.highWaterMark) {
      this.db.delete(receivedSequences).where(lte(receivedSequences.sequence, mark)).run();
      this.db.update(ingestMeta).set({ highWaterMark: mark }).where(eq(ingestMeta.id, 1)).run();
    }
    return mark;
  }

  private gaps(mark: number): Gap[] {
    const gaps: Gap[] = [];
    let expected = mark + 1;
    const above = this.db.select().from(receivedSequences).where(gt(receivedSequences.sequence, mark)).orderBy(asc(receivedSequences.sequence)).all();
    for (const { sequence } of above) {
      if (sequence > expected) gaps.push({ from: expected, to: sequence - 1 });
      if (gaps.length === maxReportedGaps) break;
      expected = sequence + 1;
    }
    return gaps;
  }

  private pendingRows(): TransactionRow[] {
    return this.db.select().from(transactions).where(eq(transactions.status, "pending")).orderBy(asc(transactions.sequence)).all();
  }

  private meta(): Meta | undefined {
    return this.db.select().from(ingestMeta).where(eq(ingestMeta.id, 1)).get();
  }

  /** The store's row (its high-water mark), made on the first batch. */
  private claim(): Meta {
    let meta = this.meta();
    if (!meta) {
      meta = { id: 1, ...this.identity, highWaterMark: 0 };
      this.db.insert(ingestMeta).values(meta).run();
    }
    return meta;
  }

  /** For the partner's usage report: transactions accepted that the edge received in [from, to) (ms). Read only, no counter kept. */
  async acceptedBetween(from: number, to: number): Promise<number> {
    const inRange = and(eq(transactions.status, "accepted"), gte(transactions.receivedAt, from), lt(transactions.receivedAt, to));
    return this.db.select({ n: count() }).from(transactions).where(inRange).get()!.n;
  }
}

/** What a transaction id got the first time, as far as a resend of it needs to know. */
interface Answer {
  status: "pending" | "accepted" | "duplicate" | "rejected";
  code?: string;
  reason?: string;
}

/** The answer to a transaction id seen before: a rejection is repeated word for word, anything else is a duplicate. */
function repeated(first: Answer): Pick<StoreTransactionResult, "status" | "code" | "reason"> {
  return first.status === "rejected" ? { status: "rejected", code: first.code, reason: first.reason } : { status: "duplicate" };
}

/** What the catalog and the inventory know of a batch's codes. */
interface Resolution {
  resolved: Record<string, ResolvedCode>;
  inventoried: Set<string>;
}

/**
 * The movements a transaction's lines make, with each code resolved to its
 * SKU once and for good; a code neither the catalog nor the inventory knows
 * is held (no movement, no SKU object) and named by its exception instead.
 */
function plan(transaction: PosTransaction, { resolved, inventoried }: Resolution): schema.PlannedMovement[] {
  return transaction.lines.map((line, index) => {
    const { sku, known } = resolved[line.sku] ?? { sku: line.sku, known: false };
    return { line: index + 1, sku, code: line.sku, known, held: !known && !inventoried.has(line.sku), type: ledgerTypes[transaction.type], qty: line.qty };
  });
}

