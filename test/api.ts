import { SELF } from "cloudflare:test";

export const platformKey = "test-platform-key-0123456789";

export interface CallOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker through its real fetch handler, as a client would over HTTP. */
export async function call<T = Record<string, any>>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey) headers["idempotency-key"] = options.idempotencyKey;
  let payload: string | undefined = options.rawBody;
  if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
  const response = await SELF.fetch(`https://edge.test${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : null) as T };
}

let counter = 0;

/** A name no other test uses, so objects never collide across tests. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export interface TestTenant {
  id: string;
  adminKey: string;
}

export async function createTenant(id = unique("t")): Promise<TestTenant> {
  const response = await call("POST", "/v1/tenants", { key: platformKey, idempotencyKey: unique("idem"), body: { id, name: `Tenant ${id}` } });
  if (response.status !== 201) throw new Error(`tenant creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id, adminKey: response.body.adminKey.key };
}

export async function createKey(tenant: TestTenant, body: Record<string, unknown>): Promise<string> {
  const response = await call("POST", "/v1/keys", { key: tenant.adminKey, idempotencyKey: unique("idem"), body });
  if (response.status !== 201) throw new Error(`key creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.key;
}

/**
 * A tenant with two stores and a warehouse, a `web` channel over all three
 * (warehouse first) and a `pos` channel over store-a only.
 */
export async function createStockedTenant(): Promise<TestTenant> {
  const tenant = await createTenant();
  for (const [id, type] of [["store-a", "store"], ["store-b", "store"], ["wh-1", "warehouse"]] as const) {
    const put = await call("PUT", `/v1/locations/${id}`, { key: tenant.adminKey, body: { type } });
    if (put.status !== 200) throw new Error(`location failed: ${JSON.stringify(put.body)}`);
  }
  const web = await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"] } });
  if (web.status !== 200) throw new Error(`channel failed: ${JSON.stringify(web.body)}`);
  await call("PUT", "/v1/channels/pos", { key: tenant.adminKey, body: { locations: ["store-a"] } });
  return tenant;
}

export async function setStock(tenant: TestTenant, sku: string, location: string, onHand: number, safetyStock = 0) {
  const response = await call("PUT", `/v1/inventory/${sku}/locations/${location}`, { key: tenant.adminKey, body: { onHand, safetyStock } });
  if (response.status !== 200) throw new Error(`set stock failed: ${JSON.stringify(response.body)}`);
  return response.body;
}

/**
 * A stocked tenant (see createStockedTenant) with one fresh SKU per argument,
 * each set to its on-hand figure per location.
 * @example const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "store-a": 1 });
 */
export async function tenantWithStock<T extends Record<string, number>[]>(...stock: T): Promise<{ tenant: TestTenant; skus: { [K in keyof T]: string } }> {
  const tenant = await createStockedTenant();
  const skus: string[] = [];
  for (const onHandAt of stock) {
    const sku = unique("sku");
    for (const [location, onHand] of Object.entries(onHandAt)) await setStock(tenant, sku, location, onHand);
    skus.push(sku);
  }
  return { tenant, skus: skus as { [K in keyof T]: string } };
}

export async function reserve(tenant: TestTenant, sku: string, body: Record<string, unknown>, idempotencyKey = unique("idem")) {
  return call("POST", `/v1/inventory/${sku}/reservations`, { key: tenant.adminKey, idempotencyKey, body: { reference: "order-1", channel: "web", ...body } });
}
