import { and, asc, count, eq, gt, gte, lt, sql } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { netsuiteJournalCsv } from "../shared/journal-csv.ts";
import { businessCentralDocumentNumberOf, netsuiteExternalIdOf } from "../shared/sales-document-ids.ts";
import type { BusinessCentralCredentials, ErpConnection as ErpConnectionView, ErpConnectionStatus, ErpFileList, ErpSalesDocumentList, ErpType, FileConnectionSettings, FileCredentials, NetSuiteCredentials, PutErpConnectionRequest } from "../shared/schemas/erp-connections.ts";
import { maskSecret } from "../shared/signatures.ts";
import { businessCentralWindowMs, postToBusinessCentral } from "./connectors/business-central-post.ts";
import { ErpOutbox, sendsSalesDocuments, type ErpConnectionRow, type ErpStep } from "./connectors/erp-outbox.ts";
import { csvOf, deliverFiles } from "./connectors/file-delivery.ts";
import { signingKeyOf } from "./connectors/netsuite-api.ts";
import { postToNetSuite, type TokenHolder } from "./connectors/netsuite-post.ts";
import { openCredentials, sealCredentials } from "./credentials.ts";
import migrations from "./migrations/erp-connection/migrations.js";
import { financeLedger, parseName, type ConnectionIdentity } from "./objects.ts";
import * as schema from "./schema/erp-connection.ts";
import { writesIn } from "./connectors/usage-months.ts";
import { recordHops } from "./trace-hops.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { journals, salesDocuments, activity } = schema;

/** Ledger journals copied per page, and pages per run. */
const feedPage = 200;
const feedPagesPerRun = 10;
/** One run of the alarm sends for at most this long, then sets the alarm to go on. */
const runBudgetMs = 20_000;
const activityRetentionMs = 60 * 60_000;

/**
 * One per ERP connection (named `<tenant>/<connectionId>`): the journals
 * the tenant's FinanceLedger posts, each handed to one ERP (NetSuite,
 * Business Central, or files) once.
 *
 * The ledger's posted journals are a feed by `seq`: the alarm copies those
 * after its cursor into `journals` in the transaction that moves the cursor,
 * so a journal is never skipped, and by external id, so never copied twice.
 * A journal leaves `pending` only when the ERP acknowledged it, so a crash
 * before that sends it again, and the ERP's own idempotency (NetSuite's
 * upsert by external id, Business Central's lookup by document number, the
 * file endpoint's Idempotency-Key) makes the second send a no-op. The alarm
 * reads the feed at least every CONNECTION_CATCH_UP_SECONDS while enabled.
 */
export class ErpConnection extends ShelfsyncObject<typeof schema, ConnectionIdentity> {
  private readonly row = singleRow(this.db, schema.connection);
  /** An access token (NetSuite, Business Central), in memory only. */
  private readonly tokens: TokenHolder = { token: null };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.connection });
  }

  /** Creates or replaces the connection; new credentials lift a rejection. Credentials that cannot work are refused, nothing changed. */
  async configure(input: PutErpConnectionRequest): Promise<Result<{ connection: ErpConnectionView; created: boolean }>> {
    if (input.type === "netsuite" && !(await signingKeyOf(input.credentials.privateKey))) {
      return fail("erp_connection_invalid", "credentials.privateKey is not a PKCS#8 EC P-256 or RSA private key", { field: "credentials.privateKey" });
    }
    return this.serialized(async () => {
      const now = this.now();
      const current = this.row.get();
      const sealed = await sealCredentials(this.env.CONNECTION_CREDENTIALS_KEY, this.ctx.id.name!, input.credentials);
      this.tokens.token = null;
      this.row.put({
        type: input.type,
        settings: input.settings,
        sealedCredentials: sealed,
        maskedCredentials: Object.fromEntries(Object.entries(input.credentials as Record<string, string>).map(([name, secret]) => [name, maskSecret(secret)])),
        enabled: input.enabled,
        createdAt: current?.createdAt ?? now,
        updatedAt: now,
        cursor: current?.cursor ?? 0,
        salesCursor: current?.salesCursor ?? 0,
        state: input.enabled ? "syncing" : "disabled",
        lastError: null,
        lastErrorAt: null,
        failures: 0,
      });
      if (input.enabled) await this.wakeAt(now);
      return { ok: true, connection: this.view()!, created: current === undefined };
    });
  }

  async get(): Promise<ErpConnectionView | null> {
    return this.view();
  }

  /**
   * Stops posting: the alarm, a nudge and a replay send nothing while disabled. The configuration,
   * the cursor and every journal taken stay, so a PUT with `enabled` resumes where it stopped.
   */
  async disable(): Promise<ErpConnectionView | null> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current) return null;
      this.row.put({ ...current, enabled: false, state: "disabled", updatedAt: this.now() });
      return this.view();
    });
  }

  /** Posts soon: the ledger has posted journals. */
  async nudge(): Promise<void> {
    const current = this.row.get();
    if (current?.enabled && current.state !== "credentials_rejected") await this.wakeBy(this.now());
  }

  async status(): Promise<ErpConnectionStatus | null> {
    const current = this.row.get();
    if (!current) return null;
    const now = this.now();
    const pending = this.db
      .select({ journals: count(), oldest: sql<string | null>`min(json_extract(${journals.journal}, '$.postedAt'))` })
      .from(journals)
      .where(eq(journals.state, "pending"))
      .get()!;
    const refused = this.db.select({ n: count() }).from(journals).where(eq(journals.state, "refused")).get()!.n;
    const documents = this.db
      .select({ pending: sql<number>`count(*) filter (where ${salesDocuments.state} = 'pending')`, refused: sql<number>`count(*) filter (where ${salesDocuments.state} = 'refused')`, oldest: sql<string | null>`min(json_extract(${salesDocuments.document}, '$.occurredAt')) filter (where ${salesDocuments.state} = 'pending')` })
      .from(salesDocuments)
      .get()!;
    const total = (kind: (typeof activity.$inferSelect)["kind"]) =>
      this.db.select({ n: sql<number>`coalesce(sum(${activity.amount}), 0)` }).from(activity).where(and(eq(activity.kind, kind), gte(activity.at, now - activityRetentionMs))).get()!.n;
    const settings = current.settings as { concurrency?: number; requestsPerFiveMinutes?: number };
    return {
      id: this.identity.connectionId,
      type: current.type,
      state: current.state,
      pending: { journals: pending.journals, oldestAgeSeconds: pending.oldest === null ? null : Math.max(0, (now - Date.parse(pending.oldest)) / 1000) },
      refused,
      salesDocuments: {
        pending: documents.pending,
        oldestAgeSeconds: documents.oldest === null ? null : Math.max(0, (now - Date.parse(documents.oldest)) / 1000),
        refused: documents.refused,
        cursor: String(current.salesCursor),
      },
      lastHour: { posted: total("posted"), requests: total("request"), throttled: total("throttled") },
      budget: {
        concurrency: current.type === "netsuite" ? (settings.concurrency ?? null) : null,
        requestsPerFiveMinutes: settings.requestsPerFiveMinutes ?? null,
        remaining: settings.requestsPerFiveMinutes === undefined ? null : Math.max(0, this.outbox(current).requestWindow(settings.requestsPerFiveMinutes, businessCentralWindowMs).room),
      },
      lastError: current.lastError === null ? null : { at: new Date(current.lastErrorAt!).toISOString(), message: current.lastError },
      cursor: String(current.cursor),
    };
  }

  /** The journals this connection holds as files, in posting order, a page at a time. */
  async files(after: number, limit: number): Promise<ErpFileList> {
    const rows = this.db.select().from(journals).where(gt(journals.seq, after)).orderBy(asc(journals.seq)).limit(limit + 1).all();
    const page = rows.slice(0, limit);
    const delivering = Boolean((this.row.get()?.settings as { deliverTo?: string } | undefined)?.deliverTo);
    return {
      files: page.map((row) => ({
        journalId: row.journalId,
        date: row.journal.date,
        location: row.journal.location,
        channel: row.journal.channel,
        delivered: delivering && row.state === "posted",
        deliveredAt: delivering && row.postedAt !== null ? new Date(row.postedAt).toISOString() : null,
      })),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  /** One journal's CSV in NetSuite's import layout, External ID on every row. */
  async file(journalId: string): Promise<Result<{ csv: string }>> {
    const row = this.db.select().from(journals).where(eq(journals.journalId, journalId)).get();
    if (!row) return fail("not_found", `Connection ${this.identity.connectionId} has no journal ${journalId}`);
    return { ok: true, csv: netsuiteJournalCsv([row.journal]) };
  }

  /** The sales documents the connection holds, in booking order, a page at a time, with the id each goes under in the ERP. */
  async salesDocuments(after: number, limit: number): Promise<ErpSalesDocumentList> {
    const rows = this.db.select().from(salesDocuments).where(gt(salesDocuments.seq, after)).orderBy(asc(salesDocuments.seq)).limit(limit + 1).all();
    const page = rows.slice(0, limit);
    const type = this.row.get()?.type;
    return {
      documents: await Promise.all(
        page.map(async (row) => ({
          externalId: row.externalId,
          remoteId: await remoteIdOf(type, row.externalId),
          orderId: row.document.orderId,
          channel: row.document.channel,
          location: row.document.location,
          date: row.document.date,
          state: row.state,
          postedAt: row.postedAt === null ? null : new Date(row.postedAt).toISOString(),
          lastError: row.lastError,
        })),
      ),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  /** One sales document's CSV in NetSuite's sales order import layout, External ID on every row. */
  async salesDocumentFile(externalId: string): Promise<Result<{ csv: string }>> {
    const row = this.db.select().from(salesDocuments).where(eq(salesDocuments.externalId, externalId)).get();
    const current = this.row.get();
    if (!row || !current) return fail("not_found", `Connection ${this.identity.connectionId} has no sales document ${externalId}`);
    return { ok: true, csv: csvOf(row, current.settings as FileConnectionSettings) };
  }

  /** Sends a refused sales document again now: an `erp_sales_document_refused` exception's replay. Resolved once the ERP takes it. */
  async retrySalesDocument(externalId: string): Promise<{ posted: boolean; detail: string }> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled) return { posted: false, detail: `connection ${this.identity.connectionId} is disabled` };
      if (!sendsSalesDocuments(current)) return { posted: false, detail: `connection ${this.identity.connectionId} does not send sales documents (settings.salesDocuments.enabled)` };
      const row = this.db.select().from(salesDocuments).where(eq(salesDocuments.externalId, externalId)).get();
      if (!row) return { posted: false, detail: `connection ${this.identity.connectionId} has no sales document ${externalId}` };
      if (row.state === "posted") return { posted: true, detail: `${externalId} is already posted` };
      this.db.update(salesDocuments).set({ state: "pending", notBefore: 0 }).where(eq(salesDocuments.externalId, externalId)).run();
      await this.send(current);
      const after = this.db.select().from(salesDocuments).where(eq(salesDocuments.externalId, externalId)).get()!;
      if (after.state === "posted") return { posted: true, detail: `the ERP took ${externalId}` };
      return { posted: false, detail: after.lastError ?? "not sent yet" };
    });
  }

  /** Sends a refused journal again now: an `erp_journal_refused` exception's replay. Resolved once the ERP takes it. */
  async retryJournal(journalId: string): Promise<{ posted: boolean; detail: string }> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled) return { posted: false, detail: `connection ${this.identity.connectionId} is disabled` };
      const row = this.db.select().from(journals).where(eq(journals.journalId, journalId)).get();
      if (!row) return { posted: false, detail: `connection ${this.identity.connectionId} has no journal ${journalId}` };
      if (row.state === "posted") return { posted: true, detail: `${journalId} is already posted` };
      this.db.update(journals).set({ state: "pending", notBefore: 0 }).where(eq(journals.journalId, journalId)).run();
      await this.send(current);
      const after = this.db.select().from(journals).where(eq(journals.journalId, journalId)).get()!;
      if (after.state === "posted") return { posted: true, detail: `the ERP took ${journalId}` };
      return { posted: false, detail: after.lastError ?? "not sent yet" };
    });
  }

  /** Reads the ledger's new journals, then sends what is due. */
  protected override async onAlarm(): Promise<number | null> {
    return this.serialized(async () => {
      const current = this.row.get();
      if (!current?.enabled || current.state === "credentials_rejected") return null;
      const now = this.now();
      this.db.delete(activity).where(lt(activity.at, now - activityRetentionMs)).run();
      await this.readLedger();
      const step = await this.send(this.row.get()!);
      if (step.kind === "stopped") return null;
      const catchUp = now + Number(this.env.CONNECTION_CATCH_UP_SECONDS) * 1000;
      return step.kind === "wait" ? Math.min(step.wakeAt, catchUp) : catchUp;
    });
  }

  /**
   * Copies the ledger's journals after `cursor`, then its sales documents
   * after `salesCursor` while the settings send them. While they do not,
   * the sales cursor stays, so enabling them later sends every document the
   * ledger booked meanwhile, oldest first (as a new connection does journals).
   */
  private async readLedger(): Promise<void> {
    const ledger = financeLedger(this.env, this.identity.tenantId);
    await this.readFeed("cursor", async (after) => (await ledger.postedJournalsAfter(after, feedPage)).journals, ({ seq, ...journal }) => {
      this.db.insert(journals).values({ seq, journalId: journal.id, journal, state: "pending", attempts: 0, notBefore: 0, progress: null, lastError: null, postedAt: null }).onConflictDoNothing().run();
    });
    if (!sendsSalesDocuments(this.row.get()!)) return;
    await this.readFeed("salesCursor", async (after) => (await ledger.salesDocumentsAfter(after, feedPage)).documents, ({ seq, ...document }) => {
      this.db.insert(salesDocuments).values({ seq, externalId: document.externalId, document, state: "pending", attempts: 0, notBefore: 0, progress: null, lastError: null, postedAt: null }).onConflictDoNothing().run();
    });
  }

  /**
   * Reads one of the ledger's feeds after the cursor it keeps in `cursor`, a
   * page at a time, each page copied (`copy`, keyed so a row already there is
   * skipped) in the transaction that moves that cursor past it.
   */
  private async readFeed<T extends { seq: number }>(cursor: "cursor" | "salesCursor", read: (after: number) => Promise<T[]>, copy: (item: T) => void): Promise<void> {
    for (let page = 0; page < feedPagesPerRun; page++) {
      const items = await read(this.row.get()![cursor]);
      if (items.length === 0) return;
      this.transaction(() => {
        for (const item of items) copy(item);
        this.row.put({ ...this.row.get()!, [cursor]: items[items.length - 1]!.seq });
      });
      if (items.length < feedPage) return;
    }
  }

  private async send(current: ErpConnectionRow): Promise<ErpStep> {
    const outbox = this.outbox(current);
    const credentials = await openCredentials<Record<string, string>>(this.env.CONNECTION_CREDENTIALS_KEY, this.ctx.id.name!, current.sealedCredentials);
    const deadline = this.now() + runBudgetMs;
    try {
      switch (current.type) {
        case "netsuite":
          return await postToNetSuite(outbox, credentials as unknown as NetSuiteCredentials, this.tokens, deadline);
        case "file":
          return await deliverFiles(outbox, credentials as FileCredentials, deadline);
        case "business-central":
          return await postToBusinessCentral(outbox, credentials as unknown as BusinessCentralCredentials, this.tokens, deadline);
        default:
          throw new Error(`unknown ERP type ${(current as { type: string }).type}`);
      }
    } finally {
      if (outbox.hops.length > 0) await recordHops(this.env, this.identity.tenantId, outbox.hops);
    }
  }

  private outbox(current: ErpConnectionRow): ErpOutbox {
    return new ErpOutbox({ db: this.db, transaction: (run) => this.transaction(run), env: this.env, identity: this.identity, connection: current, now: () => this.now() });
  }

  private view(): ErpConnectionView | null {
    const row = this.row.get();
    if (!row) return null;
    // The row's settings were validated for its type when they were stored.
    return {
      id: this.identity.connectionId,
      type: row.type,
      settings: row.settings,
      credentials: row.maskedCredentials,
      enabled: row.enabled,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    } as ErpConnectionView;
  }

  /** For the partner's usage report: requests sent to the ERP in `month` (YYYY-MM). */
  async connectorWrites(month: string): Promise<number> {
    return writesIn(this.db, month);
  }
}

/** The id a sales document goes under in the connection's ERP (shared/sales-document-ids.ts). */
async function remoteIdOf(type: ErpType | undefined, externalId: string): Promise<string> {
  if (type === "netsuite") return netsuiteExternalIdOf(externalId);
  if (type === "business-central") return businessCentralDocumentNumberOf(externalId);
  return externalId;
}
