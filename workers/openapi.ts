import { createRoute, OpenAPIHono, type RouteConfig, type z } from "@hono/zod-openapi";
import { validationHook } from "../shared/problem.ts";
import { Problem } from "../shared/schemas/common.ts";
import type { AppEnv } from "./env.ts";
import { authenticate } from "./middleware/authenticate.ts";
import { limitAddress } from "./middleware/rate-limit.ts";

/** A route group whose validation failures become `validation_failed` problems. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export function body<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}

const problem = (description: string) => ({ content: { "application/problem+json": { schema: Problem } }, description });

/** The problem responses every route of the business API declares, for the OpenAPI document. */
const problems = {
  400: problem("validation_failed, malformed_json or idempotency_key_required"),
  401: problem("unauthorized (missing or unknown key or console session), key_revoked, key_expired or session_expired"),
  403: problem("forbidden: the key's role or binding does not allow this; csrf_token_invalid: a write with the console's session cookie lacks its X-Shelfsync-CSRF token"),
  404: problem("not_found"),
  409: problem("insufficient_stock, reservation_not_active, idempotency_conflict or conflict"),
  413: problem("payload_too_large"),
  415: problem("unsupported_media_type"),
  422: problem("unknown_location, unknown_channel, location_not_in_channel, negative_on_hand, account_mapping_incomplete or unknown_tender_type"),
  429: problem("rate_limited: the key, the tenant or (without a usable key) the source address is over its limit; Retry-After and RateLimit say when to retry"),
} as const;

/** A key in Authorization, or the console's session cookie standing for one (docs/decisions/0035-console.md). */
const security: Record<string, string[]>[] = [{ bearer: [] }, { session: [] }];

/** What a route states of its own besides its method, path and operationId; its area adds the tag, security and problems. */
type RouteSpec = Omit<RouteConfig, "method" | "path" | "operationId" | "tags"> & { summary: string };

function declare<M extends RouteConfig["method"]>(tag: string, method: M) {
  return <P extends string, S extends RouteSpec>(path: P, operationId: string, spec: S) =>
    createRoute({
      method,
      path,
      operationId,
      tags: [tag],
      ...spec,
      // After the spec, so that a route's own `security: []` wins and the document keeps its key order.
      security: spec.security ?? security,
      responses: { ...problems, ...spec.responses },
      // Route middleware runs before the validators: the key is checked (and rate limited) before the body is read.
      middleware: spec.security?.length === 0 ? [limitAddress] : [authenticate],
    });
}

/**
 * Route declarations of one API area (its OpenAPI tag): bearer-key security unless the spec says
 * `security: []` (then rate limited by source address), with the key checked by `authenticate` before any validator reads the request,
 * and the shared problem responses beside the spec's own.
 *
 * @example
 * const orders = routesOf("Orders");
 * const read = orders.get("/v1/orders/{id}", "getOrder", {
 *   summary: "An order with its allocations",
 *   request: { params: OrderParams },
 *   responses: { 200: json(Order, "The order") },
 * });
 * createRouter().openapi(read, (c) => c.json(lookUp(c.req.valid("param").id), 200));
 */
export function routesOf(tag: string) {
  return { get: declare(tag, "get"), post: declare(tag, "post"), put: declare(tag, "put"), delete: declare(tag, "delete") };
}
