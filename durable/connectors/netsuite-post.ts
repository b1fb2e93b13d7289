import type { NetSuiteConnectionSettings, NetSuiteCredentials } from "../../shared/schemas/erp-connections.ts";
import type { BearerToken } from "./erp-answer.ts";
import { netsuiteExternalIdOf } from "../../shared/sales-document-ids.ts";
import type { ErpOutbox, ErpOutboxRow, ErpStep } from "./erp-outbox.ts";
import { fetchNetSuiteToken, journalEntryBody, salesOrderBody, upsertRecord } from "./netsuite-api.ts";

/** Journals (and as many sales documents) taken per run; more wait for the next run, right after. */
const journalsPerRun = 200;

export interface TokenHolder {
  token: BearerToken | null;
}

/**
 * Sends due journals, then due sales documents (as sales orders), to NetSuite, at most `settings.concurrency` requests in
 * flight. Each is an upsert by external id, so a journal sent again after a
 * lost answer or a crash updates the one NetSuite already has: nothing is
 * recorded before the call, and the row is marked posted after NetSuite's
 * answer. A 429 stops the run (every worker) until Retry-After; a 5xx or no
 * answer retries that journal with backoff; any other 4xx refuses it (an
 * exception) and the others go on.
 */
export async function postToNetSuite(outbox: ErpOutbox, credentials: NetSuiteCredentials, tokens: TokenHolder, deadline: number): Promise<ErpStep> {
  const settings = outbox.connection.settings as NetSuiteConnectionSettings;
  const queue: ErpOutboxRow[] = [...outbox.due(journalsPerRun), ...outbox.dueSalesDocuments(journalsPerRun)];
  if (queue.length === 0) return outbox.afterRun();
  const halt: { step: ErpStep | null } = { step: null };

  const token = async (): Promise<string | null> => {
    if (tokens.token && tokens.token.expiresAt > outbox.now()) return tokens.token.value;
    outbox.record("request", 1);
    const answer = await fetchNetSuiteToken(settings, credentials, outbox.now());
    if (answer.ok) return (tokens.token = answer.data).value;
    halt.step = answer.kind === "rejected" ? outbox.credentialsRejected(answer.message) : answer.kind === "throttled" ? outbox.throttled(outbox.now() + (answer.retryAfterMs ?? 1_000)) : outbox.connectionRetry(answer.message);
    return null;
  };
  if ((await token()) === null) return halt.step!;

  const send = async (row: ErpOutboxRow): Promise<void> => {
    const request = requestOf(row, settings);
    if ("refusal" in request) return outbox.refuse(row, request.refusal);
    for (let tries = 0; tries < 2; tries++) {
      const value = await token();
      if (value === null) return;
      outbox.record("request", 1);
      const answer = await upsertRecord(settings, value, request.recordType, request.externalId, request.body);
      if (answer.ok) return outbox.posted(row);
      if (answer.kind === "unauthorized") {
        tokens.token = null;
        continue;
      }
      if (answer.kind === "throttled") {
        halt.step = outbox.throttled(outbox.now() + (answer.retryAfterMs ?? 1_000));
        return;
      }
      if (answer.kind === "refused") return outbox.refuse(row, answer.message);
      outbox.retryLater(row, answer.message);
      return;
    }
    outbox.retryLater(row, "NetSuite refused two fresh tokens in a row");
  };

  const worker = async (): Promise<void> => {
    while (halt.step === null && outbox.now() < deadline) {
      const row = queue.shift();
      if (!row) return;
      await send(row);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, queue.length) }, worker));
  return halt.step ?? outbox.afterRun();
}

/** The upsert a row makes: a journal entry, or a sales order; a refusal without a call when something is not mapped. */
function requestOf(row: ErpOutboxRow, settings: NetSuiteConnectionSettings): { recordType: "journalentry" | "salesOrder"; externalId: string; body: Record<string, unknown> } | { refusal: string } {
  if ("journalId" in row) {
    const built = journalEntryBody(row.journal, settings);
    if ("unmapped" in built) return { refusal: `no NetSuite account internal id for account ${built.unmapped.join(", ")}: add it to the connection's settings.accounts, then replay` };
    return { recordType: "journalentry", externalId: row.journalId, body: built.body };
  }
  const built = salesOrderBody(row.document, settings);
  if ("unmapped" in built) return { refusal: `no NetSuite item internal id for SKU ${built.unmapped.join(", ")}: add it to the connection's settings.salesDocuments.items, then replay` };
  return { recordType: "salesOrder", externalId: netsuiteExternalIdOf(row.externalId), body: built.body };
}
