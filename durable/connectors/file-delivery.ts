import { netsuiteJournalCsv } from "../../shared/journal-csv.ts";
import { salesOrderCsv } from "../../shared/sales-document-csv.ts";
import type { FileConnectionSettings, FileCredentials } from "../../shared/schemas/erp-connections.ts";
import { erpCall } from "./erp-answer.ts";
import { keyOf, type ErpOutboxRow, type ErpOutbox, type ErpStep } from "./erp-outbox.ts";

const journalsPerRun = 100;

/** A journal's or a sales document's CSV: NetSuite's journal or sales order import layout. */
export function csvOf(row: ErpOutboxRow, settings: FileConnectionSettings): string {
  return "journalId" in row ? netsuiteJournalCsv([row.journal]) : salesOrderCsv(row.document, settings.salesDocuments?.customer ?? "");
}

/**
 * The file connection: each journal's CSV (NetSuite's import layout) is
 * downloadable as soon as the ledger posts it, and each sales document's
 * (NetSuite's sales order layout) as soon as the ledger books it, when the
 * settings send them; with `deliverTo`, each is also POSTed there, one at a
 * time, with `Idempotency-Key: <external id>` (the receiver can drop a
 * second copy; the External ID on every row makes a second import create
 * nothing either), and retried until a 2xx.
 */
export async function deliverFiles(outbox: ErpOutbox, credentials: FileCredentials, deadline: number): Promise<ErpStep> {
  const settings = outbox.connection.settings as FileConnectionSettings;
  const due: ErpOutboxRow[] = [...outbox.due(journalsPerRun), ...outbox.dueSalesDocuments(journalsPerRun)];
  for (const row of due) {
    if (outbox.now() >= deadline) break;
    if (!settings.deliverTo) {
      outbox.posted(row);
      continue;
    }
    const key = keyOf(row);
    outbox.record("request", 1);
    const answer = await erpCall("the file endpoint", settings.deliverTo, {
      method: "POST",
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "idempotency-key": key,
        "content-disposition": `attachment; filename="${encodeURIComponent(key)}.csv"`,
        ...(credentials.bearerToken ? { authorization: `Bearer ${credentials.bearerToken}` } : {}),
      },
      body: csvOf(row, settings),
    });
    if (answer.ok) outbox.posted(row);
    else if (answer.kind === "throttled") return outbox.throttled(outbox.now() + (answer.retryAfterMs ?? 1_000));
    else outbox.retryLater(row, answer.message);
  }
  return outbox.afterRun();
}
