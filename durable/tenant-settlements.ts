import { and, asc, eq, sql } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { canonicalJson, sha256Hex } from "../shared/ids.ts";
import { matchPostings, needsMatch, netOf, settlementPostings, type ParsedSettlement } from "../shared/settlement-postings.ts";
import type { MissingItem, Payout, PayoutPage, PayoutsQuery, PayoutSummary, PayoutTotals, SettlementLine } from "../shared/schemas/settlements.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import type { SettlementContribution } from "./finance-contributions.ts";
import migrations from "./migrations/tenant-settlements/migrations.js";
import { exceptionQueue, financeLedger, orderIdOf, orderIndex, parseName, type TenantIdentity } from "./objects.ts";
import { pageBySeq } from "./paging.ts";
import * as schema from "./schema/tenant-settlements.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { handoffs, payouts, settlementLines } = schema;

type PayoutRow = typeof payouts.$inferSelect;
type LineRow = typeof settlementLines.$inferSelect;

/** The location a settlement's postings are booked under: a payout belongs to no store. */
export const settlementLocation = "settlements";

/** How soon the alarm hands a payout's bookings and exceptions on again after the ledger or the queue could not take them. */
export const handoffRetryMs = 60_000;

/** The id a payout is kept under: `<source>:<the source's id>`. */
export function payoutIdOf(settlement: Pick<ParsedSettlement, "source" | "externalId">): string {
  return `${settlement.source}:${settlement.externalId}`;
}

/** What re-matching a line found. */
export interface RematchOutcome {
  matched: boolean;
  detail: string;
}

/**
 * One per tenant: its payouts (Shopify Payments payouts, Amazon settlements,
 * Stripe payouts), each imported once by id, with every line and what it
 * matched. A charge or refund matches the order whose channel id its
 * reference names (the order index knows the tenant's orders). Importing
 * books the payout in the finance ledger as one source and raises an
 * exception per unmatched line and for a deposit the lines do not explain;
 * both are handed on after the import's transaction from `handoffs`, so a
 * crash between them retries rather than loses them, and the ledger and the
 * queue each skip what they already have.
 *
 * A line once matched stays matched: its gross then moves from settlement
 * suspense to the channel's clearing account (a second contribution).
 */
export class TenantSettlements extends ShelfsyncObject<typeof schema, TenantIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  /**
   * Imports a settlement for `channel`, once: the same id with the same
   * content answers the payout as stored (`replayed`), with other content
   * `conflict`, and changes nothing either way.
   */
  async importSettlement(settlement: ParsedSettlement, channel: string): Promise<Result<{ payout: Payout; replayed: boolean }>> {
    return this.serialized(async () => {
      const id = payoutIdOf(settlement);
      const checksum = await sha256Hex(canonicalJson({ channel, settlement }));
      const earlier = this.db.select().from(payouts).where(eq(payouts.id, id)).get();
      if (earlier) {
        if (earlier.checksum !== checksum) return fail("conflict", `Payout ${id} was imported before with other content (or for another channel); nothing was applied`, { payoutId: id });
        await this.handOff();
        return { ok: true, payout: this.view(earlier), replayed: true };
      }
      const references = await this.referencedOrders(settlement, channel);
      const known = new Set(await orderIndex(this.env, this.identity.tenantId).existing([...references.values()]));
      const now = this.now();
      this.transaction(() => {
        const lines: LineRow[] = settlement.lines.map((line, index) => {
          const orderId = line.reference === null ? undefined : references.get(line.reference);
          const matchable = needsMatch(line.kind);
          const matched = matchable && orderId !== undefined && known.has(orderId) ? orderId : null;
          return {
            payoutId: id,
            line: index + 1,
            sourceLineId: line.sourceLineId,
            kind: line.kind,
            description: line.description,
            reference: line.reference,
            amount: line.amount,
            fee: line.fee,
            occurredAt: line.occurredAt,
            matchedOrderId: matched,
            unmatchedReason: !matchable || matched ? null : line.reference === null ? (line.noReferenceReason ?? "the line names no order") : `no order ${line.reference} on channel ${channel}`,
          };
        });
        const linesNet = lines.reduce((total, line) => total + netOf(line), 0);
        const unmatched = lines.filter((line) => line.unmatchedReason !== null);
        const row = {
          id,
          source: settlement.source,
          externalId: settlement.externalId,
          channel,
          currency: settlement.currency,
          deposit: settlement.deposit,
          depositDate: settlement.depositDate,
          periodStart: settlement.periodStart,
          periodEnd: settlement.periodEnd,
          checksum,
          lineCount: lines.length,
          unmatchedCount: unmatched.length,
          unmatchedAmount: unmatched.reduce((total, line) => total + line.amount, 0),
          unexplained: settlement.deposit - linesNet,
          importedAt: now,
        };
        this.db.insert(payouts).values(row).run();
        for (const line of lines) this.db.insert(settlementLines).values(line).run();
        const booking: SettlementContribution = {
          kind: "settlement",
          key: `settlement:${id}`,
          payoutId: id,
          channel,
          location: settlementLocation,
          occurredAt: settlement.depositDate,
          currency: settlement.currency,
          postings: settlementPostings(
            lines.map((line) => ({ ...line, matched: line.matchedOrderId !== null })),
            settlement.deposit,
            channel,
          ),
        };
        const drafts: ExceptionDraft[] = lines.filter((line) => line.unmatchedReason !== null).map((line) => this.unmatchedDraft(row, line));
        if (row.unexplained !== 0) {
          drafts.push({
            type: "payout_unbalanced",
            naturalKey: `payout_unbalanced:${id}`,
            subject: `payout:${id}`,
            correlationId: settlement.externalId,
            payload: { payoutId: id, deposit: row.deposit, linesNet, unexplained: row.unexplained, currency: row.currency },
          });
        }
        this.db.insert(handoffs).values({ payoutId: id, contributions: [booking], exceptions: drafts, createdAt: now }).run();
      });
      await this.handOff();
      return { ok: true, payout: this.view(this.db.select().from(payouts).where(eq(payouts.id, id)).get()!), replayed: false };
    });
  }

  /**
   * Looks for the order of an unmatched charge or refund again (the order
   * may have arrived since). Matched: the line records it and its gross moves
   * from suspense to the channel's clearing account, once.
   */
  async rematchLine(payoutId: string, lineNumber: number): Promise<RematchOutcome> {
    return this.serialized(async () => {
      const payout = this.db.select().from(payouts).where(eq(payouts.id, payoutId)).get();
      const line = this.db.select().from(settlementLines).where(and(eq(settlementLines.payoutId, payoutId), eq(settlementLines.line, lineNumber))).get();
      if (!payout || !line) return { matched: false, detail: `payout ${payoutId} has no line ${lineNumber}` };
      if (line.matchedOrderId !== null) return { matched: true, detail: `line ${lineNumber} already matched order ${line.matchedOrderId}` };
      if (line.reference === null) return { matched: false, detail: `line ${lineNumber} names no order (${line.unmatchedReason ?? "no reference"}); book it by hand, then resolve` };
      const orderId = await orderIdOf(this.identity.tenantId, payout.channel, line.reference);
      const [found] = await orderIndex(this.env, this.identity.tenantId).existing([orderId]);
      if (found === undefined) return { matched: false, detail: `still no order ${line.reference} on channel ${payout.channel}` };
      const now = this.now();
      this.transaction(() => {
        this.db.update(settlementLines).set({ matchedOrderId: orderId, unmatchedReason: null }).where(and(eq(settlementLines.payoutId, payoutId), eq(settlementLines.line, lineNumber))).run();
        this.db.update(payouts).set({ unmatchedCount: sql`${payouts.unmatchedCount} - 1`, unmatchedAmount: sql`${payouts.unmatchedAmount} - ${line.amount}` }).where(eq(payouts.id, payoutId)).run();
        const match: SettlementContribution = {
          kind: "settlement",
          key: `settlement:${payoutId}:match:${lineNumber}`,
          payoutId,
          channel: payout.channel,
          location: settlementLocation,
          occurredAt: new Date(now).toISOString(),
          currency: payout.currency,
          postings: matchPostings(line.amount, payout.channel),
        };
        this.db.insert(handoffs).values({ payoutId, contributions: [match], exceptions: [], createdAt: now }).run();
      });
      await this.handOff();
      return { matched: true, detail: `line ${lineNumber} matched order ${orderId} (${line.reference}); ${line.amount} ${payout.currency} minor units moved from settlement suspense to channel clearing` };
    });
  }

  /** Whether the deposit is still not the sum of the payout's lines (it is fixed once imported: a person books the gap). */
  async recheckBalance(payoutId: string): Promise<{ balanced: boolean; detail: string }> {
    const payout = this.db.select().from(payouts).where(eq(payouts.id, payoutId)).get();
    if (!payout) return { balanced: false, detail: `no payout ${payoutId}` };
    if (payout.unexplained === 0) return { balanced: true, detail: `payout ${payoutId}'s lines add up to its deposit` };
    return { balanced: false, detail: `the deposit differs from the sum of the lines by ${payout.unexplained} ${payout.currency} minor units (in settlement suspense); book the missing movement by hand, then resolve` };
  }

  async get(payoutId: string): Promise<Result<{ payout: Payout }>> {
    const row = this.db.select().from(payouts).where(eq(payouts.id, payoutId)).get();
    return row ? { ok: true, payout: this.view(row) } : fail("not_found", `No payout ${payoutId}`);
  }

  async list(filter: Pick<PayoutsQuery, "status" | "source">, after: number, limit: number): Promise<PayoutPage> {
    const reconciled = sql`(${payouts.unmatchedCount} = 0 AND ${payouts.unexplained} = 0)`;
    const { page, nextCursor } = pageBySeq(
      this.db,
      payouts,
      [filter.source && eq(payouts.source, filter.source), filter.status && (filter.status === "reconciled" ? reconciled : sql`NOT ${reconciled}`)].map((condition) => condition || undefined),
      after,
      limit,
    );
    return { payouts: page.map(summaryOf), nextCursor };
  }

  protected override async onAlarm(): Promise<number | null> {
    return (await this.handOff()) ? null : this.now() + handoffRetryMs;
  }

  /** The order id of every reference a charge or refund carries. */
  private async referencedOrders(settlement: ParsedSettlement, channel: string): Promise<Map<string, string>> {
    const references = new Map<string, string>();
    for (const line of settlement.lines) {
      if (line.reference !== null && needsMatch(line.kind) && !references.has(line.reference)) references.set(line.reference, await orderIdOf(this.identity.tenantId, channel, line.reference));
    }
    return references;
  }

  /**
   * Hands pending contributions to the ledger and exceptions to the queue,
   * oldest first, deleting each row only once both took it. False (and the
   * alarm set) when something could not be reached.
   */
  private async handOff(): Promise<boolean> {
    const pending = this.db.select().from(handoffs).orderBy(asc(handoffs.seq)).all();
    for (const row of pending) {
      try {
        if (row.contributions.length > 0) await financeLedger(this.env, this.identity.tenantId).contribute(row.contributions);
        if (row.exceptions.length > 0) await exceptionQueue(this.env, this.identity.tenantId).record(row.exceptions);
      } catch {
        await this.wakeBy(this.now() + handoffRetryMs);
        return false;
      }
      this.db.delete(handoffs).where(eq(handoffs.seq, row.seq)).run();
    }
    return true;
  }

  private unmatchedDraft(payout: Pick<PayoutRow, "id" | "channel" | "currency" | "externalId">, line: LineRow): ExceptionDraft {
    return {
      type: "settlement_line_unmatched",
      naturalKey: `settlement_line_unmatched:${payout.id}:${line.line}`,
      subject: `payout:${payout.id}#${line.line}`,
      correlationId: line.reference ?? payout.externalId,
      payload: {
        payoutId: payout.id,
        channel: payout.channel,
        line: line.line,
        sourceLineId: line.sourceLineId,
        kind: line.kind === "refund" ? "refund" : "charge",
        reference: line.reference,
        amount: line.amount,
        currency: payout.currency,
        reason: line.unmatchedReason ?? "unmatched",
      },
    };
  }

  private view(row: PayoutRow): Payout {
    const rows = this.db.select().from(settlementLines).where(eq(settlementLines.payoutId, row.id)).orderBy(asc(settlementLines.line)).all();
    const lines = rows.map(lineOf);
    const totals: PayoutTotals = { matched: 0, unmatched: 0, fees: 0, reserves: 0, adjustments: 0, linesNet: 0, unexplained: row.unexplained, difference: 0 };
    const missing: MissingItem[] = [];
    for (const line of lines) {
      totals.linesNet += line.net;
      switch (line.kind) {
        case "charge":
        case "refund":
          if (line.matched) totals.matched += line.amount;
          else {
            totals.unmatched += line.amount;
            missing.push({ line: line.line, reference: line.reference, amount: line.amount, reason: line.unmatchedReason ?? "unmatched" });
          }
          totals.fees -= line.fee;
          break;
        case "fee":
          totals.fees += line.net;
          break;
        case "reserve":
          totals.reserves += line.net;
          break;
        case "adjustment":
          totals.adjustments += line.net;
          break;
      }
    }
    totals.difference = row.deposit - (totals.matched + totals.fees + totals.reserves + totals.adjustments);
    if (row.unexplained !== 0) missing.push({ line: null, reference: null, amount: row.unexplained, reason: "the deposit is not the sum of the lines: the source did not list this movement" });
    return { ...summaryOf(row), totals, lines, missing };
  }
}

function lineOf(row: LineRow): SettlementLine {
  return {
    line: row.line,
    sourceLineId: row.sourceLineId,
    kind: row.kind,
    description: row.description,
    reference: row.reference,
    amount: row.amount,
    fee: row.fee,
    net: netOf(row),
    occurredAt: row.occurredAt,
    matched: row.matchedOrderId === null || row.reference === null ? null : { orderId: row.matchedOrderId, externalId: row.reference },
    unmatchedReason: row.unmatchedReason,
  };
}

function summaryOf(row: PayoutRow): PayoutSummary {
  const reconciled = row.unmatchedCount === 0 && row.unexplained === 0;
  return {
    id: row.id,
    source: row.source,
    externalId: row.externalId,
    channel: row.channel,
    currency: row.currency,
    deposit: row.deposit,
    depositDate: row.depositDate,
    periodStart: row.periodStart,
    periodEnd: row.periodEnd,
    status: reconciled ? "reconciled" : "unreconciled",
    difference: row.unmatchedAmount + row.unexplained,
    lineCount: row.lineCount,
    unmatchedCount: row.unmatchedCount,
    ledgerSource: `settlement:${row.id}`,
    importedAt: new Date(row.importedAt).toISOString(),
  };
}
