import { netsuiteJournalCsv } from "../../shared/journal-csv.ts";
import type { FileConnectionSettings, FileCredentials } from "../../shared/schemas/erp-connections.ts";
import { erpCall } from "./erp-answer.ts";
import type { ErpOutbox, ErpStep } from "./erp-outbox.ts";

const journalsPerRun = 100;

/**
 * The file connection: each journal's CSV (NetSuite's import layout) is
 * downloadable as soon as the ledger posts it; with `deliverTo`, it is also
 * POSTed there, one journal at a time, with `Idempotency-Key: <external id>`
 * (the receiver can drop a second copy; the External ID on every row makes a
 * second import create nothing either), and retried until a 2xx.
 */
export async function deliverFiles(outbox: ErpOutbox, credentials: FileCredentials, deadline: number): Promise<ErpStep> {
  const settings = outbox.connection.settings as FileConnectionSettings;
  for (const row of outbox.due(journalsPerRun)) {
    if (outbox.now() >= deadline) break;
    if (!settings.deliverTo) {
      outbox.posted(row.journalId);
      continue;
    }
    outbox.record("request", 1);
    const answer = await erpCall("the file endpoint", settings.deliverTo, {
      method: "POST",
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "idempotency-key": row.journalId,
        "content-disposition": `attachment; filename="${row.journalId}.csv"`,
        ...(credentials.bearerToken ? { authorization: `Bearer ${credentials.bearerToken}` } : {}),
      },
      body: netsuiteJournalCsv([row.journal]),
    });
    if (answer.ok) outbox.posted(row.journalId);
    else if (answer.kind === "throttled") return outbox.throttled(outbox.now() + (answer.retryAfterMs ?? 1_000));
    else outbox.retryLater(row, answer.message);
  }
  return outbox.afterRun();
}
