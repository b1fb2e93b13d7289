import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, externalIdPattern, Timestamp } from "./common.ts";

/** Where a settlement comes from, and so how its body reads. */
export const SettlementSource = z.enum(["shopify-payments", "amazon-v2", "stripe"]).openapi({
  description:
    "shopify-payments: a ShopifyPaymentsPayout as the Admin GraphQL API returns it, with its balanceTransactions (nodes or edges); amazon-v2: Amazon's V2 settlement report, the tab-separated flat file; stripe: `{ payout, balance_transactions }`, the payout and the `data` of GET /v1/balance_transactions?payout=po_…&expand[]=data.source.",
});
export type SettlementSource = z.infer<typeof SettlementSource>;

export const ImportSettlementQuery = z.object({
  source: SettlementSource,
  channel: ChannelId.openapi({ description: "The channel whose orders the settlement pays out: its order references are that channel's order ids, and the channel's clearing account is cleared.", example: "web" }),
});
export type ImportSettlementQuery = z.infer<typeof ImportSettlementQuery>;

/**
 * What a settlement line is in the books. charge and refund belong to an
 * order and must match one; fee, reserve and adjustment post to their
 * accounts without matching.
 */
export const SettlementLineKind = z.enum(["charge", "refund", "fee", "reserve", "adjustment"]);
export type SettlementLineKind = z.infer<typeof SettlementLineKind>;

/** Kinds of line that must be matched to an order before the payout reconciles. */
export const orderLineKinds: readonly SettlementLineKind[] = ["charge", "refund"];

export const PayoutId = z
  .string()
  .regex(externalIdPattern, "<source>:<the source's payout or settlement id>")
  .openapi({ description: "<source>:<the source's payout or settlement id>.", example: "shopify-payments:987654321" });

export const SettlementLineMatch = z
  .object({
    orderId: z.string().openapi({ example: "ord_3f1c0a9e8d7c6b5a4f3e2d1c0b" }),
    externalId: z.string().openapi({ description: "The channel's order id the line's reference named." }),
  })
  .openapi("SettlementLineMatch");
export type SettlementLineMatch = z.infer<typeof SettlementLineMatch>;

export const SettlementLine = z
  .object({
    line: z.number().int().openapi({ description: "1, 2, … in the order the source listed them." }),
    sourceLineId: z.string().openapi({ description: "The source's id of the line: the balance transaction id (Shopify, Stripe) or the row's line number in the file (Amazon)." }),
    kind: SettlementLineKind,
    description: z.string().openapi({ description: "What the source called it: its transaction type, or Amazon's amount type and description.", example: "CHARGE" }),
    reference: z.string().nullable().openapi({ description: "The order reference the line carries (the channel's order id), null when it has none." }),
    amount: z.number().int().openapi({ description: "Gross, minor units; positive when money came in (a charge), negative when it went out (a refund, a fee)." }),
    fee: z.number().int().openapi({ description: "The fee taken on it, minor units (positive is a cost)." }),
    net: z.number().int().openapi({ description: "amount − fee: what it added to the deposit." }),
    occurredAt: Timestamp.nullable(),
    matched: SettlementLineMatch.nullable().openapi({ description: "The order a charge or refund matched; null for other kinds and for unmatched lines." }),
    unmatchedReason: z.string().nullable().openapi({ description: "Why a charge or refund is not matched (yet); an exception `settlement_line_unmatched` holds it until it is." }),
  })
  .openapi("SettlementLine");
export type SettlementLine = z.infer<typeof SettlementLine>;

export const PayoutStatus = z.enum(["reconciled", "unreconciled"]).openapi({
  description: "reconciled: every charge and refund matched an order and matched + fees + reserves + adjustments = deposit.",
});
export type PayoutStatus = z.infer<typeof PayoutStatus>;

export const PayoutTotals = z
  .object({
    matched: z.number().int().openapi({ description: "Gross of the charges and refunds that matched an order." }),
    unmatched: z.number().int().openapi({ description: "Gross of the charges and refunds that did not (yet)." }),
    fees: z.number().int().openapi({ description: "Fees, signed as they reduce the deposit (negative is a cost)." }),
    reserves: z.number().int().openapi({ description: "Held back (negative) or released (positive)." }),
    adjustments: z.number().int(),
    linesNet: z.number().int().openapi({ description: "The sum of every line's net." }),
    unexplained: z.number().int().openapi({ description: "deposit − linesNet: what the lines do not account for (a `payout_unbalanced` exception when not 0)." }),
    difference: z.number().int().openapi({ description: "deposit − (matched + fees + reserves + adjustments) = unmatched + unexplained." }),
  })
  .openapi("PayoutTotals");
export type PayoutTotals = z.infer<typeof PayoutTotals>;

export const PayoutSummary = z
  .object({
    id: PayoutId,
    source: SettlementSource,
    externalId: z.string().openapi({ description: "The source's payout or settlement id." }),
    channel: ChannelId,
    currency: z.string().openapi({ example: "USD" }),
    deposit: z.number().int().openapi({ description: "What reached (positive) or left (negative) the bank, minor units." }),
    depositDate: z.string().openapi({ description: "The payout's date as the source gives it (ISO 8601).", example: "2026-11-24" }),
    periodStart: z.string().nullable(),
    periodEnd: z.string().nullable(),
    status: PayoutStatus,
    difference: z.number().int(),
    lineCount: z.number().int(),
    unmatchedCount: z.number().int(),
    ledgerSource: z.string().openapi({ description: "The key the payout is booked under in the books (GET /v1/finance/sources/settlement/{id})." }),
    importedAt: Timestamp,
  })
  .openapi("PayoutSummary");
export type PayoutSummary = z.infer<typeof PayoutSummary>;

export const MissingItem = z
  .object({
    line: z.number().int().nullable().openapi({ description: "The line that is missing its order; null for the part of the deposit no line explains." }),
    reference: z.string().nullable(),
    amount: z.number().int(),
    reason: z.string(),
  })
  .openapi("PayoutMissingItem");
export type MissingItem = z.infer<typeof MissingItem>;

export const Payout = PayoutSummary.extend({
  totals: PayoutTotals,
  lines: z.array(SettlementLine),
  missing: z.array(MissingItem).openapi({ description: "What keeps the payout from reconciling: each unmatched line, and the unexplained part of the deposit." }),
}).openapi("Payout");
export type Payout = z.infer<typeof Payout>;

export const ImportedPayout = Payout.extend({
  replayed: z.boolean().openapi({ description: "true: this payout was imported before (same source and id, same content) and nothing was applied again." }),
}).openapi("ImportedPayout");
export type ImportedPayout = z.infer<typeof ImportedPayout>;

export const PayoutsQuery = z.object({
  status: PayoutStatus.optional(),
  source: SettlementSource.optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type PayoutsQuery = z.infer<typeof PayoutsQuery>;

export const PayoutPage = z.object({ payouts: z.array(PayoutSummary), nextCursor: z.string().nullable() }).openapi("PayoutPage");
export type PayoutPage = z.infer<typeof PayoutPage>;

export const SettlementProblem = z
  .object({
    row: z.number().int().nullable().openapi({ description: "The line of the file (Amazon; the header is line 1) or the position of the balance transaction from 1 (Shopify, Stripe); null for the payout itself." }),
    field: z.string().nullable().openapi({ example: "currency" }),
    reason: z.string().openapi({ example: "currency EUR differs from the payout's USD" }),
  })
  .openapi("SettlementProblem");
export type SettlementProblem = z.infer<typeof SettlementProblem>;
