import { env } from "cloudflare:test";
import type { IdempotencyInput } from "../durable/idempotency.ts";
import type { ReturnableOrder } from "../durable/tenant-returns.ts";
import { unique } from "./api.ts";
import { tenantReturns } from "../durable/objects.ts";

/** The tenant's returns object, reached directly as the Worker reaches it. */
export function returnsOf(tenantId: string) {
  return tenantReturns(env, tenantId);
}

export function idem(): IdempotencyInput {
  const key = unique("idem");
  return { key, requestHash: key };
}

/**
 * An order as a return sees it: two SKUs, `fulfilled` of each shipped from
 * store-a. A: 3 × 10.00 with 1.00 discount and 2.90 tax (line 31.90);
 * B: 2 × 5.00, no discount or tax.
 */
export function shippedOrder(skuA: string, skuB: string, fulfilled: { a: number; b: number } = { a: 3, b: 2 }): ReturnableOrder {
  return {
    id: unique("ord"),
    currency: "USD",
    lines: [
      { sku: skuA, qty: 3, unitPrice: 1000, discount: 100, tax: 290 },
      { sku: skuB, qty: 2, unitPrice: 500, discount: 0, tax: 0 },
    ],
    fulfilled: [
      ...(fulfilled.a > 0 ? [{ sku: skuA, location: "store-a", qty: fulfilled.a }] : []),
      ...(fulfilled.b > 0 ? [{ sku: skuB, location: "store-a", qty: fulfilled.b }] : []),
    ],
  };
}
