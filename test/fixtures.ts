import { afterEach, beforeEach, expect, vi } from "vitest";
import { call, type ApiResponse, type TestTenant } from "./api.ts";

/**
 * Asserts an RFC 9457 problem: content type, status, stable code and every
 * member the error model promises (instance is the request id).
 */
export function expectProblem(response: ApiResponse, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.body).toMatchObject({
    type: expect.stringContaining(code),
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    instance: expect.any(String),
  });
  expect(response.body.title).not.toBe("");
  expect(response.body.detail).not.toBe("");
  expect(response.body.instance).not.toBe("");
  expect(response.body.instance).not.toBe("unknown");
}

/**
 * Silences the access log for each test of the enclosing describe: the Worker
 * runs in this isolate and logs one line a request to this console.
 */
export function quietAccessLog(): void {
  beforeEach(() => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
}

/** What a reader can see of one SKU: its inventory answer and its whole ledger. */
export async function skuState(key: string, sku: string) {
  const inventory = await call("GET", `/v1/inventory/${sku}`, { key });
  const ledger = await call("GET", `/v1/inventory/${sku}/ledger?limit=1000`, { key });
  expect(ledger.status).toBe(200);
  return { inventory: { status: inventory.status, body: inventory.body }, ledger: ledger.body.entries as unknown[] };
}

export async function keyCount(tenant: TestTenant): Promise<number> {
  const keys = await call("GET", "/v1/keys", { key: tenant.adminKey });
  expect(keys.status).toBe(200);
  return (keys.body.keys as unknown[]).length;
}

/**
 * Polls the availability read model (which trails the SKU objects by the
 * publish delay) until `accept` holds or the deadline passes; returns the last answer.
 */
export async function pollAvailability(key: string, sku: string, channel: string, accept: (response: ApiResponse) => boolean, timeoutMs = 5_000): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await call("GET", `/v1/availability/${sku}?channel=${channel}`, { key });
    if (accept(response) || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
