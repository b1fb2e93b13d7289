import { describe, expect, it } from "vitest";
import stripeFixture from "../fixtures/settlements/stripe-payout.json";
import type { SourceTrace } from "../shared/schemas/finance.ts";
import { call } from "./api.ts";
import { exceptionsOf, replay } from "./exception-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { copy, importSettlement, payoutOf, settlementTenant, webOrder } from "./settlement-fixtures.ts";

quietAccessLog();

const payoutId = "stripe:po_1QxR7cLkdIwHu7ixP4y0uT01";
/** The order ids the fixture's charges carry in metadata.order_id. */
const [first, second, late] = ["WEB-10001", "WEB-10002", "WEB-10099"];

describe("a Stripe payout with its balance transactions", () => {
  it("whose charges all match reconciles; a refund matches through the charge it refunds; the payout's own transaction is left out", async () => {
    const { tenant, sku } = await settlementTenant();
    const orderIds = [await webOrder(tenant, sku, first), await webOrder(tenant, sku, second), await webOrder(tenant, sku, late)];
    const imported = await importSettlement(tenant.adminKey, "stripe", stripeFixture);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ id: payoutId, currency: "USD", deposit: 14630, depositDate: "2026-11-27T00:00:00.000Z", status: "reconciled", lineCount: 7 });
    expect(imported.body.totals).toEqual({ matched: 18000, unmatched: 0, fees: -870, reserves: -1000, adjustments: -1500, linesNet: 14630, unexplained: 0, difference: 0 });
    expect(imported.body.lines.map((line) => [line.kind, line.reference, line.matched?.orderId ?? null])).toEqual([
      ["charge", first, orderIds[0]],
      ["charge", second, orderIds[1]],
      ["refund", first, orderIds[0]],
      ["charge", late, orderIds[2]],
      ["fee", null, null],
      ["adjustment", null, null],
      ["reserve", null, null],
    ]);
    const [booking] = (await call<SourceTrace>("GET", `/v1/finance/sources/settlement/${payoutId}`, { key: tenant.adminKey })).body.contributions;
    expect(booking!.lines.reduce((total, line) => total + line.amount, 0)).toBe(0);
    expect(booking!.lines.find((line) => line.kind === "bank")!.amount).toBe(-14630);
  });

  it("with a charge whose order is missing raises an exception that a replay clears once the order exists; a second import changes nothing", async () => {
    const { tenant, sku } = await settlementTenant();
    await webOrder(tenant, sku, first);
    await webOrder(tenant, sku, second);
    const imported = await importSettlement(tenant.adminKey, "stripe", stripeFixture);
    expect(imported.body).toMatchObject({ status: "unreconciled", unmatchedCount: 1, difference: 3000 });
    expect((await importSettlement(tenant.adminKey, "stripe", stripeFixture)).status).toBe(200);
    const exceptions = await exceptionsOf(tenant, "?type=settlement_line_unmatched");
    expect(exceptions).toHaveLength(1);
    await webOrder(tenant, sku, late);
    expect((await replay(tenant.adminKey, exceptions[0]!.id)).body.outcome).toBe("resolved");
    expect(await payoutOf(tenant.adminKey, payoutId)).toMatchObject({ status: "reconciled" });
  });

  it("listed without expanding sources cannot match: the lines say why", async () => {
    const { tenant, sku } = await settlementTenant();
    await webOrder(tenant, sku, first);
    const unexpanded = copy(stripeFixture);
    for (const transaction of unexpanded.balance_transactions.data) {
      const source = transaction.source as { id: string } | string | null;
      (transaction as { source: unknown }).source = source && typeof source === "object" ? source.id : source;
    }
    const imported = await importSettlement(tenant.adminKey, "stripe", unexpanded);
    expect(imported.body.unmatchedCount).toBe(4);
    expect(imported.body.lines[0]!.unmatchedReason).toBe("the source ch_3QxR7cLkdIwHu7ix0AAA0001 is not expanded: list with expand[]=data.source");
  });

  it("with a transaction in another currency or an amount that is not minor units is refused whole", async () => {
    const { tenant } = await settlementTenant();
    const euros = copy(stripeFixture);
    euros.balance_transactions.data[1]!.currency = "eur";
    const refused = await importSettlement(tenant.adminKey, "stripe", euros);
    expectProblem(refused, 422, "settlement_invalid");
    expect(refused.body.problems).toEqual([{ row: 2, field: "currency", reason: "currency eur differs from the payout's usd" }]);

    const decimal = copy(stripeFixture) as { balance_transactions: { data: Record<string, unknown>[] } };
    decimal.balance_transactions.data[0]!.amount = "50.00";
    const malformed = await importSettlement(tenant.adminKey, "stripe", decimal);
    expectProblem(malformed, 422, "settlement_invalid");
    expect(malformed.body.problems).toEqual([{ row: 1, field: "amount", reason: expect.any(String) }]);
    expectProblem(await call("GET", `/v1/finance/payouts/${payoutId}`, { key: tenant.adminKey }), 404, "not_found");
  });
});
