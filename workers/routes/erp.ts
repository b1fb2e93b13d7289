import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { erpImport, tenantErp } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { newId } from "../../shared/ids.ts";
import { CreateErpImportQuery, ErpImport, ErpImportType, ErpMappingView, ImportId, mappingIssues, PutErpMappingRequest, type ErpImportType as ImportType } from "../../shared/schemas/erp.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { checksumOnly, maxJsonImportBytes, receiveCsv, receiveJson, stageBatchRows } from "../erp/receive.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

/** ERP keys send imports; only an admin changes how columns map. */
const importers = ["admin", "erp"] as const;
const mappers = ["admin"] as const;

const erp = routesOf("ERP");

const putMapping = erp.put("/v1/erp/mappings/{type}", "putErpMapping", {
  summary: "Set how the tenant's ERP files map to fields: columns, decimal or minor units, separators, date format",
  description: "422 mapping_invalid (with `issues`) when a field is unknown for the type, mapped twice or, if required, not mapped; or when separators collide.",
  request: { params: z.object({ type: ErpImportType }), body: body(PutErpMappingRequest) },
  responses: { 200: json(ErpMappingView, "The stored mapping") },
});

const readMapping = erp.get("/v1/erp/mappings/{type}", "getErpMapping", {
  summary: "The tenant's mapping for an import type (the default, each field its own column, while none is stored)",
  request: { params: z.object({ type: ErpImportType }) },
  responses: { 200: json(ErpMappingView, "The mapping") },
});

const createImport = erp.post("/v1/erp/imports", "createErpImport", {
  summary: "Import items, prices, stock counts or customers from a CSV file (streamed) or a JSON array",
  description: [
    `The body is read through the tenant's mapping for \`type\`, row by row, and staged in batches of ${stageBatchRows}; a CSV body of any length is streamed, a JSON body is at most ${maxJsonImportBytes} bytes.`,
    "Answers 202 with the import and a Location once the body is received whole; rows are then applied in the background (GET the Location for progress and the report).",
    "The same id with the same body answers that import (200); with another body, 409 conflict. The same body under another id or none answers the earlier import (200) and applies nothing again.",
    "422 mapping_mismatch when the CSV header lacks a mapped column (nothing is staged).",
  ].join(" "),
  request: {
    query: CreateErpImportQuery,
    body: {
      required: true,
      content: {
        "text/csv": { schema: { type: "string", description: "A header line naming the columns, then one row per line; UTF-8, a BOM and CRLF allowed." } },
        "application/json": { schema: { type: "array", items: { type: "object", additionalProperties: true }, description: "Row objects whose members are the mapping's columns." } },
      },
    },
  },
  responses: { 200: json(ErpImport, "The same file was imported before: that import"), 202: json(ErpImport, "Received and staged; being applied") },
});

const readImport = erp.get("/v1/erp/imports/{id}", "getErpImport", {
  summary: "An import's progress while it runs, then its report: rows accepted, and rejected or ignored rows with row number, column and reason",
  request: { params: z.object({ id: ImportId }) },
  responses: { 200: json(ErpImport, "The import") },
});

export const erpRoutes = createRouter()
  .openapi(putMapping, async (c) => {
    const { type } = c.req.valid("param");
    const mapping = c.req.valid("json");
    const { principal } = await authorize(c, { roles: mappers });
    const issues = mappingIssues(type, mapping);
    if (issues.length > 0) throw new AppError("mapping_invalid", `The ${type} mapping cannot be used: ${issues.join("; ")}`, { issues });
    return c.json(await tenantErp(c.env, principal.tenantId).putMapping(type, mapping), 200);
  })
  .openapi(readMapping, async (c) => {
    const { type } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: importers });
    return c.json(await tenantErp(c.env, principal.tenantId).getMapping(type), 200);
  })
  .openapi(createImport, async (c) => {
    const query = c.req.valid("query");
    const { principal } = await authorize(c, { roles: importers });
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "text/csv" && mediaType !== "application/json") throw new AppError("unsupported_media_type", "An ERP import is text/csv or application/json");
    const stream = c.req.raw.body;
    if (!stream) throw new AppError("validation_failed", "The import has no body");
    const answer = await receiveImport(c, principal.tenantId, query.id ?? newId("imp"), query.type, mediaType, stream, query.asOf);
    c.header("Location", `/v1/erp/imports/${answer.report.id}`);
    return answer.status === 202 ? c.json(answer.report, 202) : c.json(answer.report, 200);
  })
  .openapi(readImport, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: importers });
    const report = await erpImport(c.env, principal.tenantId, id).report();
    if (!report) throw new AppError("not_found", `No ERP import ${id}`);
    return c.json(report, 200);
  });

/**
 * Claims the id in the tenant's index, streams the body into the import
 * object, then seals it there and in the index. A body refused whole leaves
 * nothing staged and frees the id.
 */
async function receiveImport(c: Context<AppEnv>, tenantId: string, id: string, type: ImportType, mediaType: string, stream: ReadableStream<Uint8Array>, asOf?: string) {
  const index = tenantErp(c.env, tenantId);
  const target = erpImport(c.env, tenantId, id);
  const opened = await index.openImport(id, type);
  if (opened.state === "receiving") throw new AppError("conflict", `Import ${id} is being received by another request`, { importId: id });
  if (opened.state === "sealed") {
    const checksum = await checksumOnly(stream);
    if (opened.type !== type || checksum !== opened.checksum) throw new AppError("conflict", `Import ${id} was received with another body; send a new file under a new id`, { importId: id });
    // A crash between sealing the index and the import leaves the import receiving: seal it now.
    const report = (await target.report()) ?? (await target.seal(type, checksum));
    return { status: 200 as const, report: report.status === "receiving" ? await target.seal(type, checksum) : report };
  }
  if (opened.state === "abandoned") await target.discard();

  const { type: _type, updatedAt: _updatedAt, ...mapping } = await index.getMapping(type);
  const input = { type, mapping, asOf: asOf === undefined ? undefined : Date.parse(asOf), now: Date.now() };
  const receive = mediaType === "text/csv" ? receiveCsv : receiveJson;
  let checksum: string;
  try {
    checksum = await receive(stream, input, (batch) => target.stage(type, batch));
  } catch (error) {
    await target.discard();
    await index.dropImport(id);
    throw error;
  }
  const { duplicateOf } = await index.sealImport(id, type, checksum);
  if (duplicateOf !== null) {
    await target.discard();
    const earlier = await erpImport(c.env, tenantId, duplicateOf).report();
    if (!earlier) throw new Error(`import ${duplicateOf} is in the index but has no report`);
    return { status: 200 as const, report: earlier };
  }
  return { status: 202 as const, report: await target.seal(type, checksum) };
}
