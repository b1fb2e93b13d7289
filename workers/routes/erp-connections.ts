import { z } from "@hono/zod-openapi";
import { erpConnection, tenantRegistry } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { Cursor } from "../../shared/schemas/common.ts";
import { ConnectionId, IncludeStatusQuery } from "../../shared/schemas/connections.ts";
import { ErpConnection, ErpConnectionList, ErpConnectionStatus, ErpFileList, ErpSalesDocumentList, PutErpConnectionRequest } from "../../shared/schemas/erp-connections.ts";
import { authorize } from "../auth.ts";
import { readLimited } from "../connection-statuses.ts";
import { unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const erp = routesOf("ERP");
const readers = ["admin", "erp", "readonly"] as const;
const Params = z.object({ id: ConnectionId });
const FileParams = Params.extend({ journalId: z.string().min(1).max(300).openapi({ example: "JE-acme-2026-11-23-store-a-pos-0" }) });
const DocumentParams = Params.extend({ externalId: z.string().min(1).max(300).openapi({ description: "The sales document's external id (URL-encoded: it holds ':').", example: "web:SHOP-10042" }) });
const PageQuery = z.object({ cursor: Cursor.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) });

const put = erp.put("/v1/erp/connections/{id}", "putErpConnection", {
  summary: "Connect the tenant's books to an ERP: every journal the finance ledger posts is posted there once (tenant admin)",
  description: [
    "`netsuite`: each journal upserted with PUT /services/rest/record/v1/journalentry/eid:<external id> (OAuth 2.0 client credentials, the assertion signed with the certificate's key), at most `settings.concurrency` requests in flight.",
    "`business-central`: journals, journalLines, then Microsoft.NAV.post, within 6,000 requests per 5 minutes and 100 operations per $batch.",
    "`file`: each journal's CSV in NetSuite's import layout, downloadable from …/files, and POSTed once to `settings.deliverTo` if set.",
    "Credentials are write-only: stored encrypted, shown masked. A private key that cannot sign is 422 erp_connection_invalid, nothing changed.",
    "A new connection posts every journal the ledger has posted so far, in posting order; a journal refused by the ERP becomes an erp_journal_refused exception and the others go on.",
    "With `settings.salesDocuments.enabled`, each order's sales documents (one per fulfilment, or one at creation, per the finance settings' salesDocumentsOn) go too, within seconds of being booked: NetSuite sales orders upserted by external id, Business Central salesOrders looked up by externalDocumentNumber before they are made, or a sales order CSV each; a refused one is an erp_sales_document_refused exception.",
  ].join(" "),
  request: { params: Params, body: body(PutErpConnectionRequest) },
  responses: { 200: json(ErpConnection, "The connection, credentials masked"), 201: json(ErpConnection, "The connection, created") },
});

const list = erp.get("/v1/erp/connections", "listErpConnections", {
  summary: "The tenant's ERP connections, credentials masked; with include=status, each with its status (tenant admin)",
  description: "include=status reads every ERP connection's status in this one call (the connections are asked in parallel, six at a time).",
  request: { query: IncludeStatusQuery },
  responses: { 200: json(ErpConnectionList, "The connections") },
});

const read = erp.get("/v1/erp/connections/{id}", "getErpConnection", {
  summary: "An ERP connection, credentials masked",
  request: { params: Params },
  responses: { 200: json(ErpConnection, "The connection") },
});

const status = erp.get("/v1/erp/connections/{id}/status", "getErpConnectionStatus", {
  summary: "What the ERP connection is doing: pending and refused journals, requests, throttling, budget, last error",
  request: { params: Params },
  responses: { 200: json(ErpConnectionStatus, "The status") },
});

const files = erp.get("/v1/erp/connections/{id}/files", "listErpFiles", {
  summary: "The journals a connection holds as files (NetSuite CSV), in posting order, and whether each was delivered",
  request: { params: Params, query: PageQuery },
  responses: { 200: json(ErpFileList, "A page of files") },
});

const documents = erp.get("/v1/erp/connections/{id}/sales-documents", "listErpSalesDocuments", {
  summary: "The order sales documents a connection holds, in booking order: the id each goes under in the ERP, and whether the ERP took it",
  request: { params: Params, query: PageQuery },
  responses: { 200: json(ErpSalesDocumentList, "A page of sales documents") },
});

const documentFile = erp.get("/v1/erp/connections/{id}/sales-documents/{externalId}/file", "getErpSalesDocumentFile", {
  summary: "One sales document as NetSuite's sales order import CSV, External ID on every row",
  request: { params: DocumentParams },
  responses: { 200: { content: { "text/csv": { schema: z.string() } }, description: "The CSV" } },
});

const file = erp.get("/v1/erp/connections/{id}/files/{journalId}", "getErpFile", {
  summary: "One journal's file: NetSuite's journal import CSV, External ID on every row",
  request: { params: FileParams },
  responses: { 200: { content: { "text/csv": { schema: z.string() } }, description: "The CSV" } },
});

const disable = erp.delete("/v1/erp/connections/{id}", "disableErpConnection", {
  summary: "Stop an ERP connection: nothing is posted while it is disabled; its configuration and journals stay, and a PUT with `enabled` true resumes it (tenant admin)",
  description: "Journals the ledger posts meanwhile are not lost: the connection reads them from where it stopped once resumed.",
  request: { params: Params },
  responses: { 200: json(ErpConnection, "The connection, disabled") },
});

function notFound(id: string): never {
  throw new AppError("not_found", `No ERP connection ${id}`);
}

export const erpConnectionRoutes = createRouter()
  .openapi(put, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const { connection, created } = unwrap(await erpConnection(c.env, principal.tenantId, id).configure(input));
    await tenantRegistry(c.env, principal.tenantId).recordErpConnection({ id, type: connection.type, enabled: connection.enabled });
    return c.json(connection, created ? 201 : 200);
  })
  .openapi(list, async (c) => {
    const { include } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const entries = await tenantRegistry(c.env, principal.tenantId).listErpConnections();
    const connections = await readLimited(entries, async (entry) => {
      const object = erpConnection(c.env, principal.tenantId, entry.id);
      const [connection, status] = await Promise.all([object.get(), include === "status" ? object.status() : null]);
      return connection && (status ? { ...connection, status } : connection);
    });
    return c.json({ connections }, 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json((await erpConnection(c.env, principal.tenantId, id).get()) ?? notFound(id), 200);
  })
  .openapi(status, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json((await erpConnection(c.env, principal.tenantId, id).status()) ?? notFound(id), 200);
  })
  .openapi(files, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const object = erpConnection(c.env, principal.tenantId, id);
    if (!(await object.get())) notFound(id);
    return c.json(await object.files(Number(cursor ?? 0), limit), 200);
  })
  .openapi(file, async (c) => {
    const { id, journalId } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    const { csv } = unwrap(await erpConnection(c.env, principal.tenantId, id).file(journalId));
    return new Response(csv, { status: 200, headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${journalId}.csv"` } });
  })
  .openapi(documents, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const object = erpConnection(c.env, principal.tenantId, id);
    if (!(await object.get())) notFound(id);
    return c.json(await object.salesDocuments(Number(cursor ?? 0), limit), 200);
  })
  .openapi(documentFile, async (c) => {
    const { id, externalId } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    const { csv } = unwrap(await erpConnection(c.env, principal.tenantId, id).salesDocumentFile(externalId));
    return new Response(csv, { status: 200, headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${encodeURIComponent(externalId)}.csv"` } });
  })
  .openapi(disable, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const connection = (await erpConnection(c.env, principal.tenantId, id).disable()) ?? notFound(id);
    await tenantRegistry(c.env, principal.tenantId).recordErpConnection({ id, type: connection.type, enabled: false });
    return c.json(connection, 200);
  });
