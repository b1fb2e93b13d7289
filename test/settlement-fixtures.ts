import { expect } from "vitest";
import type { ImportedPayout, Payout, SettlementSource } from "../shared/schemas/settlements.ts";
import { call, createStockedTenant, setStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { withSettlementAccounts } from "../fixtures/chart-of-accounts.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";

/** Finance settings with the settlement accounts too. */
export const settlementSettings = financeSettings({ accounts: withSettlementAccounts });

/** A stocked tenant (web over wh-1, store-a, store-b; amazon over wh-1) with the settlement accounts mapped, and a SKU plenty of which wh-1 holds. */
export async function settlementTenant(): Promise<{ tenant: TestTenant; sku: string }> {
  const tenant = await createStockedTenant();
  const put = await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: settlementSettings });
  expect(put.status).toBe(200);
  const amazon = await call("PUT", "/v1/channels/amazon", { key: tenant.adminKey, body: { locations: ["wh-1"] } });
  expect(amazon.status).toBe(200);
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", 1000);
  return { tenant, sku };
}

/** A `channel` order (web unless said) whose channel order id is `externalId` (a Shopify or Amazon order id), one unit of `sku`. */
export async function webOrder(tenant: TestTenant, sku: string, externalId: string, channel = "web"): Promise<string> {
  const created = await submitOrder(tenant.adminKey, orderBody([[sku, 1]], { externalId, channel }));
  expect(created.status).toBe(201);
  return created.body.id;
}

const mediaTypes: Record<SettlementSource, string> = { "shopify-payments": "application/json", stripe: "application/json", "amazon-v2": "text/tab-separated-values" };

/** POSTs a settlement in its source's shape: an object is sent as JSON, text as it is. */
export function importSettlement(key: string, source: SettlementSource, body: unknown, channel = "web"): Promise<ApiResponse<ImportedPayout & Record<string, any>>> {
  return call("POST", `/v1/finance/settlements?source=${source}&channel=${channel}`, {
    key,
    rawBody: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": mediaTypes[source] },
  });
}

export async function payoutOf(key: string, id: string): Promise<Payout> {
  const response = await call<Payout>("GET", `/v1/finance/payouts/${id}`, { key });
  expect(response.status).toBe(200);
  return response.body;
}

/** A deep copy of a fixture to change in one test. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}
