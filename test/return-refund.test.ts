import { describe, expect, it } from "vitest";
import { unique } from "./api.ts";
import { idem, returnsOf, shippedOrder } from "./return-fixtures.ts";

describe("a return's refund follows from the units received, in exact minor units", () => {
  it("each unit earns its share of the line amount (price × qty − discount + tax); the whole line refunds it to the unit", async () => {
    const tenantId = unique("t");
    // A: 3 × 1000 − 100 + 290 = 3190 for 3 units; B: 2 × 500 = 1000.
    const order = shippedOrder("A", "B");
    const returns = returnsOf(tenantId);
    const opened = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 3, reason: "r" }, { sku: "B", qty: 1, reason: "r" }] }, null, idem());
    if (!opened.outcome.ok) throw new Error(opened.outcome.detail);
    const id = opened.outcome.return.id;

    const one = await returns.receive(id, { location: "store-a", lines: [{ sku: "A", qty: 1, disposition: "restock" }] }, idem());
    expect(one.outcome).toMatchObject({ ok: true, return: { refund: { currency: "USD", amount: 1063 }, received: [{ refund: 1063 }] } });

    const more = await returns.receive(id, { location: "store-a", lines: [{ sku: "A", qty: 1, disposition: "damaged" }, { sku: "B", qty: 1, disposition: "vendor_return" }] }, idem());
    // floor(3190 × 2 / 3) − 1063 = 2126 − 1063 = 1063; B: 500.
    expect(more.outcome).toMatchObject({ ok: true, return: { refund: { amount: 1063 + 1063 + 500 } } });

    const last = await returns.receive(id, { location: "store-a", lines: [{ sku: "A", qty: 1, disposition: "restock" }] }, idem());
    // The last unit takes the remainder: 3190 − 2126 = 1064.
    expect(last.outcome).toMatchObject({ ok: true, return: { status: "received", refund: { amount: 3190 + 500 } } });
    expect(last.outcome.ok && last.outcome.return.received.map((line) => line.refund)).toEqual([1063, 1063, 500, 1064]);
  });

  it("counts units across the order's returns, so two returns of one line never refund more than it", async () => {
    const tenantId = unique("t");
    const order = shippedOrder("A", "B");
    const returns = returnsOf(tenantId);
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const opened = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }] }, null, idem());
      if (!opened.outcome.ok) throw new Error(opened.outcome.detail);
      const received = await returns.receive(opened.outcome.return.id, { location: "store-a", lines: [{ sku: "A", qty: 1, disposition: "restock" }] }, idem());
      if (!received.outcome.ok) throw new Error(received.outcome.detail);
      total += received.outcome.return.refund.amount;
    }
    expect(total).toBe(3190);
  });

  it("stays exact for amounts a float would round", async () => {
    const tenantId = unique("t");
    const order = { id: unique("ord"), currency: "USD", lines: [{ sku: "X", qty: 7, unitPrice: 1_234_567_891, discount: 3, tax: 0 }], fulfilled: [{ sku: "X", location: "store-a", qty: 7 }] };
    const returns = returnsOf(tenantId);
    const opened = await returns.open(order, { orderId: order.id, lines: [{ sku: "X", qty: 7, reason: "r" }] }, null, idem());
    if (!opened.outcome.ok) throw new Error(opened.outcome.detail);
    const received = await returns.receive(opened.outcome.return.id, { location: "store-a", lines: [{ sku: "X", qty: 3, disposition: "restock" }] }, idem());
    // floor((1234567891 × 7 − 3) × 3 / 7) = floor(25925925702 / 7) = 3703703671
    expect(received.outcome.ok && received.outcome.return.refund.amount).toBe(3_703_703_671);
  });
});
