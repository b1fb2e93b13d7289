import { describe, expect, it } from "vitest";
import { mapShopifyCancellation, mapShopifyOrder } from "../workers/integrations/shopify/order.ts";
import { parseShopifyJson } from "../workers/integrations/shopify/payload.ts";
import { mapShopifyRefund } from "../workers/integrations/shopify/refund.ts";
import { decimalToMinor } from "../shared/money.ts";
import { shopifyOrder, shopifyRefund, toShopifyJson } from "./shopify-fixtures.ts";

const parse = (value: unknown) => parseShopifyJson(toShopifyJson(value));

describe("Shopify payloads map to the canonical order, exactly", () => {
  it("keeps an 18-digit order id as its exact digits (JSON.parse alone would round it)", () => {
    const text = toShopifyJson(shopifyOrder({ id: "820982911946154508", lines: [{ sku: "A", quantity: 1, price: "1.00" }] }));
    expect((JSON.parse(text) as { id: number }).id).toBe(820982911946154500);
    const mapped = mapShopifyOrder(parseShopifyJson(text), "web");
    expect(mapped.ok && mapped.value.externalId).toBe("820982911946154508");
  });

  it("maps line_items (sku, quantity, price, discount_allocations, tax_lines), shipping_lines, shipping_address and customer", () => {
    const payload = shopifyOrder({
      id: "450789469000000001",
      lines: [
        { sku: "IPOD-NANO-8GB", quantity: 2, price: "199.00", discount: "5.00", tax: "23.58" },
        { sku: "CASE-RED", quantity: 1, price: "0.10", tax: "0.01" },
      ],
      shipping: "10.00",
    });
    const mapped = mapShopifyOrder(parse(payload), "web");
    expect(mapped).toEqual({
      ok: true,
      value: {
        channel: "web",
        externalId: "450789469000000001",
        currency: "USD",
        lines: [
          { sku: "IPOD-NANO-8GB", qty: 2, unitPrice: 19900, discount: 500, tax: 2358 },
          { sku: "CASE-RED", qty: 1, unitPrice: 10, discount: 0, tax: 1 },
        ],
        delivery: {
          type: "ship",
          address: { name: "Steve Shipper", line1: "123 Shipping Street", city: "Shippington", region: "KY", postalCode: "40003", country: "US" },
        },
        customer: { id: "115310627314723954", email: "john@example.com", name: "John Smith" },
        shipping: 1000,
      },
    });
  });

  it("converts decimals without float error and by the currency's minor units", () => {
    // 0.1 + 0.2 and 1.005 * 100 are the classic float failures.
    expect(decimalToMinor("0.30", "USD")).toBe(30);
    expect(decimalToMinor("1.005", "USD")).toBeNull();
    expect(decimalToMinor("1.10", "USD")).toBe(110);
    expect(decimalToMinor("19.990", "USD")).toBe(1999);
    expect(decimalToMinor("1000", "JPY")).toBe(1000);
    expect(decimalToMinor("1000.00", "JPY")).toBe(1000);
    expect(decimalToMinor("1.234", "KWD")).toBe(1234);
    expect(decimalToMinor("-1.00", "USD")).toBeNull();
    expect(decimalToMinor("1e3", "USD")).toBeNull();
    const yen = mapShopifyOrder(parse(shopifyOrder({ currency: "JPY", lines: [{ sku: "A", quantity: 3, price: "1500", tax: "450" }] })), "web");
    expect(yen.ok && yen.value.lines[0]).toEqual({ sku: "A", qty: 3, unitPrice: 1500, discount: 0, tax: 450 });
  });

  it("merges lines of one SKU at one price; keeps different prices apart", () => {
    const mapped = mapShopifyOrder(
      parse(
        shopifyOrder({
          lines: [
            { sku: "A", quantity: 1, price: "199.00" },
            { sku: "A", quantity: 1, price: "199.00", discount: "5.00" },
            { sku: "A", quantity: 1, price: "150.00" },
          ],
        }),
      ),
      "web",
    );
    expect(mapped.ok && mapped.value.lines).toEqual([
      { sku: "A", qty: 2, unitPrice: 19900, discount: 500, tax: 0 },
      { sku: "A", qty: 1, unitPrice: 15000, discount: 0, tax: 0 },
    ]);
  });

  it("counts no tax on top of a price that includes it", () => {
    const mapped = mapShopifyOrder(parse(shopifyOrder({ taxesIncluded: true, lines: [{ sku: "A", quantity: 1, price: "120.00", tax: "20.00" }] })), "web");
    expect(mapped.ok && mapped.value.lines[0]).toEqual({ sku: "A", qty: 1, unitPrice: 12000, discount: 0, tax: 0 });
  });

  it("does not map a line without a SKU, an inexact amount, or an order without a shipping address", () => {
    const noSku = mapShopifyOrder(parse(shopifyOrder({ lines: [{ sku: "A", quantity: 1, price: "1.00" }, { sku: null, quantity: 1, price: "2.00" }] })), "web");
    expect(noSku).toMatchObject({ ok: false, reasons: [expect.stringContaining("line_items[1] has no SKU")] });
    const blankSku = mapShopifyOrder(parse(shopifyOrder({ lines: [{ sku: "  ", quantity: 1, price: "1.00" }] })), "web");
    expect(blankSku.ok).toBe(false);
    const inexact = mapShopifyOrder(parse(shopifyOrder({ lines: [{ sku: "A", quantity: 1, price: "1.005" }] })), "web");
    expect(inexact).toMatchObject({ ok: false, reasons: [expect.stringContaining("line_items[0].price")] });
    const pickup = mapShopifyOrder(parse(shopifyOrder({ shippingAddress: false, lines: [{ sku: "A", quantity: 1, price: "1.00" }] })), "web");
    expect(pickup).toMatchObject({ ok: false, reasons: [expect.stringContaining("shipping_address")] });
    expect(mapShopifyOrder(parseShopifyJson("not json"), "web").ok).toBe(false);
    expect(mapShopifyOrder(parse({ id: 1 }), "web").ok).toBe(false);
  });

  it("maps orders/cancelled to the order's natural key and Shopify's cancel_reason", () => {
    const mapped = mapShopifyCancellation(parse(shopifyOrder({ id: "450789469000000002", cancelReason: "customer", lines: [{ sku: "A", quantity: 1, price: "1.00" }] })));
    expect(mapped).toEqual({ ok: true, value: { externalId: "450789469000000002", request: { reason: "shopify: customer" } } });
  });

  it("maps refunds/create lines by restock_type: return and legacy_restock restock, no_restock is written off, cancel cancels", () => {
    const payload = shopifyRefund(
      "450789469000000003",
      [
        { sku: "A", quantity: 1, restockType: "return" },
        { sku: "A", quantity: 1, restockType: "legacy_restock" },
        { sku: "B", quantity: 2, restockType: "no_restock" },
        { sku: "C", quantity: 1, restockType: "cancel" },
        { sku: "D", quantity: 0, restockType: "return" },
      ],
      "509562969000000001",
    );
    expect(mapShopifyRefund(parse(payload))).toEqual({
      ok: true,
      value: {
        refundId: "509562969000000001",
        externalOrderId: "450789469000000003",
        note: "customer changed their mind",
        cancel: [{ sku: "C", qty: 1 }],
        returned: [
          { sku: "A", qty: 2, disposition: "restock" },
          { sku: "B", qty: 2, disposition: "damaged" },
        ],
      },
    });
  });

  it("does not map a refund line without a SKU or with an unknown restock_type", () => {
    expect(mapShopifyRefund(parse(shopifyRefund("1", [{ sku: null, quantity: 1, restockType: "return" }]))).ok).toBe(false);
    expect(mapShopifyRefund(parse(shopifyRefund("1", [{ sku: "A", quantity: 1, restockType: "teleport" }]))).ok).toBe(false);
  });
});
