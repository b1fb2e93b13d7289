import { AuditPage, AuditQuery, auditRetentionDays } from "../../shared/schemas/audit.ts";
import { auditShards, tenantAudit } from "../../durable/objects.ts";
import { authorize } from "../auth.ts";
import { createRouter, json, routesOf } from "../openapi.ts";

const audit = routesOf("Audit");

const listAudit = audit.get("/v1/audit", "listAuditRecords", {
  summary: "The tenant's audit trail: every write and sign-in (tenant admin)",
  description: [
    "Oldest first (by `at`; records of the same millisecond in no set order), a page at a time: pass `nextCursor` back as `cursor`; null means the end for now.",
    "Every write by a key or a signed webhook is recorded before its answer is sent; a key's reads appear as a `sign_in` at most once a minute per edge isolate, and a refused key of this tenant as a `sign_in` with its problem code. Requests refused by a rate limit are not recorded.",
    `Records are kept ${auditRetentionDays} days. No route changes or deletes them.`,
  ].join(" "),
  request: { query: AuditQuery },
  responses: { 200: json(AuditPage, "A page of records") },
});

export const auditRoutes = createRouter().openapi(listAudit, async (c) => {
  const query = c.req.valid("query");
  const { principal } = await authorize(c, { roles: ["admin"] });
  const filter = {
    keyId: query.keyId,
    route: query.route,
    outcome: query.outcome,
    kind: query.kind,
    since: query.since === undefined ? undefined : Date.parse(query.since),
    until: query.until === undefined ? undefined : Date.parse(query.until),
    limit: query.limit,
  };
  // Where each object of the trail was left; a cursor of one number (from before the trail was split) is the first object's.
  const positions = Array.from({ length: auditShards }, (_, shard) => Number(query.cursor?.split(".")[shard] ?? 0));
  const pages = await Promise.all(positions.map((after, shard) => tenantAudit(c.env, principal.tenantId, shard).list({ ...filter, after })));
  const candidates = pages
    .flatMap((page, shard) => page.records.map((record) => ({ record, shard, seq: record.seq * auditShards + shard })))
    .sort((a, b) => a.record.at.localeCompare(b.record.at) || a.seq - b.seq);
  const taken = candidates.slice(0, query.limit);
  for (const { record, shard } of taken) positions[shard] = record.seq;
  const more = candidates.length > taken.length || pages.some((page) => page.nextCursor !== null);
  return c.json({ records: taken.map(({ record, seq }) => ({ ...record, seq })), nextCursor: more ? positions.join(".") : null }, 200);
});
