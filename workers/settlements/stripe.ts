import { z } from "@hono/zod-openapi";
import { currencyExponent } from "../../shared/money.ts";
import type { ParsedSettlementLine, SettlementReading } from "../../shared/settlement-postings.ts";
import type { SettlementLineKind, SettlementProblem } from "../../shared/schemas/settlements.ts";

/** The metadata key on a charge (copied from its PaymentIntent when confirmed) or a refund that holds the channel's order id. */
export const stripeOrderKey = "order_id";

const MinorUnits = z.number().int().refine(Number.isSafeInteger, "not a safe integer");

const StripePayout = z.object({
  id: z.string().regex(/^po_[A-Za-z0-9]+$/, "a payout id (po_…)"),
  amount: MinorUnits,
  currency: z.string().length(3),
  arrival_date: z.number().int(),
  created: z.number().int().optional(),
  status: z.string().optional(),
});

/** The balance transaction's source when listed with `expand[]=data.source`: a charge or refund object with its metadata. */
const ExpandedSource = z.object({
  id: z.string(),
  object: z.string().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  charge: z.union([z.string(), z.object({ id: z.string() })]).nullish(),
});

const BalanceTransaction = z.object({
  id: z.string().min(1),
  amount: MinorUnits,
  fee: MinorUnits,
  net: MinorUnits,
  currency: z.string().length(3),
  type: z.string().min(1),
  reporting_category: z.string().optional(),
  source: z.union([z.string(), ExpandedSource]).nullish(),
  created: z.number().int(),
  description: z.string().nullish(),
});

const StripeSettlement = z.object({
  payout: StripePayout,
  balance_transactions: z.union([z.array(z.unknown()), z.object({ data: z.array(z.unknown()) })]),
});

const feeTypes = new Set(["stripe_fee", "tax_fee", "stripe_fx_fee", "application_fee"]);
const reserveTypes = new Set(["reserve_transaction", "reserved_funds", "reserve_hold", "reserve_release", "payment_network_reserve_hold", "payment_network_reserve_release"]);

function kindOf(type: string): SettlementLineKind {
  if (type === "charge" || type === "payment") return "charge";
  if (type === "refund" || type === "payment_refund") return "refund";
  if (feeTypes.has(type)) return "fee";
  if (reserveTypes.has(type)) return "reserve";
  return "adjustment";
}

function chargeIdOf(source: z.infer<typeof ExpandedSource>): string | null {
  if (!source.charge) return null;
  return typeof source.charge === "string" ? source.charge : source.charge.id;
}

/**
 * Reads a Stripe payout with its balance transactions (`{ payout,
 * balance_transactions }`, the list's `data` or the list object): amounts are
 * already minor units; the `payout` transaction (the payout's own movement)
 * is left out. The order reference is `metadata.order_id` of the expanded
 * source (the charge, which has its PaymentIntent's metadata; or the refund),
 * and a refund without one takes the reference of the charge it refunds
 * when that charge is in the same payout. Every transaction must be in the
 * payout's currency and net = amount − fee, or the payout is refused whole.
 */
export function readStripePayout(body: unknown): SettlementReading {
  const parsed = StripeSettlement.safeParse(body);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => ({ row: null, field: issue.path.join(".") || null, reason: issue.message })) };
  const { payout } = parsed.data;
  const currency = payout.currency.toUpperCase();
  const problems: SettlementProblem[] = [];
  if (currencyExponent(currency) === null) problems.push({ row: null, field: "payout.currency", reason: `${payout.currency} is not an ISO 4217 currency code` });
  const listed = Array.isArray(parsed.data.balance_transactions) ? parsed.data.balance_transactions : parsed.data.balance_transactions.data;
  const read: { line: ParsedSettlementLine; chargeId: string | null; sourceId: string | null }[] = [];
  listed.forEach((element, index) => {
    const row = index + 1;
    const transaction = BalanceTransaction.safeParse(element);
    if (!transaction.success) {
      problems.push(...transaction.error.issues.map((issue) => ({ row, field: issue.path.join(".") || null, reason: issue.message })));
      return;
    }
    const { id, amount, fee, net, type, source, created, description } = transaction.data;
    if (transaction.data.currency.toUpperCase() !== currency) {
      problems.push({ row, field: "currency", reason: `currency ${transaction.data.currency} differs from the payout's ${payout.currency}` });
      return;
    }
    if (amount - fee !== net) {
      problems.push({ row, field: "net", reason: `net ${net} is not amount ${amount} − fee ${fee}` });
      return;
    }
    if (type === "payout") return;
    const expanded = source && typeof source === "object" ? source : null;
    const reference = expanded?.metadata?.[stripeOrderKey] ?? null;
    read.push({
      line: {
        sourceLineId: id,
        kind: kindOf(type),
        description: transaction.data.reporting_category ? `${type} (${transaction.data.reporting_category})` : (description ?? type),
        reference,
        noReferenceReason: expanded ? `the ${expanded.object ?? "source"} ${expanded.id} has no metadata.${stripeOrderKey}` : `the source ${source ?? "(none)"} is not expanded: list with expand[]=data.source`,
        amount,
        fee,
        occurredAt: new Date(created * 1000).toISOString(),
      },
      chargeId: expanded ? chargeIdOf(expanded) : null,
      sourceId: expanded?.id ?? (typeof source === "string" ? source : null),
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  const referenceOfCharge = new Map(read.filter((entry) => entry.line.kind === "charge" && entry.line.reference !== null).map((entry) => [entry.sourceId, entry.line.reference]));
  const lines = read.map(({ line, chargeId }) => (line.kind === "refund" && line.reference === null && chargeId !== null && referenceOfCharge.has(chargeId) ? { ...line, reference: referenceOfCharge.get(chargeId)! } : line));
  return {
    ok: true,
    settlement: {
      source: "stripe",
      externalId: payout.id,
      currency,
      deposit: payout.amount,
      depositDate: new Date(payout.arrival_date * 1000).toISOString(),
      periodStart: null,
      periodEnd: null,
      lines,
    },
  };
}
