import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { orderEarningPrefix, orderUnitsPaid } from "../shared/loyalty-earning.ts";
import { applyOrderPoints } from "../workers/events/loyalty.ts";
import { call, createStockedTenant, setStock, unique, type TestTenant } from "./api.ts";
import { configureWebhook, delivered, eventually, retailerEndpoint } from "./event-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, submitOrder } from "./order-api.ts";

quietAccessLog();

/** A stocked tenant (with a marketplace channel on wh-1) with 20 of a fresh SKU at wh-1, and the loyalty settings given. */
async function programme(settings: Record<string, unknown> = {}) {
  const tenant = await createStockedTenant();
  expect((await call("PUT", "/v1/channels/marketplace", { key: tenant.adminKey, body: { locations: ["wh-1"] } })).status).toBe(200);
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", 20);
  const put = await call("PUT", "/v1/loyalty/settings", { key: tenant.adminKey, body: settings });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  return { tenant, sku };
}

/** An order of `qty` × 25.00 of `sku` less 5.00 off the line, shipped, for `customer`. */
async function order(tenant: TestTenant, sku: string, qty: number, customer: Record<string, string>, channel = "web") {
  const body = {
    channel,
    externalId: unique("EXT"),
    currency: "USD",
    lines: [{ sku, qty, unitPrice: 2500, discount: 500 }],
    delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } },
    customer,
  };
  const created = await submitOrder(tenant.adminKey, body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function ship(tenant: TestTenant, orderId: string, sku: string, qty: number) {
  const shipped = await fulfill(tenant.adminKey, orderId, { location: "wh-1", lines: [{ sku, qty }] });
  expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
}

async function returnUnits(tenant: TestTenant, orderId: string, sku: string, qty: number) {
  const opened = await call("POST", "/v1/returns", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { orderId, lines: [{ sku, qty, reason: "changed mind" }] } });
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  const received = await call("POST", `/v1/returns/${opened.body.id}/receive`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { location: "wh-1", lines: [{ sku, qty, disposition: "restock" }] } });
  expect(received.status, JSON.stringify(received.body)).toBe(201);
}

async function loyalty(tenant: TestTenant, customerId: string) {
  const response = await call("GET", `/v1/customers/${customerId}/loyalty?limit=500`, { key: tenant.adminKey });
  return response.status === 200 ? response.body : null;
}

async function linkedCustomer(tenant: TestTenant, orderId: string): Promise<string> {
  return (await eventually(async () => (await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey })).body.customerId as string | null))!;
}

/** Waits until the customer's balance is `balance`, and answers the account. */
async function balanceBecomes(tenant: TestTenant, customerId: string, balance: number): Promise<Record<string, any>> {
  return (await eventually(async () => {
    const account = await loyalty(tenant, customerId);
    return account?.balance === balance ? account : null;
  }))!;
}

describe("channel orders earn and give back points", () => {
  it("a fulfilment earns on the units it shipped, at the channel's rate; the order is linked to one customer found by email", async () => {
    const { tenant, sku } = await programme({ pointsPerUnit: 1, channelRates: { web: 2 } });
    const orderId = await order(tenant, sku, 4, { email: "Ada.Lovelace@Example.COM", name: "Ada Lovelace" });
    await ship(tenant, orderId, sku, 3);

    const customerId = await linkedCustomer(tenant, orderId);
    // 4 × 25.00 − 5.00 = 95.00 for 4 units: 3 paid 71.25, at 2 points a dollar 142.
    const first = await balanceBecomes(tenant, customerId, 142);
    expect(first.ledger.entries).toMatchObject([{ type: "earn", balanceDelta: 142, source: "order", reference: orderId }]);
    const found = await call("GET", "/v1/customers?email=ada.lovelace@example.com", { key: tenant.adminKey });
    expect(found.body.customers.map((c: { id: string }) => c.id)).toEqual([customerId]);
    expect(found.body.customers[0]).toMatchObject({ name: "Ada Lovelace" });

    await ship(tenant, orderId, sku, 1);
    // The last unit paid 23.75: 47 points. One lot per fulfilment.
    const second = await balanceBecomes(tenant, customerId, 189);
    expect(second.lots.map((lot: { earned: number }) => lot.earned)).toEqual([142, 47]);

    // A second order from another channel with the same email, in other case, is the same customer (at the base rate).
    const other = await order(tenant, sku, 1, { email: "ADA.LOVELACE@example.com" }, "marketplace");
    await ship(tenant, other, sku, 1);
    expect(await linkedCustomer(tenant, other)).toBe(customerId);
    await balanceBecomes(tenant, customerId, 189 + 20);
  });

  it("an order naming a customer the directory knows earns for that customer; one without a known id or an email earns for nobody", async () => {
    const { tenant, sku } = await programme();
    expect((await call("PUT", "/v1/customers/crm-7", { key: tenant.adminKey, body: { email: "grace@example.com" } })).status).toBe(200);
    const known = await order(tenant, sku, 1, { id: "crm-7" });
    const unknown = await order(tenant, sku, 1, { id: "WM-ORDER-991" });
    const endpoint = retailerEndpoint();
    await configureWebhook(tenant, endpoint);
    await ship(tenant, known, sku, 1);
    await ship(tenant, unknown, sku, 1);

    expect(await linkedCustomer(tenant, known)).toBe("crm-7");
    await balanceBecomes(tenant, "crm-7", 20);
    // Both fulfilments were handled (the webhook had them) and the unknown id made no customer.
    await eventually(() => delivered(endpoint, "order.fulfilled").length === 2);
    expect((await call("GET", `/v1/orders/${unknown}`, { key: tenant.adminKey })).body.customerId).toBeNull();
    expect((await call("GET", "/v1/customers/WM-ORDER-991", { key: tenant.adminKey })).status).toBe(404);
  });

  it("a return undoes the order's earnings in the share its units paid, once, whatever the event is handled again", async () => {
    const { tenant, sku } = await programme();
    const endpoint = retailerEndpoint();
    await configureWebhook(tenant, endpoint);
    const orderId = await order(tenant, sku, 4, { email: unique("buyer") + "@example.com" });
    await ship(tenant, orderId, sku, 2);
    await ship(tenant, orderId, sku, 2);
    const customerId = await linkedCustomer(tenant, orderId);
    // 47 + 47 (each 2 units paid 47.50).
    await balanceBecomes(tenant, customerId, 94);

    await returnUnits(tenant, orderId, sku, 3);
    // 3 of the 4 fulfilled units: 71.25 of 95.00, so 3/4 of 94 → 70 reversed.
    const after = await balanceBecomes(tenant, customerId, 24);
    expect(after.ledger.entries.filter((entry: { type: string }) => entry.type === "reverse")).toMatchObject([{ balanceDelta: -70, source: "return" }]);

    // The same events handled again (a redelivery) move nothing.
    await eventually(() => delivered(endpoint, "order.returned").length === 1);
    for (const delivery of [...delivered(endpoint, "order.fulfilled"), ...delivered(endpoint, "order.returned")]) await applyOrderPoints(env, delivery.event as never);
    const again = await loyalty(tenant, customerId);
    expect(again).toMatchObject({ balance: 24 });
    expect(again!.ledger.entries).toHaveLength(3);
  });

  it("a return of points already spent raises loyalty_short, where the balance may not owe them", async () => {
    const { tenant, sku } = await programme({ allowNegativeBalance: false });
    const orderId = await order(tenant, sku, 2, { email: unique("buyer") + "@example.com" });
    await ship(tenant, orderId, sku, 2);
    const customerId = await linkedCustomer(tenant, orderId);
    await balanceBecomes(tenant, customerId, 45);
    const spent = await call("POST", `/v1/customers/${customerId}/loyalty/redemptions`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { points: 40, reference: "checkout-1" } });
    expect(spent.status, JSON.stringify(spent.body)).toBe(201);

    await returnUnits(tenant, orderId, sku, 2);
    await balanceBecomes(tenant, customerId, 0);
    const exceptions = await eventually(async () => {
      const listed = await call("GET", "/v1/exceptions?type=loyalty_short", { key: tenant.adminKey });
      return listed.body.exceptions.length > 0 ? listed.body.exceptions : null;
    });
    expect(exceptions).toMatchObject([{ type: "loyalty_short", subject: `customer:${customerId}`, payload: { customerId, orderId, effect: "reverse-earn", points: 45, short: 40 } }]);
  });
});

describe("what an order's units paid", () => {
  it("shares each SKU's net amount among its units, and leaves excluded SKUs out", () => {
    const lines = [
      { sku: "A", qty: 3, unitPrice: 1000, discount: 300 },
      { sku: "B", qty: 1, unitPrice: 999, discount: 0 },
    ];
    expect(orderUnitsPaid(lines, [{ sku: "A", qty: 2 }])).toBe(1800);
    expect(orderUnitsPaid(lines, [{ sku: "A", qty: 3 }, { sku: "B", qty: 1 }], ["B"])).toBe(2700);
    expect(orderUnitsPaid(lines, [{ sku: "C", qty: 5 }])).toBe(0);
    expect(orderEarningPrefix("ord_1")).toBe("order:ord_1:earn:");
  });
});
