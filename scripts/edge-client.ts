import { randomUUID } from "node:crypto";

export interface EdgeResponse<T> {
  status: number;
  body: T;
}

/**
 * A minimal JSON client for the edge API, for scripts and benchmarks.
 * POSTs get a fresh Idempotency-Key unless one is given.
 */
export async function edgeRequest<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<EdgeResponse<T>> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (method === "POST") headers["idempotency-key"] = options.idempotencyKey ?? randomUUID();
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Like edgeRequest, but any status outside 2xx is an error with the problem's detail. */
export async function edgeCall<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; idempotencyKey?: string } = {},
): Promise<T> {
  const response = await edgeRequest<T>(baseUrl, method, path, options);
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}
