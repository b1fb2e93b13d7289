import { decimalToMinor } from "../../../shared/money.ts";
import { CancelOrderRequest, CreateOrderRequest } from "../../../shared/schemas/orders.ts";
import { issuesOf, ShopifyOrder, type JsonValue, type ShopifyAddress, type ShopifyLineItem } from "./payload.ts";

/** A mapping's answer: the canonical value, or why the payload does not map. */
export type Mapped<T> = { ok: true; value: T } | { ok: false; reasons: string[] };

/** Reads decimal amounts of one currency, collecting every amount that does not convert exactly. */
class Amounts {
  readonly reasons: string[] = [];
  constructor(private readonly currency: string) {}

  read(amount: string | null | undefined, where: string): number {
    if (amount === null || amount === undefined) return 0;
    const minor = decimalToMinor(amount, this.currency);
    if (minor === null) this.reasons.push(`${where}: "${amount}" is not an exact ${this.currency} amount`);
    return minor ?? 0;
  }

  sum(items: readonly { price?: string; amount?: string }[] | null | undefined, where: string): number {
    return (items ?? []).reduce((total, item, i) => total + this.read(item.price ?? item.amount, `${where}[${i}]`), 0);
  }
}

function lineOf(item: ShopifyLineItem, i: number, amounts: Amounts, taxesIncluded: boolean) {
  const where = `line_items[${i}]`;
  const sku = item.sku?.trim() ?? "";
  const unitPrice = amounts.read(item.price, `${where}.price`);
  // discount_allocations carry order-level discounts too; total_discount only the line's own.
  const discount =
    item.discount_allocations && item.discount_allocations.length > 0
      ? amounts.sum(item.discount_allocations, `${where}.discount_allocations`)
      : amounts.read(item.total_discount, `${where}.total_discount`);
  const tax = amounts.sum(item.tax_lines, `${where}.tax_lines`);
  // With taxes included the price already holds the tax: counting it again would overstate totals and refunds.
  return { sku, qty: item.quantity, unitPrice, discount, tax: taxesIncluded ? 0 : tax };
}

type Line = ReturnType<typeof lineOf>;

/** Shopify may list one variant on several lines; lines of one SKU at one price become one. */
function mergeLines(items: readonly Line[]): Line[] {
  const merged = new Map<string, Line>();
  for (const item of items) {
    const key = `${item.sku} ${item.unitPrice}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, qty: seen.qty + item.qty, discount: seen.discount + item.discount, tax: seen.tax + item.tax } : { ...item });
  }
  return [...merged.values()];
}

type Address = Extract<CreateOrderRequest["delivery"], { type: "ship" }>["address"];

function addressOf(address: ShopifyAddress): Partial<Address> {
  const name = address.name?.trim() || [address.first_name, address.last_name].filter(Boolean).join(" ").trim();
  const optional = (value: string | null | undefined) => (value?.trim() ? value.trim() : undefined);
  return {
    name: optional(name),
    line1: address.address1?.trim() ?? "",
    line2: optional(address.address2),
    city: address.city?.trim() ?? "",
    region: optional(address.province_code) ?? optional(address.province),
    postalCode: optional(address.zip),
    country: address.country_code?.trim().toUpperCase() ?? "",
  };
}

function customerOf(order: ShopifyOrder) {
  const customer = order.customer;
  const email = customer?.email?.trim() || order.email?.trim() || undefined;
  const name = [customer?.first_name, customer?.last_name].filter(Boolean).join(" ").trim() || undefined;
  const candidate = { id: customer?.id ?? undefined, email, name: name?.slice(0, 200) };
  // A malformed email is dropped rather than refusing the whole order.
  const checked = CreateOrderRequest.shape.customer.safeParse(candidate);
  return checked.success ? checked.data : { id: candidate.id, name: candidate.name };
}

/**
 * An orders/create (or orders/cancelled) payload as the canonical order of
 * `channel`. Its natural key is (channel, Shopify order id): the order's
 * `id`, kept as exact digits. Amounts become integer minor units of the
 * order's `currency` without float math; a line without a SKU, an amount
 * that does not convert exactly, or an order without a shipping address
 * does not map.
 *
 * @example
 * const mapped = mapShopifyOrder(parseShopifyJson(body), "shopify");
 * if (mapped.ok) await submitOrder(env, tenantId, mapped.value);
 */
export function mapShopifyOrder(payload: JsonValue | null, channel: string): Mapped<CreateOrderRequest> {
  const parsed = ShopifyOrder.safeParse(payload);
  if (!parsed.success) return { ok: false, reasons: issuesOf(parsed.error) };
  const order = parsed.data;
  const amounts = new Amounts(order.currency);
  const reasons: string[] = [];

  const items = order.line_items.map((item, i) => lineOf(item, i, amounts, order.taxes_included === true));
  items.forEach((line, i) => {
    if (!line.sku) reasons.push(`line_items[${i}] has no SKU (variant ${order.line_items[i]!.variant_id ?? "none"}, "${order.line_items[i]!.title ?? ""}")`);
    else if (line.discount > line.unitPrice * line.qty) reasons.push(`line_items[${i}]: discount exceeds the line's price`);
  });
  const lines = mergeLines(items);
  const shipping = (order.shipping_lines ?? []).reduce((total, line, i) => {
    const price = amounts.read(line.price, `shipping_lines[${i}].price`);
    const discount = amounts.sum(line.discount_allocations, `shipping_lines[${i}].discount_allocations`);
    return total + Math.max(0, price - discount);
  }, 0);
  if (!order.shipping_address) reasons.push("shipping_address is missing: only shipped orders map (no Shopify location is linked to a pickup location)");
  reasons.push(...amounts.reasons);
  if (reasons.length > 0) return { ok: false, reasons };

  const candidate = {
    channel,
    externalId: order.id,
    currency: order.currency,
    lines,
    delivery: { type: "ship" as const, address: addressOf(order.shipping_address!) },
    customer: customerOf(order),
    shipping,
  };
  const canonical = CreateOrderRequest.safeParse(candidate);
  return canonical.success ? { ok: true, value: canonical.data } : { ok: false, reasons: issuesOf(canonical.error) };
}

/**
 * An orders/cancelled payload: which Shopify order, and why. The canonical
 * order is found by its natural key (channel, Shopify order id).
 */
export function mapShopifyCancellation(payload: JsonValue | null): Mapped<{ externalId: string; request: CancelOrderRequest }> {
  const parsed = ShopifyOrder.pick({ id: true, cancel_reason: true }).safeParse(payload);
  if (!parsed.success) return { ok: false, reasons: issuesOf(parsed.error) };
  const reason = `shopify: ${parsed.data.cancel_reason?.trim() || "cancelled"}`.slice(0, 200);
  return { ok: true, value: { externalId: parsed.data.id, request: CancelOrderRequest.parse({ reason }) } };
}
