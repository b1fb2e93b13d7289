import { Traceparent } from "./traces.ts";
import { z } from "@hono/zod-openapi";
import { checkLineAmounts, ExternalId, identifierPattern, LineAmounts, LocationId, maxMinorUnits, Sku, Timestamp } from "./common.ts";

export const PosLine = z
  .object({
    sku: Sku.openapi({ description: "The SKU or a barcode the terminal scanned (the identifier character set); an unknown one is still recorded." }),
    qty: z.number().int().min(1).max(10_000),
    ...LineAmounts,
  })
  .strict()
  .superRefine(checkLineAmounts)
  .openapi("PosLine");
export type PosLine = z.infer<typeof PosLine>;

export const PosTender = z
  .object({
    type: z.enum(["cash", "card", "gift_card"]),
    amount: z.number().int().min(-maxMinorUnits).max(maxMinorUnits).openapi({ description: "Minor units; negative for money given back on a return." }),
  })
  .strict()
  .openapi("PosTender");
export type PosTender = z.infer<typeof PosTender>;

export const approvalReasons = ["blind_return", "negative_tender"] as const;
export type ApprovalReason = (typeof approvalReasons)[number];

/**
 * A manager's approval as the store agent records it on a transaction: who
 * approved and what needed approving. The PIN that proved it never leaves the
 * agent.
 */
export const TransactionApproval = z
  .object({
    managerId: z.string().regex(identifierPattern).openapi({ example: "mgr-anna" }),
    reasons: z.array(z.enum(approvalReasons)).max(approvalReasons.length).openapi({
      description: "blind_return: a return or void whose original sale the agent does not know; negative_tender: money given back that no known sale covers.",
    }),
  })
  .strict()
  .openapi("TransactionApproval");
export type TransactionApproval = z.infer<typeof TransactionApproval>;

/** What a sale does with the customer's points beyond earning them: a redemption, from a hold placed at lookup or not. */
export const PosLoyalty = z
  .object({
    redeem: z
      .object({
        points: z.number().int().min(1).max(1_000_000_000),
        holdId: z.string().max(100).optional().openapi({ description: "The hold the store placed when it looked the customer up: the redemption spends from it." }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("PosLoyalty");
export type PosLoyalty = z.infer<typeof PosLoyalty>;

/** A POS transaction's fields without the checks across them (`checkPosLoyalty`), for schemas that extend it. */
export const PosTransactionFields = z
  .object({
    transactionId: ExternalId("T01-000123", 64),
    terminalId: ExternalId("T01", 64),
    type: z.enum(["sale", "return", "void"]),
    currency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
    lines: z.array(PosLine).min(1).max(500),
    tenders: z.array(PosTender).max(20).default([]),
    customerId: ExternalId("LOY-0042", 64).optional().openapi({ description: "A loyalty or customer id; never a card number. A sale with one earns the customer points (docs/decisions/0038)." }),
    loyalty: PosLoyalty.optional().openapi({ description: "Points the customer spends on this sale; needs customerId." }),
    voidsTransactionId: ExternalId("T01-000122", 64).optional(),
    returnsTransactionId: ExternalId("T01-000120", 64).optional().openapi({ description: "On a return: the sale it gives back, if the customer has the receipt." }),
    approval: TransactionApproval.optional().openapi({ description: "Set by the store agent when a manager approved the transaction." }),
    occurredAt: Timestamp.pipe(z.iso.datetime()),
  })
  .strict();

/** The checks across a POS transaction's fields: add them to every schema built from its fields. */
export function checkPosLoyalty(value: { type: string; customerId?: string; loyalty?: PosLoyalty }, ctx: z.RefinementCtx): void {
  if (value.loyalty && value.customerId === undefined) ctx.addIssue({ code: "custom", path: ["loyalty"], message: "loyalty needs the customerId whose points it spends" });
  if (value.loyalty?.redeem && value.type !== "sale") ctx.addIssue({ code: "custom", path: ["loyalty", "redeem"], message: "only a sale redeems points" });
}

/**
 * A POS transaction as the terminal records it. `transactionId` is the
 * terminal's own id and the idempotency key, for good.
 * A sale takes its lines' units off the store's stock; a return and a void
 * (which cancels an earlier sale and carries that sale's lines) put them back.
 */
export const PosTransaction = PosTransactionFields.superRefine(checkPosLoyalty).openapi("PosTransaction");
export type PosTransaction = z.infer<typeof PosTransaction>;

/** The transaction id of something that failed validation, if it has a valid one: a rejection is remembered under it. */
export function transactionIdOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null || !("transactionId" in value)) return null;
  const parsed = PosTransactionFields.shape.transactionId.safeParse(value.transactionId);
  return parsed.success ? parsed.data : null;
}

/**
 * A rejection's `reason`: the first three problems found, as the edge words
 * them (and repeats them word for word on a resend).
 *
 * @example
 * describeIssues(error) // "lines.0.qty: Too small: expected number to be >=1"
 */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  const more = error.issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
}

export const maxStoreBatch = 500;

/** A batch body may be at most this large (413 payload_too_large above); size batches by bytes too. */
export const maxStoreBatchBytes = 4 * 1024 * 1024;

/** The batch answer lists at most this many gaps, the lowest first. */
export const maxReportedGaps = 100;

/** One transaction as the agent sends it: with the store's own gap-free sequence number. */
export const StoreTransactionEnvelope = z
  .object({
    sequence: z.number().int().min(1).openapi({ description: "The store agent's sequence number, 1, 2, 3, … without gaps." }),
    transaction: z.unknown().openapi({ description: "A PosTransaction; an invalid one is rejected alone, not the batch." }),
    traceparent: Traceparent.optional().openapi({ description: "The transaction's trace (W3C), as the terminal or the agent started it: its hops are recorded under GET /v1/traces/{traceId}." }),
    recordedAt: Timestamp.pipe(z.iso.datetime()).optional().openapi({ description: "When the agent committed the transaction (the agent's clock)." }),
  })
  .strict();
export type StoreTransactionEnvelope = z.infer<typeof StoreTransactionEnvelope>;

export const StoreTransactionBatch = z
  .object({ transactions: z.array(StoreTransactionEnvelope).min(1).max(maxStoreBatch) })
  .strict()
  .openapi("StoreTransactionBatch");
export type StoreTransactionBatch = z.infer<typeof StoreTransactionBatch>;

export const StoreTransactionResult = z
  .object({
    sequence: z.number().int(),
    transactionId: z.string().nullable(),
    status: z.enum(["accepted", "duplicate", "rejected"]).openapi({
      description:
        "accepted: applied now; duplicate: this transaction id was accepted before (or earlier in this batch), nothing changed; rejected: it is not a valid PosTransaction and never will be under this id (a resend gets the same answer).",
    }),
    code: z.string().optional().openapi({ description: "Why it was rejected: validation_failed." }),
    reason: z.string().optional().openapi({ description: "The first problems found, e.g. `lines.0.qty: Too small: expected number to be >=1`." }),
  })
  .openapi("StoreTransactionResult");
export type StoreTransactionResult = z.infer<typeof StoreTransactionResult>;

export const StoreTransactionBatchResult = z
  .object({
    location: LocationId,
    results: z.array(StoreTransactionResult),
    highWaterMark: z.number().int().openapi({ description: "Every sequence number up to this one has been received." }),
    gaps: z
      .array(z.object({ from: z.number().int(), to: z.number().int() }))
      .openapi({ description: `Missing sequence ranges (inclusive) between the high-water mark and the highest sequence received; at most ${maxReportedGaps}, the lowest first.` }),
  })
  .openapi("StoreTransactionBatchResult");
export type StoreTransactionBatchResult = z.infer<typeof StoreTransactionBatchResult>;

export const PosTransactionReceipt = z
  .object({
    transactionId: z.string(),
    receiptNumber: z.string(),
    sequence: z.number().int(),
    recordedAt: Timestamp,
    traceId: z.string().nullable().openapi({ description: "The transaction's trace id: GET /v1/traces/{traceId} at the edge once it is sent (null for one recorded before traces were kept)." }),
  })
  .openapi("PosTransactionReceipt");
export type PosTransactionReceipt = z.infer<typeof PosTransactionReceipt>;

