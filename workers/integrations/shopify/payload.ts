import { z } from "zod";

/**
 * The parts of Shopify's REST webhook payloads (orders/create,
 * orders/cancelled, refunds/create) that Shelfsync reads, in Shopify's own
 * field names. Every other field is ignored.
 */

/** Shopify ids exceed 2^53; `parseShopifyJson` keeps them as their exact digits. */
const Id = z.union([z.string().regex(/^\d{1,30}$/), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]).transform(String);

/** Shopify sends money as decimal strings ("199.00"); a number is read back as the decimal it printed. */
const Money = z.union([z.string(), z.number()]).transform((value) => (typeof value === "number" ? String(value) : value));

const text = z.string().nullish();

const TaxLine = z.object({ price: Money });
const DiscountAllocation = z.object({ amount: Money });

export const ShopifyLineItem = z.object({
  id: Id,
  sku: text,
  variant_id: Id.nullish(),
  title: text,
  quantity: z.number().int(),
  price: Money,
  total_discount: Money.nullish(),
  discount_allocations: z.array(DiscountAllocation).nullish(),
  tax_lines: z.array(TaxLine).nullish(),
});

export const ShopifyShippingLine = z.object({
  price: Money,
  discount_allocations: z.array(DiscountAllocation).nullish(),
  tax_lines: z.array(TaxLine).nullish(),
});

export const ShopifyAddress = z.object({
  name: text,
  first_name: text,
  last_name: text,
  address1: text,
  address2: text,
  city: text,
  zip: text,
  province: text,
  province_code: text,
  country_code: text,
});

export const ShopifyCustomer = z.object({ id: Id.nullish(), email: text, first_name: text, last_name: text });

export const ShopifyOrder = z.object({
  id: Id,
  name: text,
  email: text,
  currency: z.string(),
  taxes_included: z.boolean().nullish(),
  total_discounts: Money.nullish(),
  line_items: z.array(ShopifyLineItem),
  shipping_lines: z.array(ShopifyShippingLine).nullish(),
  shipping_address: ShopifyAddress.nullish(),
  customer: ShopifyCustomer.nullish(),
  cancel_reason: text,
});

export const ShopifyRefundLineItem = z.object({
  id: Id,
  quantity: z.number().int(),
  line_item_id: Id,
  location_id: Id.nullish(),
  restock_type: text,
  line_item: z.object({ id: Id, sku: text, quantity: z.number().int().nullish() }),
});

export const ShopifyRefund = z.object({
  id: Id,
  order_id: Id,
  note: text,
  refund_line_items: z.array(ShopifyRefundLineItem),
});

export type ShopifyLineItem = z.infer<typeof ShopifyLineItem>;
export type ShopifyAddress = z.infer<typeof ShopifyAddress>;
export type ShopifyOrder = z.infer<typeof ShopifyOrder>;
export type ShopifyRefund = z.infer<typeof ShopifyRefund>;

/** A JSON value as it can be stored and sent over RPC. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

interface ReviverContext {
  source?: string;
}

function isIdKey(key: string): boolean {
  return key === "id" || key.endsWith("_id");
}

/**
 * JSON.parse that keeps every `id` and `…_id` number as its exact digits:
 * `820982911946154508` would otherwise become 820982911946154500.
 * Returns null for text that is not JSON.
 *
 * @example
 * parseShopifyJson('{"id": 820982911946154508}') // { id: "820982911946154508" }
 */
export function parseShopifyJson(body: string): JsonValue | null {
  try {
    return JSON.parse(body, function (this: unknown, key: string, value: unknown, context?: ReviverContext) {
      if (typeof value === "number" && isIdKey(key) && context?.source !== undefined) return context.source;
      return value;
    } as (this: unknown, key: string, value: unknown) => unknown) as JsonValue;
  } catch {
    return null;
  }
}

/** The zod issues of a payload that does not fit, as short readable lines. */
export function issuesOf(error: z.ZodError): string[] {
  return error.issues.slice(0, 20).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
}
