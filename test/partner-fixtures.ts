import { expect } from "vitest";
import { tenantHeader } from "../shared/schemas/partners.ts";
import { call, platformKey, unique, type ApiResponse, type CallOptions, type TestTenant } from "./api.ts";

export interface TestPartner {
  id: string;
  key: string;
  keyId: string;
}

export async function createPartner(id = unique("p")): Promise<TestPartner> {
  const response = await call("POST", "/v1/partners", { key: platformKey, idempotencyKey: unique("idem"), body: { id, name: `Partner ${id}` } });
  if (response.status !== 201) throw new Error(`partner creation failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { id, key: response.body.adminKey.key, keyId: response.body.adminKey.id };
}

/** A tenant created by the partner's key: the partner's own. */
export async function partnerTenant(partner: TestPartner, id = unique("t")): Promise<TestTenant> {
  const response = await call("POST", "/v1/tenants", { key: partner.key, idempotencyKey: unique("idem"), body: { id, name: `Tenant ${id}` } });
  expect(response.status).toBe(201);
  return { id, adminKey: response.body.adminKey.key };
}

/** Calls a tenant route with a partner key acting on `tenantId`. */
export function asPartner(partner: TestPartner, tenantId: string, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  return call(method, path, { ...options, key: partner.key, headers: { ...options.headers, [tenantHeader]: tenantId } });
}
