import createClient from "openapi-fetch";
import type { components, paths } from "../shared/api-client/schema.ts";

/** The API's wire types, generated from its OpenAPI document (shared/api-client/schema.ts). */
export type Schemas = components["schemas"];

/** A problem+json answer (RFC 9457), with its stable `code`. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

/** What every call carries besides its own parameters: the session's CSRF token, and the tenant a partner acts on. */
const context = { csrfToken: null as string | null, tenant: null as string | null, onSignedOut: () => {} };

export function setCsrfToken(csrfToken: string | null): void {
  context.csrfToken = csrfToken;
}

/** The tenant a partner's session acts on (sent as X-Shelfsync-Tenant); null for none. */
export function actOnTenant(tenant: string | null): void {
  context.tenant = tenant;
}

/** Called when the API answers 401 to a call made with the session: it ended (expired, signed out elsewhere, key revoked). */
export function whenSignedOut(handler: () => void): void {
  context.onSignedOut = handler;
}

/** An Idempotency-Key from the browser's random source (crypto.randomUUID needs a secure context; a partner's plain-http host is not one). */
function idempotencyKey(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The public API, typed by its OpenAPI document, called with the session
 * cookie (same origin): the console sees and does only what the key behind
 * the session may.
 */
export const api = createClient<paths>({ baseUrl: location.origin, credentials: "same-origin" });

api.use({
  onRequest({ request }) {
    const write = request.method !== "GET" && request.method !== "HEAD";
    const withKey = request.headers.has("authorization");
    if (write && !withKey && context.csrfToken) request.headers.set("x-shelfsync-csrf", context.csrfToken);
    if (!withKey && context.tenant && !request.headers.has("x-shelfsync-tenant")) request.headers.set("x-shelfsync-tenant", context.tenant);
    if (request.method === "POST" && !request.headers.has("idempotency-key")) request.headers.set("idempotency-key", idempotencyKey());
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !request.headers.has("authorization")) context.onSignedOut();
    return response;
  },
});

/**
 * The data of an openapi-fetch answer, or an ApiProblem.
 *
 * @example
 * const page = ok(await api.GET("/v1/exceptions", { params: { query: { state: "open" } } }));
 */
export function ok<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || !answer.response.ok) {
    const problem = (answer.error ?? {}) as { code?: string; detail?: string; title?: string };
    throw new ApiProblem(answer.response.status, problem.code ?? `http_${answer.response.status}`, problem.detail ?? problem.title ?? answer.response.statusText);
  }
  return answer.data as T;
}

/** A message for a failed call, for a role="alert" region. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiProblem) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
