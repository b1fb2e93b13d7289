import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { channelConnection, tenantRegistry } from "../durable/objects.ts";
import { monthOf } from "../shared/usage-month.ts";
import { usageMeter } from "../workers/usage-meter.ts";
import { countWrites } from "../durable/connectors/usage-months.ts";
import { call, createKey, platformKey, setStock, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { asPartner, createPartner, partnerTenant } from "./partner-fixtures.ts";
import { numbered, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

const month = monthOf(Date.now());

async function usageOf(partnerId: string, key: string) {
  const response = await call("GET", `/v1/partners/${partnerId}/usage?month=${month}`, { key });
  expect(response.status).toBe(200);
  return response.body;
}

/** A partner's tenant with two stores, a warehouse and a `web` channel over them, set up through the partner key. */
async function stockedPartnerTenant() {
  const partner = await createPartner();
  const tenant = await partnerTenant(partner);
  for (const [id, type] of [["store-a", "store"], ["store-b", "store"], ["wh-1", "warehouse"]] as const) {
    expect((await call("PUT", `/v1/locations/${id}`, { key: tenant.adminKey, body: { type } })).status).toBe(200);
  }
  expect((await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"] } })).status).toBe(200);
  return { partner, tenant };
}

describe("usage per tenant and month, read by the partner as JSON or CSV", () => {
  quietAccessLog();
  beforeEach(() => {
    usageMeter.flushCalls = 1;
  });
  afterEach(() => {
    usageMeter.flushCalls = 100;
  });

  it("counts POS transactions, orders, stores and SKUs of each tenant, and no other partner's", async () => {
    const { partner, tenant } = await stockedPartnerTenant();
    const idle = await partnerTenant(partner);
    const sku = unique("sku");
    expect((await call("PUT", `/v1/catalog/items/${sku}`, { key: tenant.adminKey, body: { name: "Item", barcodes: [], price: 1999, currency: "USD" } })).status).toBe(200);
    await setStock(tenant, sku, "store-a", 50);

    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const batch = await sendBatch(storeKey, "store-a", numbered(1, [posTransaction(txId("a"), [{ sku, qty: 1 }]), posTransaction(txId("b"), [{ sku, qty: 2 }])]));
    expect(batch.status).toBe(200);
    // The same batch again is a duplicate: it counts once.
    const again = await sendBatch(storeKey, "store-a", batch.body.results.map((r, at) => ({ sequence: at + 1, transaction: posTransaction(r.transactionId!, [{ sku, qty: at + 1 }]) })));
    expect(again.status).toBe(200);
    expect((await submitOrder(tenant.adminKey, orderBody([[sku, 1]]))).status).toBe(201);

    const other = await stockedPartnerTenant();
    await sendBatch(await createKey(other.tenant, { role: "store", location: "store-a" }), "store-a", numbered(1, [posTransaction(txId("c"), [{ sku: "x", qty: 1 }])]));

    const report = await usageOf(partner.id, partner.key);
    expect(report.month).toBe(month);
    const rows = new Map(report.tenants.map((row: { tenant: string }) => [row.tenant, row]));
    expect([...rows.keys()].sort()).toEqual([tenant.id, idle.id].sort());
    expect(rows.get(tenant.id)).toMatchObject({ posTransactions: 2, orders: 1, stores: 2, skus: 1, connectorWrites: 0 });
    expect(rows.get(idle.id)).toEqual({ tenant: idle.id, posTransactions: 0, orders: 0, apiCalls: 0, connectorWrites: 0, stores: 0, skus: 0 });

    const earlier = await call("GET", `/v1/partners/${partner.id}/usage?month=2020-01`, { key: partner.key });
    expect(earlier.body.tenants.find((row: { tenant: string }) => row.tenant === tenant.id)).toMatchObject({ posTransactions: 0, orders: 0 });
  });

  it("counts API calls in the isolate and adds them to the tenant's registry in batches", async () => {
    usageMeter.flushCalls = 5;
    const { partner, tenant } = await stockedPartnerTenant();
    const before = (await tenantRegistry(env, tenant.id).usageOf(month)).apiCalls;
    for (let i = 0; i < 7; i++) expect((await call("GET", "/v1/locations", { key: tenant.adminKey })).status).toBe(200);
    // Three of the partner's calls as the tenant count as the tenant's.
    for (let i = 0; i < 3; i++) expect((await asPartner(partner, tenant.id, "GET", "/v1/channels")).status).toBe(200);
    await expect.poll(async () => (await tenantRegistry(env, tenant.id).usageOf(month)).apiCalls - before).toBe(10);
    const report = await usageOf(partner.id, partner.key);
    expect(report.tenants[0].apiCalls).toBeGreaterThanOrEqual(10);
  });

  it("sums the connector writes each connection object counted for the month", async () => {
    const { partner, tenant } = await stockedPartnerTenant();
    const connectionId = unique("conn");
    await tenantRegistry(env, tenant.id).recordConnection({ id: connectionId, type: "shopify", channel: "web", enabled: true });
    await runInDurableObject(channelConnection(env, tenant.id, connectionId), (instance) => {
      const db = (instance as unknown as { db: Parameters<typeof countWrites>[0] }).db;
      countWrites(db, Date.now(), 3);
      countWrites(db, Date.now(), 4);
      countWrites(db, Date.UTC(2020, 0, 15), 100);
    });
    const report = await usageOf(partner.id, partner.key);
    expect(report.tenants[0]).toMatchObject({ tenant: tenant.id, connectorWrites: 7 });
  });

  it("answers CSV for Accept: text/csv or format=csv, one row per tenant", async () => {
    const { partner, tenant } = await stockedPartnerTenant();
    for (const options of [{ headers: { accept: "text/csv" } }, {}]) {
      const path = `/v1/partners/${partner.id}/usage?month=${month}${"headers" in options ? "" : "&format=csv"}`;
      const response = await SELF.fetch(`https://edge.test${path}`, { headers: { authorization: `Bearer ${partner.key}`, ...("headers" in options ? options.headers : {}) } });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
      const lines = (await response.text()).trimEnd().split("\r\n");
      expect(lines[0]).toBe("tenant,pos_transactions,orders,api_calls,connector_writes,stores,skus");
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(new RegExp(`^${tenant.id},0,0,\\d+,0,2,0$`));
    }
  });

  it("refuses a month that is not YYYY-MM with a problem, and a platform key may read any partner", async () => {
    const { partner } = await stockedPartnerTenant();
    expectProblem(await call("GET", `/v1/partners/${partner.id}/usage?month=2026-13`, { key: partner.key }), 400, "validation_failed");
    expectProblem(await call("GET", `/v1/partners/${partner.id}/usage`, { key: partner.key }), 400, "validation_failed");
    expect((await call("GET", `/v1/partners/${partner.id}/usage?month=${month}`, { key: platformKey })).status).toBe(200);
  });
});
