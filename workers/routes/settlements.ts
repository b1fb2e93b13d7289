import { z } from "@hono/zod-openapi";
import { financeLedger, tenantSettlements } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { checkFinanceSettings, checkSettlementAccounts } from "../../shared/finance-settings.ts";
import { ImportedPayout, ImportSettlementQuery, Payout, PayoutId, PayoutPage, PayoutsQuery } from "../../shared/schemas/settlements.ts";
import { authorize } from "../auth.ts";
import { unwrap } from "../idempotency.ts";
import { createRouter, json, routesOf } from "../openapi.ts";
import { readSettlement } from "../settlements/read.ts";

const settlements = routesOf("Finance");
/** An ERP key may send settlements as it sends imports; reading them is for every back-office key. */
const importers = ["admin", "erp"] as const;
const readers = ["admin", "erp", "readonly"] as const;

const importSettlement = settlements.post("/v1/finance/settlements", "importSettlement", {
  summary: "Import a payout (settlement): Shopify Payments, Amazon's V2 settlement flat file or Stripe; each line matched to its order, the payout booked",
  description: [
    "The body is the source's own shape (see `source`), read whole (at most 8 MiB).",
    "Each charge and refund is matched to the order of `channel` whose channel order id its reference names (Shopify: associatedOrder's numeric id; Amazon: order-id; Stripe: the expanded source's metadata.order_id).",
    "The payout is booked in the finance ledger as one source (`settlement:<id>`): debit bank by the deposit, credit the channel's clearing account by matched charges (debit by refunds), debit fees, reserves and adjustments to their accounts, unmatched or unexplained amounts to settlement suspense.",
    "Each unmatched line becomes a `settlement_line_unmatched` exception (replay matches it once the order exists), a deposit its lines do not explain a `payout_unbalanced` one.",
    "201 imported; 200 the same payout again (same id, same content): nothing applied twice; 409 conflict: the same id with other content.",
    "422 settlement_invalid (with `problems`: row, field, reason) when any line cannot be read, is in another currency or does not add up (net ≠ amount − fee): nothing of it is applied. 422 account_mapping_incomplete until bank, reserves and settlement adjustments are mapped.",
  ].join(" "),
  request: {
    query: ImportSettlementQuery,
    body: {
      required: true,
      content: {
        "application/json": { schema: { type: "object", additionalProperties: true, description: "shopify-payments: a ShopifyPaymentsPayout with balanceTransactions; stripe: { payout, balance_transactions }." } },
        "text/tab-separated-values": { schema: { type: "string", description: "amazon-v2: the V2 settlement flat file (also accepted as text/plain)." } },
      },
    },
  },
  responses: { 200: json(ImportedPayout, "Imported before: the payout as it is"), 201: json(ImportedPayout, "Imported and booked") },
});

const listPayouts = settlements.get("/v1/finance/payouts", "listPayouts", {
  summary: "Imported payouts, oldest first, a page at a time",
  request: { query: PayoutsQuery },
  responses: { 200: json(PayoutPage, "A page of payouts; pass nextCursor back as cursor") },
});

const getPayout = settlements.get("/v1/finance/payouts/{id}", "getPayout", {
  summary: "A payout: the deposit, each line and what it matched (or why not), the totals and what is missing",
  request: { params: z.object({ id: PayoutId }) },
  responses: { 200: json(Payout, "The payout") },
});

export const settlementRoutes = createRouter()
  .openapi(importSettlement, async (c) => {
    const { source, channel } = c.req.valid("query");
    const { principal, channel: known } = await authorize(c, { roles: importers, channel });
    if (!known) throw new AppError("unknown_channel", `The tenant has no channel ${channel}`);
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const expected = source === "amazon-v2" ? ["text/tab-separated-values", "text/plain"] : ["application/json"];
    if (!expected.includes(mediaType)) throw new AppError("unsupported_media_type", `A ${source} settlement is ${expected.join(" or ")}`);
    const settlement = readSettlement(source, await c.req.text());
    const settings = await financeLedger(c.env, principal.tenantId).getSettings();
    if (!settings) throw new AppError("account_mapping_incomplete", "No finance settings yet: PUT /v1/finance/accounts with bank, reserves and settlementAdjustments", { missing: ["accounts"] });
    const refused = checkFinanceSettings(settings) ?? checkSettlementAccounts(settings);
    if (refused) throw new AppError(refused.code, refused.detail, refused.extra);
    const { payout, replayed } = unwrap(await tenantSettlements(c.env, principal.tenantId).importSettlement(settlement, channel));
    return replayed ? c.json({ ...payout, replayed }, 200) : c.json({ ...payout, replayed }, 201);
  })
  .openapi(listPayouts, async (c) => {
    const { status, source, cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(await tenantSettlements(c.env, principal.tenantId).list({ status, source }, Number(cursor ?? 0), limit), 200);
  })
  .openapi(getPayout, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(unwrap(await tenantSettlements(c.env, principal.tenantId).get(id)).payout, 200);
  });
