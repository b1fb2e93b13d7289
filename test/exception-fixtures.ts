import { expect } from "vitest";
import { call, unique, type ApiResponse, type TestTenant } from "./api.ts";

export function replay(key: string, id: string, idempotencyKey: string | undefined = unique("idem"), body?: unknown): Promise<ApiResponse> {
  return call("POST", `/v1/exceptions/${id}/replay`, { key, idempotencyKey, body });
}

export function resolve(key: string, id: string, body: unknown, idempotencyKey: string | undefined = unique("idem")): Promise<ApiResponse> {
  return call("POST", `/v1/exceptions/${id}/resolve`, { key, idempotencyKey, body });
}

export async function exceptionsOf(tenant: TestTenant, query = ""): Promise<Record<string, any>[]> {
  const response = await call("GET", `/v1/exceptions${query}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body.exceptions;
}

export async function exceptionById(tenant: TestTenant, id: string): Promise<Record<string, any>> {
  const response = await call("GET", `/v1/exceptions/${id}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body;
}

/** A whole exception as listed just after the system opened it (no replay, no failure yet), with `fields` for the rest. */
export function newlyOpened(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    state: "open",
    replays: 0,
    lastFailure: null,
    transitions: [{ at: expect.any(String), from: null, to: "open", by: "system", note: null }],
    createdAt: expect.any(String),
    updatedAt: expect.any(String),
    ...fields,
  };
}

/** Each transition as `from→to`, for compact assertions. */
export function path(exception: Record<string, any>): string[] {
  return (exception.transitions as { from: string | null; to: string }[]).map((t) => `${t.from ?? "∅"}→${t.to}`);
}
