import { runDurableObjectAlarm, SELF } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { erpImport } from "../durable/objects.ts";
import type { ErpImport } from "../shared/schemas/erp.ts";
import { call, type ApiResponse, type TestTenant } from "./api.ts";

export interface ImportOptions {
  key?: string;
  contentType?: string;
  id?: string;
  asOf?: string;
}

/** POSTs an ERP import with a raw body (text or a stream), as an ERP's upload would. */
export async function postImport(tenant: TestTenant, type: string, body: string | ReadableStream<Uint8Array>, options: ImportOptions = {}): Promise<ApiResponse<ErpImport & Record<string, any>>> {
  const query = new URLSearchParams({ type });
  if (options.id) query.set("id", options.id);
  if (options.asOf) query.set("asOf", options.asOf);
  const response = await SELF.fetch(`https://edge.test/v1/erp/imports?${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${options.key ?? tenant.adminKey}`, "content-type": options.contentType ?? "text/csv" },
    body,
    // A stream body is sent as it is read, not buffered first.
    ...(typeof body === "string" ? {} : { duplex: "half" }),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

export async function getImport(tenant: TestTenant, id: string): Promise<ApiResponse<ErpImport & Record<string, any>>> {
  return call("GET", `/v1/erp/imports/${id}`, { key: tenant.adminKey });
}

/** Runs the import's alarm until every row is applied, and answers the report. */
export async function settleImport(tenant: TestTenant, id: string): Promise<ErpImport> {
  const stub = erpImport(env, tenant.id, id);
  for (let round = 0; round < 1000; round++) {
    const report = (await getImport(tenant, id)).body;
    if (report.status === "done") return report;
    // false when the runtime's own alarm took it first: that run finishes under the object's serialization.
    if (!(await runDurableObjectAlarm(stub))) await scheduler.wait(5);
  }
  throw new Error(`import ${id} did not finish`);
}

/** POSTs, expects 202, and applies the import whole. */
export async function importAndSettle(tenant: TestTenant, type: string, body: string, options: ImportOptions = {}): Promise<ErpImport> {
  const posted = await postImport(tenant, type, body, options);
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  expect(posted.headers.get("location")).toBe(`/v1/erp/imports/${posted.body.id}`);
  return settleImport(tenant, posted.body.id);
}

/** CRLF line endings and a UTF-8 byte order mark, as spreadsheet exports write them. */
export function spreadsheetCsv(lines: string[]): string {
  return `\ufeff${lines.join("\r\n")}\r\n`;
}
