import { z } from "@hono/zod-openapi";
import { financeLedger } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { netsuiteJournalCsv, type ExportedJournal } from "../../shared/journal-csv.ts";
import { DayExportQuery, ExportQuery, FinanceSettings, Journal, JournalPage, JournalsQuery, LineSourcesPage, LineSourcesQuery, SourceKind, SourceTrace } from "../../shared/schemas/finance.ts";
import { authorize } from "../auth.ts";
import { unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const finance = routesOf("Finance");
const readers = ["admin", "erp", "readonly"] as const;

const JournalParams = z.object({ id: z.string().min(1).max(300).openapi({ example: "JE-acme-2026-11-23-store-a-pos-0" }) });
const LineParams = JournalParams.extend({ line: z.coerce.number().int().min(1).openapi({ example: 1 }) });
const SourceParams = z.object({ kind: SourceKind, id: z.string().min(1).max(100).openapi({ description: "A POS transaction id, an order id or a return id.", example: "T01-000123" }) });

const csv = (description: string) => ({ content: { "text/csv": { schema: z.string() } }, description });

const putAccounts = finance.put("/v1/finance/accounts", "putFinanceAccounts", {
  summary: "Set the account mapping, dimensions, time zone, cut-off and when orders become sales (tenant admin)",
  description: [
    "Every kind of journal line needs an account: gross sales, discounts, returns, shipping income, gift-card liability, over/short, fees, tax payable for the default tax title, clearing for cash and card, and a default channel clearing;",
    "a gap is 422 account_mapping_incomplete naming what is missing, a tender type POS transactions do not have is 422 unknown_tender_type; either way nothing changes.",
    "Until a complete mapping is set, sources are booked but no journal is posted; days whose cut-off has passed close as soon as it is.",
  ].join(" "),
  request: { body: body(FinanceSettings) },
  responses: { 200: json(FinanceSettings, "The settings as stored") },
});

const getAccounts = finance.get("/v1/finance/accounts", "getFinanceAccounts", {
  summary: "The account mapping and finance settings",
  responses: { 200: json(FinanceSettings, "The settings") },
});

const listJournals = finance.get("/v1/finance/journals", "listJournals", {
  summary: "Posted journals, in posting order, a page at a time",
  description:
    "One journal per business day × location × channel (sequence 0), posted when the day's cut-off passes, and adjustment journals (sequence 1, 2, …) for what arrived for that day later. Debits equal credits in each. Pass `nextCursor` back as `cursor`.",
  request: { query: JournalsQuery },
  responses: { 200: json(JournalPage, "A page of journals") },
});

const getJournal = finance.get("/v1/finance/journals/{id}", "getJournal", {
  summary: "A journal with its lines",
  request: { params: JournalParams },
  responses: { 200: json(Journal, "The journal") },
});

const lineSources = finance.get("/v1/finance/journals/{id}/lines/{line}/sources", "getJournalLineSources", {
  summary: "The sources (POS transactions, order sales, refunds) that make up one journal line, with what each put on it",
  request: { params: LineParams, query: LineSourcesQuery },
  responses: { 200: json(LineSourcesPage, "A page of sources; their amounts sum to the line (credit positive)") },
});

const exportJournal = finance.get("/v1/finance/journals/{id}/export", "exportJournal", {
  summary: "A journal as a NetSuite journal import CSV, External ID on every row",
  request: { params: JournalParams, query: ExportQuery },
  responses: { 200: csv("The CSV") },
});

const exportDay = finance.get("/v1/finance/export", "exportJournalsOfDay", {
  summary: "Every journal of a business day (the day's and its adjustments) as one NetSuite journal import CSV: the file connection",
  description: "Rows of one journal share its External ID; an adjustment journal has an External ID of its own, so importing the file again, or a later file, creates nothing twice.",
  request: { query: DayExportQuery },
  responses: { 200: csv("The CSV") },
});

const traceSource = finance.get("/v1/finance/sources/{kind}/{id}", "traceSource", {
  summary: "Where a POS transaction, an order or a refund went in the books: each contribution, its journal and its lines",
  description: "kind pos: a POS transaction id (of any store); order: an order id (ord_…); refund: a return id. An unknown or not yet booked source has no contributions.",
  request: { params: SourceParams },
  responses: { 200: json(SourceTrace, "Its contributions") },
});

function csvResponse(journals: ExportedJournal[], filename: string): Response {
  return new Response(netsuiteJournalCsv(journals), {
    status: 200,
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${filename}"` },
  });
}

export const financeRoutes = createRouter()
  .openapi(putAccounts, async (c) => {
    const settings = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(unwrap(await financeLedger(c.env, principal.tenantId).putSettings(settings)).settings, 200);
  })
  .openapi(getAccounts, async (c) => {
    const { principal } = await authorize(c, { roles: readers });
    const settings = await financeLedger(c.env, principal.tenantId).getSettings();
    if (!settings) throw new AppError("not_found", "No finance settings yet: PUT /v1/finance/accounts");
    return c.json(settings, 200);
  })
  .openapi(listJournals, async (c) => {
    const query = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const page = await financeLedger(c.env, principal.tenantId).listJournals({ date: query.date, location: query.location, channel: query.channel, after: Number(query.cursor ?? 0), limit: query.limit });
    return c.json(page, 200);
  })
  .openapi(getJournal, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(unwrap(await financeLedger(c.env, principal.tenantId).getJournal(id)).journal, 200);
  })
  .openapi(lineSources, async (c) => {
    const { id, line } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const { sources, nextCursor } = unwrap(await financeLedger(c.env, principal.tenantId).lineSources(id, line, Number(cursor ?? 0), limit));
    return c.json({ sources, nextCursor }, 200);
  })
  .openapi(exportJournal, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    const { journals } = unwrap(await financeLedger(c.env, principal.tenantId).exportJournals({ id }));
    return csvResponse(journals, `${id}.csv`);
  })
  .openapi(exportDay, async (c) => {
    const { date } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const { journals } = unwrap(await financeLedger(c.env, principal.tenantId).exportJournals({ date }));
    return csvResponse(journals, `journals-${principal.tenantId}-${date}.csv`);
  })
  .openapi(traceSource, async (c) => {
    const { kind, id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(await financeLedger(c.env, principal.tenantId).traceSource(kind, id), 200);
  });
