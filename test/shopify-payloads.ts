/**
 * Payloads in the shape of Shopify's REST webhooks (orders/create,
 * orders/cancelled, refunds/create), with ids above 2^53 as Shopify sends
 * them, and Shopify's signature of a body: plain functions, usable from the
 * Workers tests (test/shopify-fixtures.ts) and the end-to-end ones alike.
 */

/** Large ids are written into the JSON text as bare digits, like Shopify does. */
const bigId = (digits: string) => `#id:${digits}`;

export function toShopifyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/"#id:(\d+)"/g, "$1");
}

let sequence = 0;

/** A Shopify-like 18-digit id, unique per call. */
export function shopifyId(): string {
  sequence += 1;
  return `8209829119${String(Date.now() % 1e6).padStart(6, "0")}${String(sequence).padStart(2, "0")}`.slice(0, 18);
}

function money(amount: string, currency = "USD") {
  return { shop_money: { amount, currency_code: currency }, presentment_money: { amount, currency_code: currency } };
}

export interface LineSpec {
  sku: string | null;
  quantity: number;
  price: string;
  discount?: string;
  tax?: string;
  id?: string;
}

export interface OrderSpec {
  id?: string;
  currency?: string;
  lines: LineSpec[];
  shipping?: string;
  taxesIncluded?: boolean;
  shippingAddress?: boolean;
  cancelReason?: string;
}

/** An order as Shopify's orders/create and orders/cancelled webhooks carry it. */
export function shopifyOrder(spec: OrderSpec) {
  const id = spec.id ?? shopifyId();
  const currency = spec.currency ?? "USD";
  const lineItems = spec.lines.map((line, i) => ({
    id: bigId(line.id ?? `${id.slice(0, 15)}${String(i).padStart(3, "0")}`),
    admin_graphql_api_id: `gid://shopify/LineItem/${line.id ?? i}`,
    variant_id: 39072856 + i,
    product_id: 632910392,
    title: `Product ${i}`,
    name: `Product ${i} - Default`,
    variant_title: null,
    vendor: null,
    quantity: line.quantity,
    current_quantity: line.quantity,
    fulfillable_quantity: line.quantity,
    fulfillment_service: "manual",
    fulfillment_status: null,
    requires_shipping: true,
    taxable: true,
    gift_card: false,
    grams: 500,
    properties: [],
    product_exists: true,
    sku: line.sku,
    price: line.price,
    price_set: money(line.price, currency),
    total_discount: line.discount ?? "0.00",
    total_discount_set: money(line.discount ?? "0.00", currency),
    discount_allocations: line.discount ? [{ amount: line.discount, amount_set: money(line.discount, currency), discount_application_index: 0 }] : [],
    tax_lines: line.tax ? [{ title: "State Tax", price: line.tax, rate: 0.06, price_set: money(line.tax, currency), channel_liable: false }] : [],
    duties: [],
  }));
  const address = {
    first_name: "Steve",
    last_name: "Shipper",
    name: "Steve Shipper",
    address1: "123 Shipping Street",
    address2: null,
    phone: "555-555-0100",
    city: "Shippington",
    zip: "40003",
    province: "Kentucky",
    province_code: "KY",
    country: "United States",
    country_code: "US",
    company: null,
    latitude: null,
    longitude: null,
  };
  return {
    id: bigId(id),
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${id.slice(-4)}`,
    order_number: Number(id.slice(-4)),
    email: "jon@example.com",
    contact_email: "jon@example.com",
    // Now: the edge refuses deliveries whose event is older than the integration accepts.
    created_at: new Date().toISOString(),
    currency,
    presentment_currency: currency,
    financial_status: "paid",
    fulfillment_status: null,
    taxes_included: spec.taxesIncluded ?? false,
    total_discounts: "0.00",
    tax_lines: [],
    discount_codes: [],
    discount_applications: [],
    note_attributes: [],
    line_items: lineItems,
    shipping_lines: spec.shipping
      ? [{ id: bigId(`${id.slice(0, 15)}900`), title: "Generic Shipping", code: null, source: "shopify", price: spec.shipping, price_set: money(spec.shipping, currency), discounted_price: spec.shipping, discount_allocations: [], tax_lines: [] }]
      : [],
    shipping_address: spec.shippingAddress === false ? null : address,
    billing_address: { ...address, first_name: "Bob", name: "Bob Biller" },
    customer: { id: bigId("115310627314723954"), email: "john@example.com", first_name: "John", last_name: "Smith", state: "disabled", currency },
    fulfillments: [],
    refunds: [],
    cancelled_at: spec.cancelReason ? new Date().toISOString() : null,
    cancel_reason: spec.cancelReason ?? null,
  };
}

export interface RefundLineSpec {
  sku: string | null;
  quantity: number;
  restockType: "return" | "no_restock" | "cancel" | "legacy_restock" | string;
  price?: string;
}

/** A refund as Shopify's refunds/create webhook carries it. */
export function shopifyRefund(orderId: string, lines: RefundLineSpec[], id = shopifyId()) {
  return {
    id: bigId(id),
    admin_graphql_api_id: `gid://shopify/Refund/${id}`,
    order_id: bigId(orderId),
    created_at: new Date().toISOString(),
    processed_at: new Date().toISOString(),
    note: "customer changed their mind",
    restock: lines.some((line) => line.restockType !== "no_restock"),
    user_id: null,
    refund_line_items: lines.map((line, i) => ({
      id: bigId(`${id.slice(0, 15)}${String(i).padStart(3, "0")}`),
      line_item_id: bigId(`${orderId.slice(0, 15)}${String(i).padStart(3, "0")}`),
      location_id: bigId("24826418"),
      quantity: line.quantity,
      restock_type: line.restockType,
      subtotal: 199.0,
      total_tax: 0.0,
      subtotal_set: money("199.00"),
      total_tax_set: money("0.00"),
      line_item: { id: bigId(`${orderId.slice(0, 15)}${String(i).padStart(3, "0")}`), sku: line.sku, quantity: line.quantity, price: line.price ?? "199.00", variant_id: 39072856 + i, title: `Product ${i}` },
    })),
    transactions: [{ id: bigId(`${id.slice(0, 15)}777`), kind: "refund", status: "success", amount: "199.00", currency: "USD", gateway: "bogus" }],
    order_adjustments: [],
  };
}

/** Shopify's signature of the exact bytes of `body`: base64(HMAC-SHA256(body, secret)), computed apart from the code under test. */
export async function shopifySignature(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const digest = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...digest));
}
