import { describe, expect, it } from "vitest";
import { call } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { fulfill } from "./order-api.ts";
import { deliver, shopifyId, shopifyOrder, shopifyRefund, shopifyTenant, toShopifyJson } from "./shopify-fixtures.ts";

describe("refunds/create takes the return path", () => {
  it("cancels refunded unshipped units, restocks returned ones where they shipped from, writes off no_restock ones, and refunds from the order's prices", async () => {
    const { tenant, secret, skus: [skuA, skuB, skuC] } = await shopifyTenant({ "wh-1": 10 }, { "wh-1": 10 }, { "wh-1": 10 });
    const id = shopifyId();
    const created = await deliver(tenant.id, secret, {
      topic: "orders/create",
      body: toShopifyJson(
        shopifyOrder({
          id,
          lines: [
            { sku: skuA, quantity: 2, price: "20.00", tax: "3.00" },
            { sku: skuB, quantity: 1, price: "15.00" },
            { sku: skuC, quantity: 1, price: "9.99" },
          ],
        }),
      ),
    });
    const orderId = created.body.summary.orderId;
    expect((await fulfill(tenant.adminKey, orderId, { location: "wh-1", lines: [{ sku: skuA, qty: 2 }, { sku: skuB, qty: 1 }] })).status).toBe(200);

    const refundBody = toShopifyJson(
      shopifyRefund(id, [
        { sku: skuA, quantity: 1, restockType: "return" },
        { sku: skuB, quantity: 1, restockType: "no_restock" },
        { sku: skuC, quantity: 1, restockType: "cancel" },
      ]),
    );
    const refunded = await deliver(tenant.id, secret, { topic: "refunds/create", body: refundBody });
    expect(refunded.status).toBe(200);
    // A: (2 × 2000 + 300) / 2 = 2150 for one unit; B: 1500.
    expect(refunded.body).toMatchObject({ status: "applied", summary: { orderId, returnId: expect.stringMatching(/^ret_/), refund: 3650 } });

    const returned = await call("GET", `/v1/returns/${refunded.body.summary.returnId}`, { key: tenant.adminKey });
    expect(returned.body).toMatchObject({
      orderId,
      status: "received",
      lines: [
        { sku: skuA, qty: 1, received: 1 },
        { sku: skuB, qty: 1, received: 1 },
      ],
      received: [
        { sku: skuA, qty: 1, location: "wh-1", disposition: "restock", refund: 2150 },
        { sku: skuB, qty: 1, location: "wh-1", disposition: "damaged", refund: 1500 },
      ],
      refund: { currency: "USD", amount: 3650 },
    });
    // A: 10 − 2 shipped + 1 back; B: 10 − 1 shipped, written off; C: its reservation released.
    const a = await skuState(tenant.adminKey, skuA);
    expect(a.inventory.body.totals).toMatchObject({ onHand: 9, reserved: 0 });
    const b = await skuState(tenant.adminKey, skuB);
    expect(b.inventory.body.totals).toMatchObject({ onHand: 9, reserved: 0 });
    expect(b.ledger.filter((entry: any) => entry.type === "write_off")).toEqual([expect.objectContaining({ delta: 0, reason: "return_damaged: 1 units", location: "wh-1" })]);
    const c = await skuState(tenant.adminKey, skuC);
    expect(c.inventory.body.totals).toMatchObject({ onHand: 10, reserved: 0 });
    const order = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(order.body.cancelled).toEqual([{ sku: skuC, qty: 1 }]);

    // The same refund delivered again under a new webhook id: the refund id holds, nothing moves.
    const again = await deliver(tenant.id, secret, { topic: "refunds/create", body: refundBody });
    expect(again.body).toMatchObject({ status: "applied", summary: { returnId: refunded.body.summary.returnId, refund: 3650 } });
    expect(await skuState(tenant.adminKey, skuA)).toEqual(a);
    expect(await skuState(tenant.adminKey, skuB)).toEqual(b);
  });

  it("records a refund returning more than was shipped as an exception", async () => {
    const { tenant, secret, skus: [sku] } = await shopifyTenant({ "wh-1": 10 });
    const id = shopifyId();
    await deliver(tenant.id, secret, { topic: "orders/create", body: toShopifyJson(shopifyOrder({ id, lines: [{ sku, quantity: 2, price: "20.00" }] })) });
    const refunded = await deliver(tenant.id, secret, { topic: "refunds/create", body: toShopifyJson(shopifyRefund(id, [{ sku, quantity: 1, restockType: "return" }])) });
    expect(refunded.body).toMatchObject({ status: "unmapped", summary: { reason: expect.stringContaining("return_exceeds_fulfilled") } });
    expect((await skuState(tenant.adminKey, sku)).inventory.body.totals).toMatchObject({ onHand: 10, reserved: 2 });
  });
});
