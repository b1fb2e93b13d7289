import type { BusinessCentralConnectionSettings, BusinessCentralCredentials } from "../../shared/schemas/erp-connections.ts";
import type { ErpAnswer } from "./erp-answer.ts";
import { BusinessCentralApi, documentNumberOf, fetchBusinessCentralToken, journalLineBodies, maxBatchOperations, salesOrderLineBodies, type BatchOperation, type BatchResponse } from "./business-central-api.ts";
import { businessCentralDocumentNumberOf } from "../../shared/sales-document-ids.ts";
import type { ErpJournalRow, ErpOutbox, ErpOutboxRow, ErpSalesDocumentRow, ErpStep } from "./erp-outbox.ts";
import type { TokenHolder } from "./netsuite-post.ts";

/** Business Central counts requests over a sliding 5 minutes. */
export const businessCentralWindowMs = 5 * 60_000;
const journalsPerRun = 50;

/** A call's failure turned into what the run does next: stop the run (a wait), or go on to the next journal (null). */
type Outcome = ErpStep | null;

interface Run {
  outbox: ErpOutbox;
  api: BusinessCentralApi;
  settings: BusinessCentralConnectionSettings;
  tokens: TokenHolder;
}

/**
 * Posts due journals to Business Central one at a time, then due sales
 * documents as sales orders (postSalesDocument), through the
 * journal batch `settings.journalCode`: its lines (documentNumber derived
 * from the external id), then Microsoft.NAV.post. Before anything, the
 * G/L entries of that document number are looked up: found, the journal was
 * posted (an answer lost, a crash after the post) and nothing is sent; lines
 * already in the batch are not created again, and lines of other journals
 * left there are deleted so that the post carries this journal only. Every
 * request, each $batch operation counted, fits in the sliding window of
 * `requestsPerFiveMinutes`; progress is saved before each step.
 */
export async function postToBusinessCentral(outbox: ErpOutbox, credentials: BusinessCentralCredentials, tokens: TokenHolder, deadline: number): Promise<ErpStep> {
  const settings = outbox.connection.settings as BusinessCentralConnectionSettings;
  const due = outbox.due(journalsPerRun);
  const documents = outbox.dueSalesDocuments(journalsPerRun);
  if (due.length === 0 && documents.length === 0) return outbox.afterRun();
  const full = spend(outbox, settings, 1);
  if (full) return full;
  if (!tokens.token || tokens.token.expiresAt <= outbox.now()) {
    const answer = await fetchBusinessCentralToken(settings, credentials, outbox.now());
    if (!answer.ok) return answer.kind === "rejected" ? outbox.credentialsRejected(answer.message) : outbox.connectionRetry(answer.message);
    tokens.token = answer.data;
  }
  const run: Run = { outbox, api: new BusinessCentralApi(settings, tokens.token.value), settings, tokens };
  if (due.length > 0) {
    const batch = await journalBatchId(run);
    if (typeof batch !== "string") return batch;
    for (const row of due) {
      if (outbox.now() >= deadline) break;
      const stop = await postJournal(run, batch, row);
      if (stop) return stop;
    }
  }
  for (const row of documents) {
    if (outbox.now() >= deadline) break;
    const stop = await postSalesDocument(run, row);
    if (stop) return stop;
  }
  return outbox.afterRun();
}

/** Takes `count` requests from the window, or says when there will be room. */
function spend(outbox: ErpOutbox, settings: BusinessCentralConnectionSettings, count: number): ErpStep | null {
  const { room, freeAt } = outbox.requestWindow(settings.requestsPerFiveMinutes, businessCentralWindowMs);
  if (room < count) {
    outbox.setState("throttled");
    return { kind: "wait", wakeAt: freeAt };
  }
  outbox.record("request", count);
  return null;
}

/** A connection-level failure (no journal to blame): wait, or stop for new credentials. */
function connectionFailure(run: Run, answer: Exclude<ErpAnswer, { ok: true }>): ErpStep {
  if (answer.kind === "throttled") return run.outbox.throttled(run.outbox.now() + (answer.retryAfterMs ?? 5_000));
  if (answer.kind === "unauthorized") run.tokens.token = null;
  return run.outbox.connectionRetry(answer.message);
}

/** A failure while posting `row` (a journal or a sales document): throttled or transient stop the run; refused sets it aside and the run goes on. */
async function journalFailure(run: Run, row: ErpOutboxRow, answer: Exclude<ErpAnswer, { ok: true }>): Promise<Outcome> {
  if (answer.kind === "refused") {
    await run.outbox.refuse(row, answer.message);
    return null;
  }
  if (answer.kind === "throttled") return run.outbox.throttled(run.outbox.now() + (answer.retryAfterMs ?? 5_000));
  if (answer.kind === "unauthorized") run.tokens.token = null;
  return { kind: "wait", wakeAt: run.outbox.retryLater(row, answer.message) };
}

/** The first failed operation of a $batch, as a call's answer. */
function failedOperation(responses: BatchResponse[]): Exclude<ErpAnswer, { ok: true }> | null {
  const failed = responses.find((response) => response.status >= 400);
  if (!failed) return null;
  const message = `Business Central ${failed.status} in $batch: ${JSON.stringify(failed.body ?? "").slice(0, 300)}`;
  if (failed.status === 429) return { ok: false, kind: "throttled", retryAfterMs: null, message };
  if (failed.status === 401) return { ok: false, kind: "unauthorized", message };
  return { ok: false, kind: failed.status >= 500 ? "transient" : "refused", message };
}

/** The id of the journal batch Shelfsync posts through, created the first time. */
async function journalBatchId(run: Run): Promise<string | ErpStep> {
  const { api, outbox, settings } = run;
  const found = await api.get<{ value: { id: string }[] }>(`${api.company}/journals?$filter=code eq '${settings.journalCode}'`);
  if (!found.ok) return connectionFailure(run, found);
  if (found.data.value[0]) return found.data.value[0].id;
  const full = spend(outbox, settings, 1);
  if (full) return full;
  const created = await api.post<{ id: string }>(`${api.company}/journals`, { code: settings.journalCode, displayName: "Shelfsync daily journals" });
  return created.ok ? created.data.id : connectionFailure(run, created);
}

async function postJournal(run: Run, batch: string, row: ErpJournalRow): Promise<Outcome> {
  const { api, outbox, settings } = run;
  const documentNumber = await documentNumberOf(row.journalId);
  const lines = `${api.company}/journals(${batch})/journalLines`;
  const isPosted = async (): Promise<boolean | ErpAnswer> => {
    const full = spend(outbox, settings, 1);
    if (full) return { ok: false, kind: "throttled", retryAfterMs: full.kind === "wait" ? full.wakeAt - outbox.now() : null, message: "request window full" };
    const entries = await api.get<{ value: unknown[] }>(`${api.company}/generalLedgerEntries?$filter=documentNumber eq '${documentNumber}'&$top=1`);
    return entries.ok ? entries.data.value.length > 0 : entries;
  };

  outbox.saveProgress(row, { documentNumber, step: "check" });
  const before = await isPosted();
  if (before === true) return outbox.posted(row), null;
  if (typeof before !== "boolean" && !before.ok) return journalFailure(run, row, before);

  const full = spend(outbox, settings, 1);
  if (full) return full;
  const held = await api.get<{ value: { id: string; lineNumber: number; documentNumber: string }[] }>(lines);
  if (!held.ok) return journalFailure(run, row, held);
  const present = new Set(held.data.value.filter((line) => line.documentNumber === documentNumber).map((line) => line.lineNumber));
  const operations: BatchOperation[] = [
    ...held.data.value.filter((line) => line.documentNumber !== documentNumber).map((line) => ({ method: "DELETE" as const, url: `${lines}(${line.id})` })),
    ...journalLineBodies(row.journal, documentNumber)
      .filter((body) => !present.has(body.lineNumber as number))
      .map((body) => ({ method: "POST" as const, url: lines, body })),
  ];
  outbox.saveProgress(row, { documentNumber, step: "lines" });
  const sent = await sendBatches(run, row, operations);
  if (sent !== "done") return sent;

  outbox.saveProgress(row, { documentNumber, step: "post" });
  const room = spend(outbox, settings, 1);
  if (room) return room;
  const posted = await api.post(`${api.company}/journals(${batch})/Microsoft.NAV.post`);
  if (posted.ok) return outbox.posted(row), null;
  // A post refused may be one that went through while its answer was lost: the G/L says.
  if (posted.kind === "refused" && (await isPosted()) === true) return outbox.posted(row), null;
  return journalFailure(run, row, posted);
}

/** Sends the lines in $batch requests of at most 100 operations, each within the window. */
async function sendBatches(run: Run, row: ErpOutboxRow, operations: BatchOperation[]): Promise<Outcome | "done"> {
  for (let at = 0; at < operations.length; at += maxBatchOperations) {
    const chunk = operations.slice(at, at + maxBatchOperations);
    const room = spend(run.outbox, run.settings, chunk.length);
    if (room) return room;
    const answer = await run.api.batch(chunk);
    if (!answer.ok) return journalFailure(run, row, answer);
    const failed = failedOperation(answer.data);
    if (failed) return journalFailure(run, row, failed);
  }
  return "done";
}

/**
 * A sales document as a sales order, made once: looked up by its
 * externalDocumentNumber first (an order an earlier attempt made, whose
 * answer was lost, or a crash after it), created only if none is there;
 * then its lines, those the order does not hold yet (by `sequence`), in
 * $batch requests. Marked posted once every line is there. Nothing is
 * posted or shipped in Business Central: the journals carry the money.
 */
async function postSalesDocument(run: Run, row: ErpSalesDocumentRow): Promise<Outcome> {
  const { api, outbox, settings } = run;
  const { document } = row;
  const number = await businessCentralDocumentNumberOf(row.externalId);
  const room = (count: number) => spend(outbox, settings, count);

  const full = room(1);
  if (full) return full;
  const found = await api.get<{ value: { id: string }[] }>(`${api.company}/salesOrders?$filter=externalDocumentNumber eq '${number}'&$select=id,number`);
  if (!found.ok) return journalFailure(run, row, found);
  let orderId = found.data.value[0]?.id;
  if (!orderId) {
    const full = room(1);
    if (full) return full;
    const customerNumber = settings.salesDocuments.customersByChannel[document.channel] ?? settings.salesDocuments.customerNumber;
    const created = await api.post<{ id: string }>(`${api.company}/salesOrders`, { externalDocumentNumber: number, orderDate: document.date, customerNumber });
    if (!created.ok) return journalFailure(run, row, created);
    orderId = created.data.id;
  }
  outbox.saveProgress(row, { externalDocumentNumber: number, salesOrderId: orderId, step: "lines" });

  const lines = `${api.company}/salesOrders(${orderId})/salesOrderLines`;
  const again = room(1);
  if (again) return again;
  const held = await api.get<{ value: { sequence: number }[] }>(lines);
  if (!held.ok) return journalFailure(run, row, held);
  const present = new Set(held.data.value.map((line) => line.sequence));
  const operations = salesOrderLineBodies(document, settings.salesDocuments.items)
    .filter((body) => !present.has(body.sequence as number))
    .map((body) => ({ method: "POST" as const, url: lines, body }));
  const sent = await sendBatches(run, row, operations);
  if (sent !== "done") return sent;
  outbox.posted(row);
  return null;
}
