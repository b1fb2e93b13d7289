import { AuditPage, AuditQuery, auditRetentionDays } from "../../shared/schemas/audit.ts";
import { tenantAudit } from "../../durable/objects.ts";
import { authorize } from "../auth.ts";
import { createRouter, json, routesOf } from "../openapi.ts";

const audit = routesOf("Audit");

const listAudit = audit.get("/v1/audit", "listAuditRecords", {
  summary: "The tenant's audit trail: every write and sign-in (tenant admin)",
  description: [
    "Oldest first, a page at a time: pass `nextCursor` back as `cursor`; null means the end for now.",
    "Every write by a key or a signed webhook is recorded before its answer is sent; a key's reads appear as a `sign_in` at most once a minute per edge isolate, and a refused key of this tenant as a `sign_in` with its problem code. Requests refused by a rate limit are not recorded.",
    `Records are kept ${auditRetentionDays} days. No route changes or deletes them.`,
  ].join(" "),
  request: { query: AuditQuery },
  responses: { 200: json(AuditPage, "A page of records") },
});

export const auditRoutes = createRouter().openapi(listAudit, async (c) => {
  const query = c.req.valid("query");
  const { principal } = await authorize(c, { roles: ["admin"] });
  const page = await tenantAudit(c.env, principal.tenantId).list({
    keyId: query.keyId,
    route: query.route,
    outcome: query.outcome,
    kind: query.kind,
    since: query.since === undefined ? undefined : Date.parse(query.since),
    until: query.until === undefined ? undefined : Date.parse(query.until),
    after: Number(query.cursor ?? 0),
    limit: query.limit,
  });
  return c.json(page, 200);
});
