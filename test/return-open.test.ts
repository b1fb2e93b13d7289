import { describe, expect, it } from "vitest";
import { unique } from "./api.ts";
import { idem, returnsOf, shippedOrder } from "./return-fixtures.ts";

describe("a return opens against the order's fulfilled units, never more", () => {
  it("opens against fulfilled lines, with its lines, state and event", async () => {
    const tenantId = unique("t");
    const order = shippedOrder("A", "B");
    const { outcome } = await returnsOf(tenantId).open(order, { orderId: order.id, lines: [{ sku: "A", qty: 2, reason: "too small" }] }, null, idem());
    expect(outcome).toMatchObject({
      ok: true,
      return: {
        id: expect.stringMatching(/^ret_/),
        orderId: order.id,
        status: "open",
        lines: [{ sku: "A", qty: 2, reason: "too small", received: 0 }],
        received: [],
        refund: { currency: "USD", amount: 0 },
        events: [{ type: "opened", detail: { lines: 1 } }],
      },
    });
  });

  it("refuses more than was fulfilled, counting every earlier return of the order; nothing changes", async () => {
    const tenantId = unique("t");
    const order = shippedOrder("A", "B", { a: 2, b: 0 });
    const returns = returnsOf(tenantId);

    const tooMany = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 3, reason: "r" }] }, null, idem());
    expect(tooMany.outcome).toEqual({ ok: false, code: "return_exceeds_fulfilled", detail: expect.any(String), extra: { sku: "A", requested: 3, returnable: 2 } });

    // B was ordered but not shipped: nothing of it can come back yet.
    const unshipped = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }, { sku: "B", qty: 1, reason: "r" }] }, null, idem());
    expect(unshipped.outcome).toMatchObject({ ok: false, code: "return_exceeds_fulfilled", extra: { sku: "B", returnable: 0 } });
    const notOrdered = await returns.open(order, { orderId: order.id, lines: [{ sku: "Z", qty: 1, reason: "r" }] }, null, idem());
    expect(notOrdered.outcome).toMatchObject({ ok: false, code: "return_exceeds_fulfilled", extra: { sku: "Z", returnable: 0 } });
    expect(await returns.listForOrder(order.id)).toEqual([]);

    const first = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }] }, null, idem());
    expect(first.outcome.ok).toBe(true);
    const second = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 2, reason: "r" }] }, null, idem());
    expect(second.outcome).toMatchObject({ ok: false, code: "return_exceeds_fulfilled", extra: { sku: "A", requested: 2, returnable: 1 } });
    const last = await returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }] }, null, idem());
    expect(last.outcome.ok).toBe(true);
    expect((await returns.listForOrder(order.id)).map((r) => r.lines[0]!.qty)).toEqual([1, 1]);
  });

  it("takes fulfilled units once under concurrent opens", async () => {
    const tenantId = unique("t");
    const order = shippedOrder("A", "B", { a: 3, b: 0 });
    const returns = returnsOf(tenantId);
    const attempts = await Promise.all(Array.from({ length: 8 }, () => returns.open(order, { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }] }, null, idem())));
    expect(attempts.filter((a) => a.outcome.ok)).toHaveLength(3);
    expect(await returns.listForOrder(order.id)).toHaveLength(3);
  });

  it("answers the first return again for the same Idempotency-Key or external key", async () => {
    const tenantId = unique("t");
    const order = shippedOrder("A", "B");
    const returns = returnsOf(tenantId);
    const key = idem();
    const request = { orderId: order.id, lines: [{ sku: "A", qty: 1, reason: "r" }] };
    const first = await returns.open(order, request, null, key);
    const retry = await returns.open(order, request, null, key);
    expect(retry).toEqual({ outcome: first.outcome, replayed: true });

    const external = await returns.open(order, { orderId: order.id, lines: [{ sku: "B", qty: 1, reason: "r" }] }, "shopify-refund:1", idem());
    const again = await returns.open(order, { orderId: order.id, lines: [{ sku: "B", qty: 1, reason: "r" }] }, "shopify-refund:1", idem());
    expect(again.outcome).toEqual(external.outcome);
    expect(await returns.listForOrder(order.id)).toHaveLength(2);
  });
});
