import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, LocationId, Timestamp } from "./common.ts";

/** The tender types a POS transaction pays with (PosTender.type). */
export const tenderTypes = ["cash", "card", "gift_card"] as const;
export type TenderType = (typeof tenderTypes)[number];

/** Tenders that clear through an account of their own; a gift card redeemed debits the gift-card liability instead. */
export const clearingTenderTypes = ["cash", "card"] as const;

const AccountNumber = z.string().min(1).max(64).openapi({ example: "4000" });
const DimensionValue = z.string().min(1).max(100);

/**
 * Where each kind of journal line posts. Every field is checked after the
 * schema (shared/finance-settings.ts), so that a gap answers 422
 * account_mapping_incomplete with the missing names, and a tender type
 * nobody knows 422 unknown_tender_type.
 */
export const FinanceAccounts = z
  .object({
    grossSales: AccountNumber.optional(),
    discounts: AccountNumber.optional(),
    returns: AccountNumber.optional().openapi({ description: "Returns and refunds (contra revenue)." }),
    shippingIncome: AccountNumber.optional(),
    giftCardLiability: AccountNumber.optional(),
    overShort: AccountNumber.optional().openapi({ description: "Suspense / cash over-short: what a POS transaction's tenders do not cover (or cover twice)." }),
    fees: AccountNumber.optional().openapi({ description: "Fees from settlements (posted once settlements are matched)." }),
    bank: AccountNumber.optional().openapi({ description: "The bank account payouts are deposited to. Needed before settlements are imported." }),
    reserves: AccountNumber.optional().openapi({ description: "Funds a payment provider or marketplace holds back (a receivable). Needed before settlements are imported." }),
    settlementAdjustments: AccountNumber.optional().openapi({ description: "Settlement adjustments that belong to no order (reimbursements, corrections). Needed before settlements are imported." }),
    taxPayable: z.record(z.string().min(1).max(64), AccountNumber).optional().openapi({ description: "Per tax line title; must hold the default tax title." }),
    tenderClearing: z.record(z.string().min(1).max(64), AccountNumber).optional().openapi({ description: "Per tender type: cash and card (a gift card redeemed debits giftCardLiability)." }),
    channelClearing: z
      .object({ default: AccountNumber.optional(), byChannel: z.record(ChannelId, AccountNumber).default({}) })
      .strict()
      .optional()
      .openapi({ description: "What a channel's marketplace or payment provider owes until it pays out: per channel, else the default." }),
  })
  .strict()
  .openapi("FinanceAccounts");
export type FinanceAccounts = z.infer<typeof FinanceAccounts>;

export const FinanceDimensions = z
  .object({
    locations: z.record(LocationId, DimensionValue).default({}).openapi({ description: "Our location id → the ERP's location; unmapped ones go as our id." }),
    channels: z.record(ChannelId, DimensionValue).default({}).openapi({ description: "Our channel id → the ERP's department; unmapped ones go as our id." }),
    classes: z.record(ChannelId, DimensionValue).default({}).openapi({ description: "Our channel id → the ERP's class; unmapped ones go empty." }),
  })
  .strict()
  .openapi("FinanceDimensions");
export type FinanceDimensions = z.infer<typeof FinanceDimensions>;

export const FinanceSettings = z
  .object({
    timeZone: z.string().min(1).max(64).default("UTC").openapi({ description: "The tenant's IANA time zone: business days are its calendar days.", example: "America/New_York" }),
    cutoff: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "HH:MM, 24-hour")
      .default("02:00")
      .openapi({ description: "A business day closes at this local time of the next day; what arrives later for it goes into an adjustment journal.", example: "02:00" }),
    salesDocumentsOn: z.enum(["fulfilled", "created"]).default("fulfilled").openapi({ description: "When an order becomes a sale in the books (and a sales document for the ERP): on each fulfilment, or once when created." }),
    defaultTaxTitle: z.string().min(1).max(64).default("tax").openapi({ description: "The tax line title of POS and order tax, which carry one tax amount per line." }),
    accounts: FinanceAccounts,
    dimensions: FinanceDimensions.default({ locations: {}, channels: {}, classes: {} }),
  })
  .strict()
  .openapi("FinanceSettings");
export type FinanceSettings = z.infer<typeof FinanceSettings>;

/**
 * A journal line's kind. With its `detail` (tax title, tender type or
 * channel) it names one line of a journal and one account of the mapping.
 */
export const JournalLineKind = z.enum(["gross_sales", "discounts", "returns", "shipping_income", "tax_payable", "gift_card_liability", "tender_clearing", "channel_clearing", "over_short", "fees", "bank", "reserves", "settlement_adjustments", "settlement_suspense"]);
export type JournalLineKind = z.infer<typeof JournalLineKind>;

export const JournalLine = z
  .object({
    line: z.number().int().openapi({ description: "1, 2, … within the journal." }),
    kind: JournalLineKind,
    detail: z.string().nullable().openapi({ description: "The tax title, tender type or channel the line is for." }),
    account: z.string(),
    debit: z.number().int().openapi({ description: "Minor units; 0 when the line is a credit." }),
    credit: z.number().int().openapi({ description: "Minor units; 0 when the line is a debit." }),
    memo: z.string(),
    sourceCount: z.number().int().openapi({ description: "How many sources (POS transactions, order fulfilments, refunds) make up this line." }),
  })
  .openapi("JournalLine");
export type JournalLine = z.infer<typeof JournalLine>;

export const JournalSummary = z
  .object({
    id: z.string().openapi({ description: "The external id: JE-<tenant>-<date>-<location>-<channel>-<sequence>; the same journal always has the same.", example: "JE-acme-2026-11-23-store-a-pos-0" }),
    date: z.string().openapi({ example: "2026-11-23" }),
    location: LocationId,
    channel: ChannelId,
    sequence: z.number().int().openapi({ description: "0: the day's journal, posted at the cut-off; 1, 2, …: adjustment journals for what arrived later." }),
    adjustment: z.boolean(),
    currency: z.string(),
    totalDebit: z.number().int(),
    totalCredit: z.number().int(),
    sourceCount: z.number().int(),
    postedAt: Timestamp,
  })
  .openapi("JournalSummary");
export type JournalSummary = z.infer<typeof JournalSummary>;

export const Journal = JournalSummary.extend({ lines: z.array(JournalLine) }).openapi("Journal");
export type Journal = z.infer<typeof Journal>;

export const JournalsQuery = z.object({
  date: z.iso.date().optional(),
  location: LocationId.optional(),
  channel: ChannelId.optional(),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type JournalsQuery = z.infer<typeof JournalsQuery>;

export const JournalPage = z.object({ journals: z.array(JournalSummary), nextCursor: z.string().nullable() }).openapi("JournalPage");
export type JournalPage = z.infer<typeof JournalPage>;

export const SourceKind = z.enum(["pos", "order", "refund", "settlement"]);
export type SourceKind = z.infer<typeof SourceKind>;

export const SourceAmount = z
  .object({
    source: z.string().openapi({ description: "The contribution's key: pos:<location>:<transactionId>, order:<orderId>:<event>, refund:<returnId>:<event>.", example: "pos:store-a:T01-000123" }),
    kind: SourceKind,
    sourceId: z.string().openapi({ description: "The POS transaction id, order id or return id." }),
    externalId: z.string().openapi({ description: "The idempotency key that brought it in: the POS transaction id, or <channel>:<the channel's order id>." }),
    amount: z.number().int().openapi({ description: "What it put on the line, minor units: positive credit, negative debit." }),
  })
  .openapi("SourceAmount");
export type SourceAmount = z.infer<typeof SourceAmount>;

export const LineSourcesPage = z.object({ sources: z.array(SourceAmount), nextCursor: z.string().nullable() }).openapi("LineSourcesPage");
export type LineSourcesPage = z.infer<typeof LineSourcesPage>;

export const LineSourcesQuery = z.object({ cursor: Cursor.optional(), limit: z.coerce.number().int().min(1).max(1000).default(500) });

/** One source's part in the books: where it went (or, while its day is open, that it waits). */
export const SourceContribution = z
  .object({
    source: z.string(),
    kind: SourceKind,
    sourceId: z.string(),
    externalId: z.string(),
    date: z.string(),
    location: LocationId,
    channel: ChannelId,
    journalId: z.string().nullable().openapi({ description: "null while its day is open (or its mapping incomplete)." }),
    salesDocumentId: z
      .string()
      .nullable()
      .openapi({ description: "An order sale: the external id of the sales document it made for the ERP (decision 0027); null for other sources.", example: "web:SHOP-10042" }),
    lines: z.array(
      z.object({
        kind: JournalLineKind,
        detail: z.string().nullable(),
        line: z.number().int().nullable().openapi({ description: "The journal line it went into; null while unposted." }),
        amount: z.number().int().openapi({ description: "Positive credit, negative debit, minor units." }),
      }),
    ),
  })
  .openapi("SourceContribution");
export type SourceContribution = z.infer<typeof SourceContribution>;

/**
 * An order's units becoming sales, as a document for the ERP: one per
 * order event that booked units (its creation, or each fulfilment), made in
 * the ledger's transaction that books them. `externalId` is the order's
 * idempotency key (`<channel>:<channel order id>`), suffixed `~<n>` for the
 * order's n-th document (n ≥ 2): see shared/sales-document-ids.ts.
 */
export const SalesDocument = z
  .object({
    externalId: z.string().openapi({ example: "web:SHOP-10042" }),
    orderId: z.string(),
    channel: ChannelId,
    channelOrderId: z.string().openapi({ example: "SHOP-10042" }),
    sequence: z.number().int().min(1).openapi({ description: "1 for the order's first document, n for its n-th (a later fulfilment)." }),
    location: LocationId,
    date: z.string().openapi({ description: "The business day it was booked on (tenant time zone)." }),
    currency: z.string(),
    lines: z.array(
      z.object({
        sku: z.string(),
        qty: z.number().int().openapi({ description: "Units this event counted as sold." }),
        unitPrice: z.number().int(),
        discount: z.number().int().openapi({ description: "These units' share of the line's discount, minor units." }),
        tax: z.number().int().openapi({ description: "These units' share of the line's tax, minor units." }),
      }),
    ),
    shipping: z.number().int().openapi({ description: "The order's shipping, on its first document only." }),
    source: z.string().openapi({ description: "The ledger contribution that made it (order:<orderId>:<eventId>)." }),
    occurredAt: Timestamp,
    traceId: z.string().nullable().optional().openapi({ description: "The order's trace (GET /v1/traces/{traceId}); absent on documents booked before documents carried traces." }),
  })
  .openapi("SalesDocument");
export type SalesDocument = z.infer<typeof SalesDocument>;

export const SourceTrace = z.object({ contributions: z.array(SourceContribution) }).openapi("SourceTrace");
export type SourceTrace = z.infer<typeof SourceTrace>;

export const ExportQuery = z.object({ format: z.enum(["netsuite-csv"]).default("netsuite-csv") });
export const DayExportQuery = ExportQuery.extend({ date: z.iso.date() });
