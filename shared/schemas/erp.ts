import { z } from "@hono/zod-openapi";
import { identifierCharacters, identifierPattern, Timestamp } from "./common.ts";
import type { PutCustomerRequest } from "./customers.ts";

/** What an ERP import carries: catalog items, prices of existing items, stock counts, or a CRM's customers. */
export const ErpImportType = z.enum(["items", "prices", "stock", "customers"]).openapi({ example: "items" });
export type ErpImportType = z.infer<typeof ErpImportType>;

/** The fields each import type knows; a mapping must map every required one. */
export const erpFields = {
  items: { required: ["sku", "name", "price"], optional: ["currency", "barcodes"] },
  prices: { required: ["sku", "price"], optional: ["currency"] },
  stock: { required: ["sku", "location", "onHand"], optional: ["asOf"] },
  customers: { required: ["id"], optional: ["email", "phone", "name", "loyaltyId", "points"] },
} as const satisfies Record<ErpImportType, { required: readonly string[]; optional: readonly string[] }>;

export type ErpField = (typeof erpFields)[ErpImportType]["required" | "optional"][number];

/** Date formats a mapping may name; every one but `iso` reads as UTC, with an optional " HH:mm" or " HH:mm:ss". */
export const ErpDateFormat = z.enum(["iso", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"]);
export type ErpDateFormat = z.infer<typeof ErpDateFormat>;

const ColumnName = z.string().min(1).max(100).openapi({ example: "Item No." });

export const PutErpMappingRequest = z
  .object({
    columns: z
      .record(ColumnName, z.string())
      .openapi({ description: "Column (CSV header or JSON member) → field. Each field at most once; every required field of the type mapped.", example: { "Item No.": "sku", Description: "name", "Unit Price": "price" } }),
    amounts: z.enum(["decimal", "minor"]).default("decimal").openapi({ description: "Whether price columns hold decimal amounts (\"19.99\") or minor units (1999)." }),
    decimalSeparator: z.enum([".", ","]).default("."),
    thousandsSeparator: z.enum(["", ",", ".", " ", "'"]).default("").openapi({ description: "Removed from amounts and quantities before they are read; must differ from the decimal separator." }),
    dateFormat: ErpDateFormat.default("iso"),
    delimiter: z.enum([",", ";", "\t", "|"]).default(",").openapi({ description: "The CSV field delimiter." }),
    barcodeSeparator: z.enum(["|", ";", " "]).default("|").openapi({ description: "Between barcodes in one cell." }),
    currency: z.string().regex(/^[A-Z]{3}$/).optional().openapi({ description: "The currency of rows without a currency column.", example: "USD" }),
  })
  .strict()
  .openapi("PutErpMappingRequest");
export type PutErpMappingRequest = z.input<typeof PutErpMappingRequest>;
export type ErpMapping = z.output<typeof PutErpMappingRequest>;

export const ErpMappingView = PutErpMappingRequest.extend({ type: ErpImportType, updatedAt: Timestamp.nullable().openapi({ description: "null: no mapping stored, this is the default." }) }).openapi(
  "ErpMapping",
);
export type ErpMappingView = z.infer<typeof ErpMappingView>;

/**
 * What is wrong with a mapping for an import type, one sentence each (empty
 * when it is usable): unknown fields, a field mapped twice, a required field
 * not mapped, separators that collide, prices without a currency.
 *
 * @example
 * mappingIssues("prices", { ...defaults, columns: { SKU: "sku" } }) // ["field price is not mapped"]
 */
export function mappingIssues(type: ErpImportType, mapping: ErpMapping): string[] {
  const { required, optional } = erpFields[type];
  const known = new Set<string>([...required, ...optional]);
  const issues: string[] = [];
  const seen = new Map<string, string>();
  for (const [column, field] of Object.entries(mapping.columns)) {
    if (!known.has(field)) issues.push(`column "${column}" maps to ${field}, which ${type} imports do not know (known: ${[...known].join(", ")})`);
    const earlier = seen.get(field);
    if (earlier !== undefined) issues.push(`field ${field} is mapped twice, from "${earlier}" and "${column}"`);
    seen.set(field, column);
  }
  for (const field of required) if (!seen.has(field)) issues.push(`field ${field} is not mapped`);
  if (mapping.thousandsSeparator === mapping.decimalSeparator) issues.push(`the thousands separator and the decimal separator are both "${mapping.decimalSeparator}"`);
  if ((type === "items" || type === "prices") && !seen.has("currency") && mapping.currency === undefined) issues.push("prices need a currency: map a currency column or give `currency`");
  return issues;
}

/** The mapping used while a tenant has stored none: each field its own column, amounts in minor units, ISO dates. */
export function defaultMapping(type: ErpImportType): ErpMapping {
  const { required, optional } = erpFields[type];
  const fields: string[] = [...required, ...optional];
  return PutErpMappingRequest.parse({ columns: Object.fromEntries(fields.map((field) => [field, field])), amounts: "minor" });
}

export const ImportId = z
  .string()
  .regex(identifierPattern, `1-64 characters: ${identifierCharacters}`)
  .openapi({ example: "items-2026-12-01", description: "The client's id of the import; the same id names the same import." });

export const CreateErpImportQuery = z.object({
  type: ErpImportType,
  id: ImportId.optional().openapi({ description: "Optional. Sending the same id again (the same file) answers with that import; with another body, 409 conflict." }),
  asOf: Timestamp.pipe(z.iso.datetime({ offset: true })).optional().openapi({ description: "For stock: the time the counts were taken, for rows whose mapping has no asOf column." }),
});

export const ErpReportLine = z
  .object({
    row: z.number().int().openapi({ description: "CSV: the file's line (the header is line 1). JSON: the element's position, from 1." }),
    column: z.string().nullable().openapi({ description: "The column at fault, when one is." }),
    outcome: z.enum(["rejected", "ignored"]).openapi({ description: "rejected: nothing of the row was applied. ignored: a stock count older than one already applied." }),
    reason: z.string(),
    code: z
      .string()
      .nullable()
      .openapi({
        example: "invalid_phone",
        description: "The API's stable code for the fault, where the API has one: for customers rows, invalid_email, invalid_phone (as PUT /v1/customers/{id} answers them) and conflict (an erased customer). null otherwise.",
      }),
  })
  .openapi("ErpReportLine");
export type ErpReportLine = z.infer<typeof ErpReportLine>;

/** The report lines a GET returns at most; the counts cover every row. */
export const maxReportLines = 1000;

export const ErpImport = z
  .object({
    id: z.string(),
    type: ErpImportType,
    status: z.enum(["receiving", "applying", "done"]).openapi({ description: "receiving: the body is still being read; applying: rows are going to the catalog, inventory or customer directory; done." }),
    checksum: z.string().nullable().openapi({ description: "SHA-256 of the body, hex, once it was received whole." }),
    rows: z.object({
      received: z.number().int(),
      accepted: z.number().int().openapi({ description: "Applied to the catalog, inventory or customer directory." }),
      rejected: z.number().int(),
      ignored: z.number().int(),
      pending: z.number().int().openapi({ description: "Valid, not applied yet." }),
    }),
    lines: z.array(ErpReportLine).openapi({ description: `Rejected and ignored rows in row order, at most ${maxReportLines}.` }),
    linesTruncated: z.boolean(),
    createdAt: Timestamp,
    completedAt: Timestamp.nullable(),
  })
  .openapi("ErpImport");
export type ErpImport = z.infer<typeof ErpImport>;

/** One valid row, as the Worker hands it to the import object. */
export type ErpRow =
  | { type: "items"; row: number; sku: string; name: string; price: number; currency: string; barcodes: string[] }
  | { type: "prices"; row: number; sku: string; price: number; currency: string }
  | { type: "stock"; row: number; sku: string; location: string; onHand: number; asOf: number }
  | { type: "customers"; row: number; id: string; customer: PutCustomerRequest; points: number };
