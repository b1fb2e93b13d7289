import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common.ts";
import { KeyRole } from "./tenancy.ts";

export const AuditKind = z.enum(["write", "sign_in"]).openapi({
  description: "write: a request that may change state (any method but GET/HEAD), every one; sign_in: a read with a key, the key's first in a minute at an edge isolate, or a refused key.",
});

export const AuditRecord = z
  .object({
    seq: z.number().int().openapi({ description: "The record's number: unique within the tenant, increasing within the audit object that holds it; the trail is listed by time (`at`), then by this." }),
    at: Timestamp,
    kind: AuditKind,
    keyId: z.string().nullable().openapi({ description: "The key used; null for a signed webhook or a refused key that matched none." }),
    role: KeyRole.nullable(),
    method: z.string().openapi({ example: "POST" }),
    route: z.string().openapi({ example: "/v1/inventory/:sku/reservations", description: "The route's pattern, as registered." }),
    path: z.string().openapi({ example: "/v1/inventory/TSHIRT-RED-M/reservations" }),
    objectId: z.string().nullable().openapi({ description: "What the request was about: the route's parameters, or the id of what it created." }),
    status: z.number().int().openapi({ example: 201 }),
    outcome: z.string().openapi({ example: "ok", description: "ok, or the problem's code (insufficient_stock, forbidden, rate_limited, …)." }),
    requestId: z.string().openapi({ description: "The request id (the problem's instance; X-Request-Id)." }),
    traceId: z.string().openapi({ description: "The request's trace id: that of the W3C traceparent the caller sent, else of the trace the request started (its `traceresponse` header). Records written before traces were given to every request hold the request id." }),
  })
  .openapi("AuditRecord");
export type AuditRecord = z.infer<typeof AuditRecord>;

/** What the edge appends; the audit object adds seq and the time it appended it. */
export type NewAuditRecord = Omit<AuditRecord, "seq" | "at">;

export const AuditQuery = z.object({
  keyId: z.string().max(100).optional(),
  route: z.string().max(200).optional().openapi({ description: "A route pattern, e.g. /v1/keys/:id" }),
  outcome: z.string().max(64).optional().openapi({ description: "ok, or a problem code" }),
  kind: AuditKind.optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Records at or after this instant" }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Records before this instant" }),
  cursor: z
    .string()
    .regex(/^\d{1,15}(\.\d{1,15}){0,31}$/, "a cursor returned by a previous page")
    .optional()
    .openapi({ example: "42.17.0.3.9.12.5.30", description: "A page's `nextCursor`: where each of the trail's objects was left." }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditPage = z.object({ records: z.array(AuditRecord), nextCursor: z.string().nullable() }).openapi("AuditPage");
export type AuditPage = z.infer<typeof AuditPage>;

/** How long audit records are kept; older ones are pruned by the tenant's audit object. */
export const auditRetentionDays = 90;
