import { describe, expect, it } from "vitest";
import payoutFixture from "../fixtures/settlements/shopify-payments-payout.json";
import type { PayoutPage } from "../shared/schemas/settlements.ts";
import { call, createKey, createStockedTenant } from "./api.ts";
import { exceptionsOf } from "./exception-fixtures.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { copy, importSettlement, settlementTenant } from "./settlement-fixtures.ts";

quietAccessLog();

async function nothingApplied(tenant: { adminKey: string }, payoutId: string): Promise<void> {
  expectProblem(await call("GET", `/v1/finance/payouts/${payoutId}`, { key: tenant.adminKey }), 404, "not_found");
  expect((await call<PayoutPage>("GET", "/v1/finance/payouts", { key: tenant.adminKey })).body.payouts).toEqual([]);
  expect((await call("GET", `/v1/finance/sources/settlement/${payoutId}`, { key: tenant.adminKey })).body.contributions).toEqual([]);
}

describe("a settlement that cannot be applied whole", () => {
  it("with a balance transaction in another currency is refused with a report naming the row and field; nothing of it is applied", async () => {
    const { tenant } = await settlementTenant();
    const mixed = copy(payoutFixture);
    for (const field of ["amount", "fee", "net"] as const) mixed.balanceTransactions.nodes[1]![field].currencyCode = "CAD";
    const refused = await importSettlement(tenant.adminKey, "shopify-payments", mixed);
    expectProblem(refused, 422, "settlement_invalid");
    expect(refused.body.problems).toContainEqual({ row: 2, field: "amount.currencyCode", reason: "currency CAD differs from the payout's USD" });
    expect(refused.body.detail).toContain("row 2");
    await nothingApplied(tenant, "shopify-payments:987654321");
    expect(await exceptionsOf(tenant)).toEqual([]);
  });

  it("with a malformed line (an amount that is not one, a net that is not amount − fee) is refused, every problem reported", async () => {
    const { tenant } = await settlementTenant();
    const broken = copy(payoutFixture);
    broken.balanceTransactions.nodes[2]!.amount.amount = "-20,00";
    broken.balanceTransactions.nodes[3]!.net.amount = "-9.99";
    broken.balanceTransactions.nodes[0]!.fee.amount = "3.205";
    const refused = await importSettlement(tenant.adminKey, "shopify-payments", broken);
    expectProblem(refused, 422, "settlement_invalid");
    expect(refused.body.problems).toEqual([
      { row: 1, field: "fee.amount", reason: "3.205 is not an amount in USD" },
      { row: 3, field: "amount.amount", reason: "-20,00 is not an amount in USD" },
      { row: 4, field: "net", reason: "net -9.99 is not amount -10.0 − fee 0.0" },
    ]);
    await nothingApplied(tenant, "shopify-payments:987654321");
  });

  it("that is not JSON, or not a payout, is refused", async () => {
    const { tenant } = await settlementTenant();
    expectProblem(await importSettlement(tenant.adminKey, "shopify-payments", "{ not json"), 400, "malformed_json");
    const notPayout = await importSettlement(tenant.adminKey, "shopify-payments", { id: "gid://shopify/ShopifyPaymentsPayout/1" });
    expectProblem(notPayout, 422, "settlement_invalid");
    expect(notPayout.body.problems.map((problem: { field: string }) => problem.field)).toEqual(expect.arrayContaining(["issuedAt", "net", "balanceTransactions"]));
  });

  it("is refused until bank, reserves and settlement adjustments are mapped, for a channel the tenant lacks, and for store and read-only keys", async () => {
    const tenant = await createStockedTenant();
    expectProblem(await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture), 422, "account_mapping_incomplete");
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings() })).status).toBe(200);
    const incomplete = await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture);
    expectProblem(incomplete, 422, "account_mapping_incomplete");
    expect(incomplete.body.missing).toEqual(["accounts.bank", "accounts.reserves", "accounts.settlementAdjustments"]);
    await nothingApplied(tenant, "shopify-payments:987654321");

    const { tenant: mapped } = await settlementTenant();
    expectProblem(await importSettlement(mapped.adminKey, "shopify-payments", payoutFixture, "walmart"), 422, "unknown_channel");
    const storeKey = await createKey(mapped, { role: "store", location: "store-a" });
    expectProblem(await importSettlement(storeKey, "shopify-payments", payoutFixture), 403, "forbidden");
    const readonlyKey = await createKey(mapped, { role: "readonly" });
    expectProblem(await importSettlement(readonlyKey, "shopify-payments", payoutFixture), 403, "forbidden");
    await nothingApplied(mapped, "shopify-payments:987654321");

    // The ERP's key sends settlements as it sends imports; a read-only key reads them.
    const erpKey = await createKey(mapped, { role: "erp" });
    expect((await importSettlement(erpKey, "shopify-payments", payoutFixture)).status).toBe(201);
    expect((await call("GET", "/v1/finance/payouts/shopify-payments:987654321", { key: readonlyKey })).status).toBe(200);
  });

  it("once a settlement is booked, its accounts cannot be unmapped", async () => {
    const { tenant } = await settlementTenant();
    expect((await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture)).status).toBe(201);
    const unmapped = await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings() });
    expectProblem(unmapped, 422, "account_mapping_incomplete");
  });
});
