import { z } from "@hono/zod-openapi";
import { signedDecimalToMinor } from "../../shared/money.ts";
import type { ParsedSettlementLine, SettlementReading } from "../../shared/settlement-postings.ts";
import type { SettlementLineKind, SettlementProblem } from "../../shared/schemas/settlements.ts";

/** Shopify's MoneyV2: a decimal string and its currency. */
const MoneyV2 = z.object({ amount: z.union([z.string(), z.number()]).transform(String), currencyCode: z.string() });

/** ShopifyPaymentsBalanceTransaction, the fields we read (others pass). */
const BalanceTransaction = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  amount: MoneyV2,
  fee: MoneyV2,
  net: MoneyV2,
  sourceType: z.string().nullish(),
  sourceId: z.union([z.string(), z.number()]).nullish(),
  sourceOrderTransactionId: z.union([z.string(), z.number()]).nullish(),
  associatedOrder: z.object({ id: z.string(), name: z.string().nullish() }).nullish(),
  adjustmentReason: z.string().nullish(),
  transactionDate: z.string(),
  test: z.boolean().optional(),
});

/** ShopifyPaymentsPayout with its balanceTransactions connection (nodes or edges), as the Admin GraphQL API returns it. */
const ShopifyPaymentsPayout = z.object({
  id: z.string().min(1),
  legacyResourceId: z.union([z.string(), z.number()]).transform(String).optional(),
  issuedAt: z.string(),
  net: MoneyV2,
  status: z.string().optional(),
  transactionType: z.enum(["DEPOSIT", "WITHDRAWAL"]).optional(),
  balanceTransactions: z.union([z.object({ nodes: z.array(z.unknown()) }), z.object({ edges: z.array(z.object({ node: z.unknown() })) })]),
});

/** The numeric id at the end of a Shopify global id (gid://shopify/Order/5551234 → 5551234): the order id our Shopify orders carry. */
export function legacyIdOf(gid: string): string {
  return /\/(\d+)$/.exec(gid)?.[1] ?? gid;
}

function kindOf(type: string): SettlementLineKind {
  if (type === "CHARGE") return "charge";
  if (type === "REFUND") return "refund";
  if (type.startsWith("RESERVED_FUNDS")) return "reserve";
  return "adjustment";
}

/**
 * Reads a Shopify Payments payout: every balance transaction becomes a line
 * (CHARGE a charge, REFUND a refund, RESERVED_FUNDS* a reserve, any other
 * type an adjustment; the TRANSFER source type is the payout's own movement
 * and is left out), its `amount`, `fee` and `net` exactly in minor units, its
 * order reference the numeric id of `associatedOrder`. The deposit is the
 * payout's `net` (negative for a WITHDRAWAL). Every amount must be in the
 * payout's currency and net = amount − fee, or the payout is refused whole.
 */
export function readShopifyPayout(body: unknown): SettlementReading {
  const payout = ShopifyPaymentsPayout.safeParse(body);
  if (!payout.success) return { ok: false, problems: payout.error.issues.map((issue) => ({ row: null, field: issue.path.join(".") || null, reason: issue.message })) };
  const { net, issuedAt } = payout.data;
  const currency = net.currencyCode;
  const problems: SettlementProblem[] = [];
  const depositAmount = signedDecimalToMinor(net.amount, currency);
  if (depositAmount === null) problems.push({ row: null, field: "net.amount", reason: `${net.amount} is not an amount in ${currency}` });
  if (Number.isNaN(Date.parse(issuedAt))) problems.push({ row: null, field: "issuedAt", reason: `${issuedAt} is not a date-time` });
  const nodes = "nodes" in payout.data.balanceTransactions ? payout.data.balanceTransactions.nodes : payout.data.balanceTransactions.edges.map((edge) => edge.node);
  const lines: ParsedSettlementLine[] = [];
  nodes.forEach((node, index) => {
    const row = index + 1;
    const parsed = BalanceTransaction.safeParse(node);
    if (!parsed.success) {
      problems.push(...parsed.error.issues.map((issue) => ({ row, field: issue.path.join(".") || null, reason: issue.message })));
      return;
    }
    const transaction = parsed.data;
    if (transaction.sourceType === "TRANSFER") return;
    const amounts: Partial<Record<"amount" | "fee" | "net", number>> = {};
    for (const field of ["amount", "fee", "net"] as const) {
      const money = transaction[field];
      if (money.currencyCode !== currency) {
        problems.push({ row, field: `${field}.currencyCode`, reason: `currency ${money.currencyCode} differs from the payout's ${currency}` });
        continue;
      }
      const minor = signedDecimalToMinor(money.amount, currency);
      if (minor === null) problems.push({ row, field: `${field}.amount`, reason: `${money.amount} is not an amount in ${currency}` });
      else amounts[field] = minor;
    }
    const { amount, fee, net: lineNet } = amounts;
    if (amount === undefined || fee === undefined || lineNet === undefined) return;
    if (amount - fee !== lineNet) {
      problems.push({ row, field: "net", reason: `net ${transaction.net.amount} is not amount ${transaction.amount.amount} − fee ${transaction.fee.amount}` });
      return;
    }
    if (Number.isNaN(Date.parse(transaction.transactionDate))) {
      problems.push({ row, field: "transactionDate", reason: `${transaction.transactionDate} is not a date-time` });
      return;
    }
    const order = transaction.associatedOrder;
    lines.push({
      sourceLineId: transaction.id,
      kind: kindOf(transaction.type),
      description: transaction.adjustmentReason ? `${transaction.type}: ${transaction.adjustmentReason}` : transaction.type,
      reference: order ? legacyIdOf(order.id) : null,
      noReferenceReason: "the balance transaction has no associatedOrder",
      amount,
      fee,
      occurredAt: new Date(transaction.transactionDate).toISOString(),
    });
  });
  if (problems.length > 0 || depositAmount === null) return { ok: false, problems };
  return {
    ok: true,
    settlement: {
      source: "shopify-payments",
      externalId: payout.data.legacyResourceId ?? legacyIdOf(payout.data.id),
      currency,
      deposit: payout.data.transactionType === "WITHDRAWAL" ? -Math.abs(depositAmount) : depositAmount,
      depositDate: new Date(issuedAt).toISOString(),
      periodStart: null,
      periodEnd: null,
      lines,
    },
  };
}
