import { and, asc, eq, gt, inArray, isNull, max, sql } from "drizzle-orm";
import { businessDate, closeOf } from "../shared/business-day.ts";
import { fail, type Result } from "../shared/errors.ts";
import { checkFinanceSettings, checkSettlementAccounts } from "../shared/finance-settings.ts";
import { lineKeyOf, orderLineShares, type Posting, type UnitsCounted } from "../shared/finance-postings.ts";
import { salesDocumentIdOf } from "../shared/sales-document-ids.ts";
import type { ExportedJournal } from "../shared/journal-csv.ts";
import { journalIdOf, journalLines, totalsOf, type LineTotal } from "../shared/journal-lines.ts";
import { FinanceSettings, type Journal, type JournalLineKind, type JournalPage, type JournalSummary, type LineSourcesPage, type SalesDocument, type SourceKind, type SourceTrace } from "../shared/schemas/finance.ts";
import { contributionKey, factsOf, type ContributionInput, type OrderContribution } from "./finance-contributions.ts";
import migrations from "./migrations/finance-ledger/migrations.js";
import { erpConnection, parseName, tenantRegistry, type TenantIdentity } from "./objects.ts";
import { chunks, pageBySeq } from "./paging.ts";
import * as schema from "./schema/finance-ledger.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { contributions, financeSettings, journals, orderShippingBooked, orderUnitsBooked, salesDocuments } = schema;

/** Settings before a tenant put any: UTC days, closing at 02:00; no accounts, so nothing is posted yet. */
const unsetSettings = FinanceSettings.parse({ accounts: {} });

export interface JournalFilter {
  date?: string;
  location?: string;
  channel?: string;
  after: number;
  limit: number;
}

type JournalRow = typeof journals.$inferSelect;

/**
 * One per tenant: the books. Sources (POS transactions, order sales,
 * refunds) come in once each by key, whatever retries bring them again, and
 * are assigned to their business day (the source's own time, in the
 * tenant's time zone), location and channel. When a day's cut-off passes,
 * the alarm posts one journal per location × channel of it from everything
 * that arrived before the cut-off (sequence 0); whatever arrives later for
 * that day is posted at the next alarm as an adjustment journal (sequence
 * 1, 2, …). Each posting writes the journal and marks its sources in one
 * transaction, so closing again, or again after a crash, posts nothing
 * twice; a posted journal and its sources are never changed.
 */
export class FinanceLedger extends ShelfsyncObject<typeof schema, TenantIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  /** Checks and stores the settings; days already due close right after (the alarm). */
  async putSettings(settings: FinanceSettings): Promise<Result<{ settings: FinanceSettings }>> {
    const refused = checkFinanceSettings(settings) ?? (this.hasSettlements() ? checkSettlementAccounts(settings) : null);
    if (refused) return refused;
    const now = this.now();
    singleRow(this.db, financeSettings).put({ settings, updatedAt: now });
    if (this.hasOpenContributions()) await this.wakeBy(now);
    return { ok: true, settings };
  }

  async getSettings(): Promise<FinanceSettings | null> {
    return singleRow(this.db, financeSettings).get()?.settings ?? null;
  }

  /**
   * Books sources once per key, in one transaction: a key already booked is
   * skipped, so a resend is a no-op. An order event of the trigger the
   * settings do not use (`created` when sales count on fulfilment, or the
   * reverse) books nothing, and neither do units already booked. An order
   * event that books units also makes a sales document in the same
   * transaction; the tenant's ERP connections are nudged after the commit.
   */
  async contribute(inputs: ContributionInput[]): Promise<{ booked: number; skipped: number }> {
    const settings = this.settings();
    const now = this.now();
    const dates = new Set<string>();
    let booked = 0;
    let documents = 0;
    this.transaction(() => {
      for (const input of inputs) {
        if (input.kind === "order" && input.trigger !== settings.salesDocumentsOn) continue;
        const key = contributionKey(input);
        if (this.db.select({ seq: contributions.seq }).from(contributions).where(eq(contributions.key, key)).get()) continue;
        const facts = factsOf(input, settings.defaultTaxTitle, (sku) => this.unitsBooked(input, sku), input.kind === "order" && this.shippingBooked(input.orderId));
        if (facts.postings.length === 0) continue;
        const withShipping = input.kind === "order" && input.shipping > 0 && facts.postings.some((p) => p.kind === "shipping_income");
        if (input.kind === "order") this.bookUnits(input.orderId, facts.counted, withShipping, now);
        const date = businessDate(facts.occurredAt, settings.timeZone);
        const { counted, ...row } = facts;
        this.db.insert(contributions).values({ ...row, businessDate: date, receivedAt: now, journalId: null }).run();
        if (input.kind === "order") {
          this.recordSalesDocument(input, key, counted, withShipping ? input.shipping : 0, date, facts.occurredAt, now);
          documents += 1;
        }
        dates.add(date);
        booked += 1;
      }
    });
    if (dates.size > 0) await this.wakeBy(Math.min(...[...dates].map((date) => closeOf(date, settings.timeZone, settings.cutoff))));
    if (documents > 0) await this.nudgeErpConnections();
    return { booked, skipped: inputs.length - booked };
  }

  /**
   * The sales document of an order event that booked units: the units it
   * counted, their share of each line's discount and tax, the shipping if it
   * went with them. Its place among the order's documents (`sequence`) and
   * so its external id are fixed here, once: the event's key is booked in
   * this same transaction, so no retry comes back to it.
   */
  private recordSalesDocument(input: OrderContribution, sourceKey: string, counted: UnitsCounted[], shipping: number, date: string, occurredAt: number, now: number): void {
    const sequence = this.db.select({ n: sql<number>`count(*)` }).from(salesDocuments).where(eq(salesDocuments.orderId, input.orderId)).get()!.n + 1;
    this.db
      .insert(salesDocuments)
      .values({
        externalId: salesDocumentIdOf(input.channel, input.externalId, sequence),
        orderId: input.orderId,
        channel: input.channel,
        channelOrderId: input.externalId,
        sequence,
        location: input.location,
        businessDate: date,
        currency: input.currency,
        lines: orderLineShares(input.lines, counted).map(({ sku, qty, unitPrice, discount, tax }) => ({ sku, qty, unitPrice, discount, tax })),
        shipping,
        sourceKey,
        occurredAt,
        bookedAt: now,
        traceId: input.traceId ?? null,
      })
      .run();
  }

  /**
   * Sales documents after `after` (a document's `seq`), oldest first: the
   * feed ERP connections read by cursor, as postedJournalsAfter. A
   * document's seq is assigned in the transaction that books its units, so
   * none appears later behind a cursor already read.
   */
  async salesDocumentsAfter(after: number, limit: number): Promise<{ documents: (SalesDocument & { seq: number })[] }> {
    const rows = this.db.select().from(salesDocuments).where(gt(salesDocuments.seq, after)).orderBy(asc(salesDocuments.seq)).limit(limit).all();
    return {
      documents: rows.map((row) => ({
        seq: row.seq,
        externalId: row.externalId,
        orderId: row.orderId,
        channel: row.channel,
        channelOrderId: row.channelOrderId,
        sequence: row.sequence,
        location: row.location,
        date: row.businessDate,
        currency: row.currency,
        lines: row.lines,
        shipping: row.shipping,
        source: row.sourceKey,
        occurredAt: new Date(row.occurredAt).toISOString(),
        traceId: row.traceId,
      })),
    };
  }

  protected override async onAlarm(): Promise<number | null> {
    const { posted, nextClose } = this.closeDueDays();
    if (posted.length > 0) await this.nudgeErpConnections();
    return nextClose;
  }

  /**
   * Tells the tenant's enabled ERP connections that journals were posted or
   * sales documents made, after their transactions committed (a connection reads them through
   * postedJournalsAfter, so it must find them there). A nudge that fails, or
   * a registry that cannot answer, is not an error: each connection reads the
   * ledger on its own alarm too, so a lost nudge delays a journal by one
   * catch-up period, never loses it.
   */
  private async nudgeErpConnections(): Promise<void> {
    const { tenantId } = this.identity;
    // Asked inside the promise chain, so that even a registry that cannot be reached at all (or a Worker without one) is a lost nudge, not an error.
    const enabled = await Promise.resolve()
      .then(() => tenantRegistry(this.env, tenantId).listErpConnections({ enabled: true }))
      .catch(() => []);
    await Promise.allSettled(enabled.map(({ id }) => erpConnection(this.env, tenantId, id).nudge()));
  }

  /**
   * Posts the journals of every day whose cut-off has passed: for each
   * location × channel, what arrived before the cut-off (sequence 0, if not
   * posted yet) and what arrived after it (the next adjustment). Nothing is
   * posted while the account mapping is incomplete.
   */
  closeDueDays(): { posted: string[]; nextClose: number | null } {
    const stored = singleRow(this.db, financeSettings).get()?.settings;
    if (!stored || checkFinanceSettings(stored)) return { posted: [], nextClose: null };
    const now = this.now();
    const posted: string[] = [];
    let nextClose: number | null = null;
    const openDates = this.db.selectDistinct({ date: contributions.businessDate }).from(contributions).where(isNull(contributions.journalId)).orderBy(asc(contributions.businessDate)).all();
    for (const { date } of openDates) {
      const closesAt = closeOf(date, stored.timeZone, stored.cutoff);
      if (closesAt > now) {
        nextClose = nextClose === null ? closesAt : Math.min(nextClose, closesAt);
        continue;
      }
      posted.push(...this.transaction(() => this.postDay(date, closesAt, stored, now)));
    }
    return { posted, nextClose };
  }

  /** Posts one day's open sources, grouped by location, channel, currency and whether they came after the cut-off. */
  private postDay(date: string, closesAt: number, settings: FinanceSettings, now: number): string[] {
    const late = sql<number>`(${contributions.receivedAt} >= ${closesAt})`;
    // Per group and line, summed by SQLite over each source's postings: a day's sources are never all in memory at once.
    const rows = this.ctx.storage.sql
      .exec<{ location: string; channel: string; currency: string; late: number; lineKind: JournalLineKind; lineDetail: string | null; amount: number; sourceCount: number }>(
        `SELECT c.location, c.channel, c.currency, c.received_at >= ? AS late,
                json_extract(posting.value, '$.kind') AS lineKind, json_extract(posting.value, '$.detail') AS lineDetail,
                sum(json_extract(posting.value, '$.amount')) AS amount, count(*) AS sourceCount
           FROM contributions AS c, json_each(c.postings) AS posting
          WHERE c.journal_id IS NULL AND c.business_date = ?
          GROUP BY c.location, c.channel, c.currency, late, lineKind, lineDetail`,
        closesAt,
        date,
      )
      .toArray();
    const groups = new Map<string, { location: string; channel: string; currency: string; late: boolean; totals: LineTotal[] }>();
    for (const row of rows) {
      const groupKey = JSON.stringify([row.location, row.channel, row.currency, row.late]);
      let group = groups.get(groupKey);
      if (!group) groups.set(groupKey, (group = { location: row.location, channel: row.channel, currency: row.currency, late: Boolean(row.late), totals: [] }));
      group.totals.push({ kind: row.lineKind, detail: row.lineDetail, amount: row.amount, sourceCount: row.sourceCount });
    }
    // Sources that came before the cut-off first: they make sequence 0.
    const ordered = [...groups.values()].sort((a, b) => Number(a.late) - Number(b.late));
    const posted: string[] = [];
    for (const group of ordered) {
      const last = this.db
        .select({ sequence: max(journals.sequence) })
        .from(journals)
        .where(and(eq(journals.businessDate, date), eq(journals.location, group.location), eq(journals.channel, group.channel)))
        .get()?.sequence;
      const sequence = last === null || last === undefined ? (group.late ? 1 : 0) : last + 1;
      const id = journalIdOf(this.identity.tenantId, date, group.location, group.channel, sequence);
      const lines = journalLines(group.totals, settings);
      const { debit, credit } = totalsOf(lines);
      const mine = and(
        isNull(contributions.journalId),
        eq(contributions.businessDate, date),
        eq(contributions.location, group.location),
        eq(contributions.channel, group.channel),
        eq(contributions.currency, group.currency),
        sql`${late} = ${group.late ? 1 : 0}`,
      );
      const sourceCount = this.db.select({ count: sql<number>`count(*)` }).from(contributions).where(mine).get()!.count;
      this.db.update(contributions).set({ journalId: id }).where(mine).run();
      const { dimensions } = settings;
      this.db
        .insert(journals)
        .values({
          id,
          businessDate: date,
          location: group.location,
          channel: group.channel,
          sequence,
          currency: group.currency,
          totalDebit: debit,
          totalCredit: credit,
          sourceCount,
          lines,
          locationDimension: dimensions.locations[group.location] ?? group.location,
          department: dimensions.channels[group.channel] ?? group.channel,
          class: dimensions.classes[group.channel] ?? "",
          postedAt: now,
        })
        .run();
      posted.push(id);
    }
    return posted;
  }

  async listJournals(filter: JournalFilter): Promise<JournalPage> {
    const { page, nextCursor } = pageBySeq(
      this.db,
      journals,
      [
        filter.date !== undefined && eq(journals.businessDate, filter.date),
        filter.location !== undefined && eq(journals.location, filter.location),
        filter.channel !== undefined && eq(journals.channel, filter.channel),
      ].map((condition) => condition || undefined),
      filter.after,
      filter.limit,
    );
    return { journals: page.map(summaryOf), nextCursor };
  }

  async getJournal(id: string): Promise<Result<{ journal: Journal }>> {
    const row = this.db.select().from(journals).where(eq(journals.id, id)).get();
    if (!row) return fail("not_found", `No journal ${id}`);
    return { ok: true, journal: { ...summaryOf(row), lines: row.lines } };
  }

  /** The journals to export: by id, or every journal of a day (in posting order). */
  async exportJournals(selection: { id: string } | { date: string }): Promise<Result<{ journals: ExportedJournal[] }>> {
    const rows = "id" in selection ? this.db.select().from(journals).where(eq(journals.id, selection.id)).all() : this.db.select().from(journals).where(eq(journals.businessDate, selection.date)).orderBy(asc(journals.seq)).all();
    if ("id" in selection && rows.length === 0) return fail("not_found", `No journal ${selection.id}`);
    return { ok: true, journals: rows.map((row) => ({ ...summaryOf(row), lines: row.lines, locationDimension: row.locationDimension, department: row.department, class: row.class })) };
  }

  /**
   * Posted journals after `after` (a journal's `seq`), oldest first, with
   * lines and dimensions: the feed ERP connections read by cursor. A
   * journal's seq is assigned in the transaction that posts it, so none
   * appears later behind a cursor already read.
   */
  async postedJournalsAfter(after: number, limit: number): Promise<{ journals: (ExportedJournal & { seq: number })[] }> {
    const rows = this.db.select().from(journals).where(gt(journals.seq, after)).orderBy(asc(journals.seq)).limit(limit).all();
    return { journals: rows.map((row) => ({ seq: row.seq, ...summaryOf(row), lines: row.lines, locationDimension: row.locationDimension, department: row.department, class: row.class })) };
  }

  /** The sources that make up one line of a journal, with what each put on it, in booking order. */
  async lineSources(id: string, lineNumber: number, after: number, limit: number): Promise<Result<LineSourcesPage>> {
    const journal = this.db.select({ lines: journals.lines }).from(journals).where(eq(journals.id, id)).get();
    const line = journal?.lines.find((candidate) => candidate.line === lineNumber);
    if (!line) return fail("not_found", `No line ${lineNumber} in journal ${id}`);
    const rows = this.ctx.storage.sql
      .exec<{ seq: number; key: string; kind: SourceKind; sourceId: string; externalId: string; amount: number }>(
        `SELECT c.seq, c.key, c.kind, c.source_id AS sourceId, c.external_id AS externalId, json_extract(posting.value, '$.amount') AS amount
           FROM contributions AS c, json_each(c.postings) AS posting
          WHERE c.journal_id = ? AND c.seq > ? AND json_extract(posting.value, '$.kind') = ? AND coalesce(json_extract(posting.value, '$.detail'), '') = ?
          ORDER BY c.seq LIMIT ?`,
        id,
        after,
        line.kind,
        line.detail ?? "",
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    return {
      ok: true,
      sources: page.map((row) => ({ source: row.key, kind: row.kind, sourceId: row.sourceId, externalId: row.externalId, amount: row.amount })),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  /** Where a source went: each of its contributions, with its journal and the line each posting went into. */
  async traceSource(kind: SourceKind, sourceId: string): Promise<SourceTrace> {
    const rows = this.db.select().from(contributions).where(and(eq(contributions.kind, kind), eq(contributions.sourceId, sourceId))).orderBy(asc(contributions.seq)).all();
    const journalIds = [...new Set(rows.flatMap((row) => (row.journalId ? [row.journalId] : [])))];
    const linesOf = new Map<string, Map<string, number>>();
    for (const ids of chunks(journalIds)) {
      for (const journal of this.db.select({ id: journals.id, lines: journals.lines }).from(journals).where(inArray(journals.id, ids)).all()) {
        linesOf.set(journal.id, new Map(journal.lines.map((line) => [lineKeyOf(line), line.line])));
      }
    }
    const documentOf = new Map<string, string>();
    if (kind === "order") {
      for (const document of this.db.select({ sourceKey: salesDocuments.sourceKey, externalId: salesDocuments.externalId }).from(salesDocuments).where(eq(salesDocuments.orderId, sourceId)).all()) {
        documentOf.set(document.sourceKey, document.externalId);
      }
    }
    return {
      contributions: rows.map((row) => ({
        source: row.key,
        kind: row.kind,
        sourceId: row.sourceId,
        externalId: row.externalId,
        date: row.businessDate,
        location: row.location,
        channel: row.channel,
        journalId: row.journalId,
        salesDocumentId: documentOf.get(row.key) ?? null,
        lines: row.postings.map((posting: Posting) => ({
          kind: posting.kind,
          detail: posting.detail,
          line: (row.journalId === null ? undefined : linesOf.get(row.journalId)?.get(lineKeyOf(posting))) ?? null,
          amount: posting.amount,
        })),
      })),
    };
  }

  private settings(): FinanceSettings {
    return singleRow(this.db, financeSettings).get()?.settings ?? unsetSettings;
  }

  /** Once a settlement is booked, its accounts must stay mapped, or its day could not post. */
  private hasSettlements(): boolean {
    return this.db.select({ seq: contributions.seq }).from(contributions).where(eq(contributions.kind, "settlement")).limit(1).get() !== undefined;
  }

  private hasOpenContributions(): boolean {
    return this.db.select({ seq: contributions.seq }).from(contributions).where(isNull(contributions.journalId)).limit(1).get() !== undefined;
  }

  private unitsBooked(input: ContributionInput, sku: string): number {
    if (input.kind !== "order") return 0;
    return this.db.select({ units: orderUnitsBooked.units }).from(orderUnitsBooked).where(and(eq(orderUnitsBooked.orderId, input.orderId), eq(orderUnitsBooked.sku, sku))).get()?.units ?? 0;
  }

  private shippingBooked(orderId: string): boolean {
    return this.db.select({ orderId: orderShippingBooked.orderId }).from(orderShippingBooked).where(eq(orderShippingBooked.orderId, orderId)).get() !== undefined;
  }

  private bookUnits(orderId: string, counted: { sku: string; now: number }[], withShipping: boolean, now: number): void {
    for (const { sku, now: units } of counted) {
      this.db.insert(orderUnitsBooked).values({ orderId, sku, units }).onConflictDoUpdate({ target: [orderUnitsBooked.orderId, orderUnitsBooked.sku], set: { units } }).run();
    }
    if (withShipping) this.db.insert(orderShippingBooked).values({ orderId, at: now }).onConflictDoNothing().run();
  }
}

function summaryOf(row: JournalRow): JournalSummary {
  return {
    id: row.id,
    date: row.businessDate,
    location: row.location,
    channel: row.channel,
    sequence: row.sequence,
    adjustment: row.sequence > 0,
    currency: row.currency,
    totalDebit: row.totalDebit,
    totalCredit: row.totalCredit,
    sourceCount: row.sourceCount,
    postedAt: new Date(row.postedAt).toISOString(),
  };
}
