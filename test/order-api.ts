import { env } from "cloudflare:test";
import { expect } from "vitest";
import { CreateOrderRequest } from "../shared/schemas/orders.ts";
import { call, createStockedTenant, setStock, tenantWithStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { orderProcess } from "../durable/objects.ts";

/**
 * A canonical order on `web` (pool: wh-1, store-a, store-b, in that order)
 * shipped to an address, one line per `[sku, qty]`.
 */
export function orderBody(lines: [string, number][], overrides: Record<string, unknown> = {}) {
  return {
    channel: "web",
    externalId: unique("EXT"),
    currency: "USD",
    lines: lines.map(([sku, qty]) => ({ sku, qty, unitPrice: 1000 })),
    delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } },
    customer: { email: "someone@example.com" },
    ...overrides,
  };
}

export function submitOrder(key: string, body: unknown, idempotencyKey = unique("idem")): Promise<ApiResponse> {
  return call("POST", "/v1/orders", { key, body, idempotencyKey });
}

export function fulfill(key: string, orderId: string, body: unknown, idempotencyKey = unique("idem")): Promise<ApiResponse> {
  return call("POST", `/v1/orders/${orderId}/fulfillments`, { key, body, idempotencyKey });
}

export function cancel(key: string, orderId: string, body: unknown = {}, idempotencyKey = unique("idem")): Promise<ApiResponse> {
  return call("POST", `/v1/orders/${orderId}/cancel`, { key, body, idempotencyKey });
}

/** A stocked tenant with `stock` set (per SKU: `[location, onHand]` pairs) and an order of `lines` on web, reserved. */
export async function reservedOrder(lines: [string, number][], stock: Record<string, [string, number][]>) {
  const tenant = await createStockedTenant();
  for (const [sku, at] of Object.entries(stock)) for (const [location, onHand] of at) await setStock(tenant, sku, location, onHand);
  const created = await submitOrder(tenant.adminKey, orderBody(lines));
  expect(created.body.status).toBe("reserved");
  return { tenant, order: created.body };
}

/** A stocked tenant with a fresh SKU of which wh-1 holds 1, and an order of `qty` of it on web, backordered. */
export async function backorderedOrder(qty = 2) {
  const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 1 });
  const created = await submitOrder(tenant.adminKey, orderBody([[sku, qty]]));
  expect(created.body.status).toBe("backordered");
  return { tenant, sku, order: created.body };
}

/** Per location: onHand and reserved of one SKU, as its object reports them. */
export async function figures(tenant: TestTenant, sku: string): Promise<Record<string, { onHand: number; reserved: number }>> {
  const response = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return Object.fromEntries((response.body.locations as { location: string; onHand: number; reserved: number }[]).map((l) => [l.location, { onHand: l.onHand, reserved: l.reserved }]));
}

/** The SKU's total reserved units. */
export async function reservedOf(tenant: TestTenant, sku: string): Promise<number> {
  return Object.values(await figures(tenant, sku)).reduce((total, l) => total + l.reserved, 0);
}

/** The SKU's ledger entries of one type, e.g. every `reservation`. */
export async function ledgerOf(tenant: TestTenant, sku: string, type: string): Promise<Record<string, any>[]> {
  const response = await call("GET", `/v1/inventory/${sku}/ledger?limit=1000`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return (response.body.entries as Record<string, any>[]).filter((entry) => entry.type === type);
}

/** The order's allocations as `sku@location×qty`, sorted, for compact assertions. */
export function allocationsOf(order: Record<string, any>): string[] {
  return (order.allocations as { sku: string; location: string; qty: number }[]).map((a) => `${a.sku}@${a.location}×${a.qty}`).sort();
}

/** The order's Durable Object, reached as the Worker reaches it. */
export function orderStub(tenant: TestTenant, orderId: string) {
  return orderProcess(env, tenant.id, orderId);
}

export function skus(count: number): string[] {
  return Array.from({ length: count }, (_, i) => unique(`sku${i}`));
}

/** The canonical order a route would hand the service: the body with its defaults filled in. */
export function canonical(body: unknown): CreateOrderRequest {
  return CreateOrderRequest.parse(body);
}
