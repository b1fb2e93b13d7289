import { orderPostings, posPostings, refundPostings, type Posting, type UnitsCounted } from "../shared/finance-postings.ts";
import type { OrderLine } from "../shared/schemas/orders.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";

/** The channel every POS transaction books under. */
export const posChannel = "pos";

/** A POS transaction the store's ingest accepted. */
export interface PosContribution {
  kind: "pos";
  location: string;
  transaction: PosTransaction;
}

/** An order event that may make units of the order sales: `created` (the whole order) or `fulfilled` (the units shipped). */
export interface OrderContribution {
  kind: "order";
  trigger: "created" | "fulfilled";
  /** The outbound event's id: the same on every redelivery and replay. */
  eventId: string;
  orderId: string;
  channel: string;
  /** The channel's own order id. */
  externalId: string;
  location: string;
  occurredAt: string;
  currency: string;
  lines: Pick<OrderLine, "sku" | "qty" | "unitPrice" | "discount" | "tax">[];
  shipping: number;
  /** The units this event is about (all ordered units for `created`). */
  units: { sku: string; qty: number }[];
  /** The order's trace: its sales document carries it to the ERP connections. */
  traceId?: string | null;
}

/** A refund earned by return units received (the `order.returned` event). */
export interface RefundContribution {
  kind: "refund";
  eventId: string;
  returnId: string;
  orderId: string;
  channel: string;
  externalId: string;
  location: string;
  occurredAt: string;
  currency: string;
  amount: number;
}

/**
 * A settlement booked (key `settlement:<payoutId>`), or one of its lines
 * matched later (`settlement:<payoutId>:match:<line>`): the settlements object
 * computes the postings (shared/settlement-postings.ts), which sum to zero.
 */
export interface SettlementContribution {
  kind: "settlement";
  key: string;
  payoutId: string;
  channel: string;
  location: string;
  occurredAt: string;
  currency: string;
  postings: Posting[];
}

export type ContributionInput = PosContribution | OrderContribution | RefundContribution | SettlementContribution;

/** What the ledger stores of a contribution, less its business day and times. */
export interface ContributionFacts {
  key: string;
  kind: ContributionInput["kind"];
  sourceId: string;
  externalId: string;
  location: string;
  channel: string;
  currency: string;
  occurredAt: number;
  postings: Posting[];
}

/**
 * The key a source is booked under, once: pos:<location>:<transactionId>,
 * order:<orderId>:<eventId>, refund:<returnId>:<eventId>, settlement:<payoutId>[:match:<line>].
 */
export function contributionKey(input: ContributionInput): string {
  switch (input.kind) {
    case "pos":
      return `pos:${input.location}:${input.transaction.transactionId}`;
    case "order":
      return `order:${input.orderId}:${input.eventId}`;
    case "refund":
      return `refund:${input.returnId}:${input.eventId}`;
    case "settlement":
      return input.key;
  }
}

/**
 * A contribution's facts and postings. An order's units are counted against
 * what the books already hold of it (`booked`), so a unit becomes a sale
 * once whichever events bring it; `shippingBooked` says whether its shipping
 * is already in.
 */
export function factsOf(input: ContributionInput, taxTitle: string, booked: (sku: string) => number, shippingBooked: boolean): ContributionFacts & { counted: UnitsCounted[] } {
  const key = contributionKey(input);
  switch (input.kind) {
    case "pos": {
      const { transaction } = input;
      return {
        key,
        kind: "pos",
        sourceId: transaction.transactionId,
        externalId: transaction.transactionId,
        location: input.location,
        channel: posChannel,
        // A body stored before PosTransaction's default applied (or written by hand) has none: the contract's default.
        currency: transaction.currency ?? "USD",
        occurredAt: Date.parse(transaction.occurredAt),
        postings: posPostings(transaction, taxTitle),
        counted: [],
      };
    }
    case "order": {
      const counted: UnitsCounted[] = [];
      for (const { sku, qty } of input.units) {
        const ordered = input.lines.find((line) => line.sku === sku)?.qty ?? 0;
        const before = booked(sku);
        const now = Math.min(ordered, before + qty);
        if (now > before) counted.push({ sku, before, now });
      }
      const shipping = counted.length > 0 && !shippingBooked ? input.shipping : 0;
      return {
        key,
        kind: "order",
        sourceId: input.orderId,
        externalId: `${input.channel}:${input.externalId}`,
        location: input.location,
        channel: input.channel,
        currency: input.currency,
        occurredAt: Date.parse(input.occurredAt),
        postings: orderPostings(input.lines, counted, shipping, input.channel, taxTitle),
        counted,
      };
    }
    case "refund":
      return {
        key,
        kind: "refund",
        sourceId: input.returnId,
        externalId: `${input.channel}:${input.externalId}`,
        location: input.location,
        channel: input.channel,
        currency: input.currency,
        occurredAt: Date.parse(input.occurredAt),
        postings: refundPostings(input.amount, input.channel),
        counted: [],
      };
    case "settlement":
      if (input.postings.reduce((total, posting) => total + posting.amount, 0) !== 0) throw new Error(`settlement contribution ${input.key} does not balance`);
      return {
        key,
        kind: "settlement",
        sourceId: input.payoutId,
        externalId: input.payoutId,
        location: input.location,
        channel: input.channel,
        currency: input.currency,
        occurredAt: Date.parse(input.occurredAt),
        postings: input.postings,
        counted: [],
      };
  }
}
