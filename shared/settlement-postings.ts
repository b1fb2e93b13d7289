import { netted, type Posting } from "./finance-postings.ts";
import { orderLineKinds, type SettlementLineKind, type SettlementProblem, type SettlementSource } from "./schemas/settlements.ts";

/** One line of a settlement as read from its source, in minor units of the payout's currency. */
export interface ParsedSettlementLine {
  sourceLineId: string;
  kind: SettlementLineKind;
  description: string;
  /** The channel's order id the line names (charges, refunds; fees may carry one too), or null. */
  reference: string | null;
  /** Why a charge or refund has no reference, said on the line while it stays unmatched. */
  noReferenceReason?: string;
  amount: number;
  fee: number;
  occurredAt: string | null;
}

/** A settlement (payout) read whole from its source: the deposit and every line. */
export interface ParsedSettlement {
  source: SettlementSource;
  externalId: string;
  currency: string;
  deposit: number;
  depositDate: string;
  periodStart: string | null;
  periodEnd: string | null;
  lines: ParsedSettlementLine[];
}

/** A source's reading: the settlement, or every problem found (then nothing of it is applied). */
export type SettlementReading = { ok: true; settlement: ParsedSettlement } | { ok: false; problems: SettlementProblem[] };

/** What the postings of a settlement need of each line. */
export interface LineForPosting {
  kind: SettlementLineKind;
  amount: number;
  fee: number;
  matched: boolean;
}

export function netOf(line: Pick<LineForPosting, "amount" | "fee">): number {
  return line.amount - line.fee;
}

export function needsMatch(kind: SettlementLineKind): boolean {
  return orderLineKinds.includes(kind);
}

/**
 * A settlement's postings (credit positive, debit negative), which sum to
 * zero:
 * - debit bank by the deposit;
 * - a matched charge credits the channel's clearing account by its gross (a
 *   matched refund, negative, debits it), clearing what the order's sale
 *   debited; an unmatched one goes to settlement suspense until it matches;
 * - every fee debits fees; reserves held back debit reserves (released:
 *   credit); adjustments post to settlement adjustments, each by its net;
 * - what the lines do not explain (deposit − Σ net) goes to settlement
 *   suspense, so the books balance and the gap shows in one account.
 *
 * @example
 * settlementPostings([{ kind: "charge", amount: 10000, fee: 320, matched: true }], 9680, "web")
 * // bank −9680, channel_clearing:web +10000, fees −320
 */
export function settlementPostings(lines: LineForPosting[], deposit: number, channel: string): Posting[] {
  const postings: Posting[] = [{ kind: "bank", detail: null, amount: -deposit }];
  let linesNet = 0;
  for (const line of lines) {
    linesNet += netOf(line);
    switch (line.kind) {
      case "charge":
      case "refund":
        postings.push(line.matched ? { kind: "channel_clearing", detail: channel, amount: line.amount } : { kind: "settlement_suspense", detail: null, amount: line.amount });
        postings.push({ kind: "fees", detail: null, amount: -line.fee });
        break;
      case "fee":
        postings.push({ kind: "fees", detail: null, amount: netOf(line) });
        break;
      case "reserve":
        postings.push({ kind: "reserves", detail: null, amount: netOf(line) });
        break;
      case "adjustment":
        postings.push({ kind: "settlement_adjustments", detail: null, amount: netOf(line) });
        break;
    }
  }
  postings.push({ kind: "settlement_suspense", detail: null, amount: deposit - linesNet });
  return netted(postings);
}

/** A line matched after its settlement was booked: its gross moves from settlement suspense to the channel's clearing account. */
export function matchPostings(amount: number, channel: string): Posting[] {
  return netted([
    { kind: "settlement_suspense", detail: null, amount: -amount },
    { kind: "channel_clearing", detail: channel, amount },
  ]);
}
