import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toCanonical as walmartOrder } from "../durable/connectors/walmart-orders.ts";
import type { WalmartOrder } from "../durable/connectors/walmart-api.ts";
import { proRata } from "../shared/money.ts";
import { maxLineMinorUnits, maxMinorUnits } from "../shared/schemas/common.ts";
import { CreateOrderRequest } from "../shared/schemas/orders.ts";
import { call, createStockedTenant, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, listExceptions, numbered, onHandAt, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

describe("money in API orders: integers in range, a discount never above its line (400, nothing recorded)", () => {
  it.each([
    ["a discount above qty × unitPrice", { sku: "sku-1", qty: 2, unitPrice: 1000, discount: 2001 }, "lines.0.discount"],
    ["a fractional amount", { sku: "sku-1", qty: 1, unitPrice: 19.99 }, "lines.0.unitPrice"],
    ["an amount past the per-field cap", { sku: "sku-1", qty: 1, unitPrice: maxMinorUnits + 1 }, "lines.0.unitPrice"],
    ["an amount past exact integers", { sku: "sku-1", qty: 1, unitPrice: 2 ** 53 + 2 }, "lines.0.unitPrice"],
    ["qty × unitPrice past the line cap", { sku: "sku-1", qty: 100, unitPrice: maxMinorUnits }, "lines.0.unitPrice"],
    ["a negative tax", { sku: "sku-1", qty: 1, unitPrice: 100, tax: -1 }, "lines.0.tax"],
  ])("%s", async (_, line, path) => {
    const tenant = await createStockedTenant();
    const refused = await submitOrder(tenant.adminKey, { ...orderBody([["sku-1", 1]]), lines: [line] });
    expectProblem(refused, 400, "validation_failed");
    expect(refused.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect((await call("GET", "/v1/orders", { key: tenant.adminKey })).body.orders).toEqual([]);
  });

  it("a discount of exactly the line is fine (a free line)", () => {
    expect(CreateOrderRequest.safeParse({ ...orderBody([["sku-1", 1]]), lines: [{ sku: "sku-1", qty: 2, unitPrice: 1000, discount: 2000 }] }).success).toBe(true);
  });
});

describe("money at the till", () => {
  it("a POS line whose discount exceeds it is rejected alone and moves nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const bad = { ...posTransaction(txId("T"), [{ sku, qty: 1 }]), lines: [{ sku, qty: 1, unitPrice: 500, discount: 501 }] };
    const answer = await sendBatch(store.storeKey, "store-a", numbered(1, [bad]));
    expect(answer.body.results[0]).toMatchObject({ status: "rejected", code: "validation_failed", reason: expect.stringContaining("lines.0.discount") });
    expect(await onHandAt(store.tenant, sku)).toBe(10);
  });

  it("a sale whose tenders do not cover its total stands (stock moved) and records one tender_short exception, not a refusal", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const t = txId("T");
    const sale = { ...posTransaction(t, [{ sku, qty: 2 }]), lines: [{ sku, qty: 2, unitPrice: 1000, discount: 150, tax: 85 }], tenders: [{ type: "cash", amount: 1000 }, { type: "card", amount: 800 }] };

    const answer = await sendBatch(store.storeKey, "store-a", numbered(1, [sale]));
    expect(answer.body.results[0]!.status).toBe("accepted");
    expect(await onHandAt(store.tenant, sku)).toBe(8);
    const expected = { type: "tender_short", correlationId: t, payload: { location: "store-a", transactionId: t, total: 1935, tendered: 1800, shortBy: 135, currency: "USD" } };
    expect(await listExceptions(store.tenant)).toEqual([expect.objectContaining(expected)]);

    expect((await sendBatch(store.storeKey, "store-a", numbered(1, [sale]))).body.results[0]!.status).toBe("duplicate");
    const [exception] = await listExceptions(store.tenant);
    const replayed = await call("POST", `/v1/exceptions/${exception!.id}/replay`, { key: store.tenant.adminKey, idempotencyKey: unique("idem"), body: {} });
    expect(replayed.body).toMatchObject({ outcome: "failed", exception: { state: "open", lastFailure: { reason: expect.stringContaining("reconcile the till") } } });
    expect(await onHandAt(store.tenant, sku)).toBe(8);
  });

  it("a sale paid exactly, or a return's money given back, raises nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const exact = { ...posTransaction(txId("T"), [{ sku, qty: 1 }]), lines: [{ sku, qty: 1, unitPrice: 1000, discount: 100, tax: 50 }], tenders: [{ type: "card", amount: 950 }] };
    await sendBatch(store.storeKey, "store-a", numbered(1, [exact, posTransaction(txId("R"), [{ sku, qty: 1 }], "return")]));
    expect(await listExceptions(store.tenant)).toEqual([]);
  });
});

describe("refund arithmetic in integers", () => {
  it("the refunds of any split of a line's units add up exactly to the line's amount (property)", () => {
    const line = fc.record({ qty: fc.integer({ min: 1, max: 10_000 }), unitPrice: fc.integer({ min: 0, max: maxMinorUnits }) }).filter(({ qty, unitPrice }) => qty * unitPrice <= maxLineMinorUnits);
    fc.assert(
      fc.property(line, fc.integer({ min: 0, max: 1_000_000 }), fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 30 }), ({ qty, unitPrice }, discountSeed, parts) => {
        const amount = qty * unitPrice - (discountSeed % (qty * unitPrice + 1));
        let received = 0;
        let refunded = 0;
        for (const part of parts) {
          const take = Math.min(part, qty - received);
          const refund = proRata(amount, received + take, qty) - proRata(amount, received, qty);
          expect(Number.isSafeInteger(refund) && refund >= 0).toBe(true);
          refunded += refund;
          received += take;
        }
        if (received < qty) refunded += proRata(amount, qty, qty) - proRata(amount, received, qty);
        return refunded === amount;
      }),
    );
  });

  it("Walmart's decimal amounts become minor units exactly: 3 × 19.99 refunds 59.97, not a rounded unit price", () => {
    const order: WalmartOrder = {
      purchaseOrderId: "1796277083022",
      customerOrderId: "5281956426648",
      orderDate: 1_700_000_000_000,
      shippingInfo: { postalAddress: { name: "Kim", address1: "1 Main St", city: "Springfield", country: "USA" } },
      orderLines: {
        orderLine: [
          { lineNumber: "1", item: { sku: "sku-1" }, orderLineQuantity: { amount: "3" }, charges: { charge: [{ chargeType: "PRODUCT", chargeAmount: { currency: "USD", amount: 59.97 }, tax: { taxAmount: { amount: "4.80" } } }] } },
          { lineNumber: "2", item: { sku: "sku-2" }, orderLineQuantity: { amount: "3" }, charges: { charge: [{ chargeType: "PRODUCT", chargeAmount: { currency: "USD", amount: "10.00" } }] } },
        ],
      },
    };
    const canonical = walmartOrder("walmart", order);
    expect(canonical.lines.map((line) => [line.qty * line.unitPrice - line.discount, line.tax])).toEqual([
      [5997, 480],
      [1000, 0],
    ]);
    expect(CreateOrderRequest.safeParse(canonical).success).toBe(true);
    const unexact = walmartOrder("walmart", { ...order, orderLines: { orderLine: [{ ...order.orderLines.orderLine[0]!, charges: { charge: [{ chargeType: "PRODUCT", chargeAmount: { currency: "USD", amount: "19.999" } }] } }] } });
    expect(CreateOrderRequest.safeParse(unexact).success).toBe(false);
  });
});
