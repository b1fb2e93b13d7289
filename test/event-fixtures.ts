import { vi } from "vitest";
import { call, createStockedTenant, setStock, unique, type TestTenant } from "./api.ts";

export interface Delivery {
  attempt: number;
  status: number;
  headers: Record<string, string>;
  body: string;
  event: Record<string, any>;
}

/**
 * A retailer's webhook endpoint: outside our system, so the one thing faked.
 * Fetches to its URL are answered by `status(attempt, event)` (`attempt`:
 * the how-manieth delivery of that event id, from 1) and recorded; every
 * other fetch goes out as usual.
 */
export interface RetailerEndpoint {
  url: string;
  deliveries: Delivery[];
  status: (attempt: number, event: Record<string, any>) => number;
}

const endpoints = new Map<string, RetailerEndpoint>();

function install(): void {
  // Again after a file's vi.restoreAllMocks() (quietAccessLog) took the spy away.
  if (vi.isMockFunction(globalThis.fetch)) return;
  const passthrough = globalThis.fetch;
  // The consumer runs in this isolate (the vitest integration's main Worker), so it sees this fetch.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const endpoint = endpoints.get(request.url);
    if (!endpoint) return passthrough(input, init);
    const body = await request.text();
    const event = JSON.parse(body) as Record<string, any>;
    const attempt = endpoint.deliveries.filter((d) => d.event.id === event.id).length + 1;
    const status = endpoint.status(attempt, event);
    endpoint.deliveries.push({ attempt, status, headers: Object.fromEntries(request.headers), body, event });
    return new Response(status < 300 ? "stored" : "unavailable", { status });
  });
}

export function retailerEndpoint(status: RetailerEndpoint["status"] = () => 200): RetailerEndpoint {
  install();
  const endpoint: RetailerEndpoint = { url: `https://retailer.test/hooks/${unique("hook")}`, deliveries: [], status };
  endpoints.set(endpoint.url, endpoint);
  return endpoint;
}

export const webhookSecret = "whsec-0123456789abcdef";

export async function configureWebhook(tenant: TestTenant, endpoint: RetailerEndpoint, secret = webhookSecret): Promise<void> {
  const put = await call("PUT", "/v1/settings/events", { key: tenant.adminKey, body: { url: endpoint.url, secret } });
  if (put.status !== 200) throw new Error(`event settings failed: ${JSON.stringify(put.body)}`);
}

/**
 * A stocked tenant whose event webhook is a fresh retailer endpoint answering
 * `status`, and a fresh SKU with 5 at wh-1, stocked after the webhook was set
 * so that its events are delivered too.
 */
export async function tenantWithWebhook(status?: RetailerEndpoint["status"]) {
  const tenant = await createStockedTenant();
  const endpoint = retailerEndpoint(status);
  await configureWebhook(tenant, endpoint);
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", 5);
  return { tenant, endpoint, sku };
}

/** The deliveries the endpoint answered 2xx, of one event type. */
export function delivered(endpoint: RetailerEndpoint, type?: string): Delivery[] {
  return endpoint.deliveries.filter((d) => d.status < 300 && (type === undefined || d.event.type === type));
}

/** Waits (the queue delivers within moments) until `check` holds. */
export function eventually<T>(check: () => T | Promise<T>, timeout = 15_000): Promise<T> {
  return vi.waitUntil(check, { timeout, interval: 50 });
}

/** The HMAC-SHA256 signature a receiver expects, computed as the retailer would, independently of the edge's code. */
export async function expectedSignature(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${timestamp}.${body}`)));
  return `sha256=${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}
