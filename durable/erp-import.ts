import { asc, eq, inArray, sql } from "drizzle-orm";
import { maxReportLines, type ErpImport as ErpImportView, type ErpImportType, type ErpReportLine, type ErpRow } from "../shared/schemas/erp.ts";
import migrations from "./migrations/erp-import/migrations.js";
import { forEachLimited } from "../shared/for-each-limited.ts";
import { catalogStore, customerDirectory, customerLoyalty, parseName, skuObject, tenantRegistry, type ImportIdentity } from "./objects.ts";
import { chunks, jsonList } from "./paging.ts";
import * as schema from "./schema/erp-import.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import type { StockCount } from "./sku-inventory.ts";

const { importMeta, pendingRows, reportLines } = schema;

// Report lines go in multi-row inserts under Durable Object SQLite's 100 bound parameters (5 a line).
const reportLinesPerInsert = 20;

/** Rows applied per alarm run: one catalog transaction, or one call per SKU among them. */
export const applyBatchRows = 500;

/** SKU objects called at once while stock counts are applied. */
const skuConcurrency = 16;

/** Customers' loyalty objects called at once while opening balances are credited. */
const loyaltyConcurrency = 16;

const day = 24 * 60 * 60 * 1000;

type ItemRow = Extract<ErpRow, { type: "items" }>;
type PriceRow = Extract<ErpRow, { type: "prices" }>;
type StockRow = Extract<ErpRow, { type: "stock" }>;
type CustomerRow = Extract<ErpRow, { type: "customers" }>;

/** What became of one pending row once its batch was applied. */
type RowOutcome = { row: number; outcome: "accepted" } | ({ row: number } & Omit<ErpReportLine, "row">);

/** What the Worker hands over while it streams a body: valid rows, report lines of invalid ones, and how many rows that was. */
export interface StagedBatch {
  rows: ErpRow[];
  lines: ErpReportLine[];
  received: number;
}

/**
 * One ERP import, one file (named `<tenant>/<import id>`). The Worker
 * streams the body and stages it here in batches: valid rows wait in
 * `pending_rows`, invalid ones go straight to the report. Once the body is
 * received whole (`seal`), the alarm applies the pending rows in batches to
 * the catalog or the SKU objects; each batch's outcomes, the removal of its
 * rows from `pending_rows` and the counts move in one transaction, so GET
 * shows progress while it runs and a crash re-applies at most one batch,
 * which the catalog (same content) and the SKU objects (count keys) make a
 * no-op.
 */
export class ErpImport extends ShelfsyncObject<typeof schema, ImportIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.erpImport });
  }

  /** Stages one batch of the body; the first makes the import. */
  async stage(type: ErpImportType, batch: StagedBatch): Promise<void> {
    const now = this.now();
    this.transaction(() => {
      const meta = this.meta();
      if (meta && meta.status !== "receiving") throw new Error(`import ${this.identity.importId} is ${meta.status}: nothing more can be staged`);
      if (!meta) {
        this.db
          .insert(importMeta)
          .values({ id: 1, importId: this.identity.importId, type, status: "receiving", checksum: null, received: 0, accepted: 0, rejected: 0, ignored: 0, pending: 0, createdAt: now })
          .run();
      }
      // A batch's valid rows in one statement and one bound parameter: SQLite splits the JSON array itself,
      // where building a multi-row insert of 45 rows at a time was most of what staging allocated.
      if (batch.rows.length > 0) {
        this.db.run(
          sql`INSERT INTO ${pendingRows} (${sql.identifier(pendingRows.row.name)}, ${sql.identifier(pendingRows.payload.name)})
              SELECT json_extract(value, '$.row'), value FROM json_each(${JSON.stringify(batch.rows)}) WHERE true ON CONFLICT DO NOTHING`,
        );
      }
      for (const lines of chunks(batch.lines, reportLinesPerInsert)) this.db.insert(reportLines).values(lines).run();
      this.db
        .update(importMeta)
        .set({
          received: sql`${importMeta.received} + ${batch.received}`,
          rejected: sql`${importMeta.rejected} + ${batch.lines.length}`,
          pending: sql`${importMeta.pending} + ${batch.rows.length}`,
        })
        .where(eq(importMeta.id, 1))
        .run();
    });
  }

  /** The body was received whole: record its checksum and start applying. */
  async seal(type: ErpImportType, checksum: string): Promise<ErpImportView> {
    if (!this.meta()) await this.stage(type, { rows: [], lines: [], received: 0 });
    this.db.update(importMeta).set({ status: "applying", checksum }).where(eq(importMeta.id, 1)).run();
    await this.wakeAt(this.now());
    return this.report() as Promise<ErpImportView>;
  }

  /** Forgets what was staged: the body was refused whole, or it duplicates an earlier import. */
  async discard(): Promise<void> {
    this.transaction(() => {
      this.db.delete(pendingRows).run();
      this.db.delete(reportLines).run();
      this.db.delete(importMeta).run();
    });
    await this.ctx.storage.deleteAlarm();
  }

  /** Progress while it runs, then the report; null for an import this object never received. */
  async report(): Promise<ErpImportView | null> {
    const meta = this.meta();
    if (!meta) return null;
    const lines = this.db.select().from(reportLines).orderBy(asc(reportLines.row)).limit(maxReportLines).all();
    return {
      id: meta.importId,
      type: meta.type,
      status: meta.status,
      checksum: meta.checksum,
      rows: { received: meta.received, accepted: meta.accepted, rejected: meta.rejected, ignored: meta.ignored, pending: meta.pending },
      lines,
      linesTruncated: meta.rejected + meta.ignored > lines.length,
      createdAt: new Date(meta.createdAt).toISOString(),
      completedAt: meta.completedAt === null ? null : new Date(meta.completedAt).toISOString(),
    };
  }

  /** Applies the next batch of pending rows; asks to be woken again at once while rows remain. */
  protected override async onAlarm(): Promise<number | null> {
    return this.serialized(async () => {
      const meta = this.meta();
      if (meta?.status !== "applying") return null;
      const rows = this.db.select().from(pendingRows).orderBy(asc(pendingRows.row)).limit(applyBatchRows).all().map((row) => row.payload);
      const outcomes = rows.length === 0 ? [] : await this.apply(meta.type, rows);
      const now = this.now();
      const left = this.transaction(() => {
        if (outcomes.length > 0) this.db.delete(pendingRows).where(inArray(pendingRows.row, jsonList(outcomes.map((outcome) => outcome.row)))).run();
        const lines = outcomes.flatMap((outcome) => (outcome.outcome === "accepted" ? [] : [{ row: outcome.row, column: outcome.column, outcome: outcome.outcome, reason: outcome.reason, code: outcome.code }]));
        for (const batch of chunks(lines, reportLinesPerInsert)) this.db.insert(reportLines).values(batch).run();
        const count = (kind: RowOutcome["outcome"]) => outcomes.filter((outcome) => outcome.outcome === kind).length;
        const pending = meta.pending - outcomes.length;
        this.db
          .update(importMeta)
          .set({
            accepted: sql`${importMeta.accepted} + ${count("accepted")}`,
            rejected: sql`${importMeta.rejected} + ${count("rejected")}`,
            ignored: sql`${importMeta.ignored} + ${count("ignored")}`,
            pending,
            ...(pending === 0 ? { status: "done" as const, completedAt: now } : {}),
          })
          .where(eq(importMeta.id, 1))
          .run();
        return pending;
      });
      return left > 0 ? this.now() : null;
    });
  }

  private async apply(type: ErpImportType, rows: ErpRow[]): Promise<RowOutcome[]> {
    if (type === "items") return this.applyItems(rows as ItemRow[]);
    if (type === "prices") return this.applyPrices(rows as PriceRow[]);
    if (type === "customers") return this.applyCustomers(rows as CustomerRow[]);
    return this.applyCounts(rows as StockRow[]);
  }

  private async applyItems(rows: ItemRow[]): Promise<RowOutcome[]> {
    const outcomes = await catalogStore(this.env, this.identity.tenantId).importItems(
      rows.map((row) => ({ key: String(row.row), sku: row.sku, name: row.name, barcodes: row.barcodes, price: row.price, currency: row.currency })),
    );
    return outcomes.map((outcome) => catalogOutcome(outcome, outcome.ok ? null : columnOfCatalogReason(outcome.reason)));
  }

  private async applyPrices(rows: PriceRow[]): Promise<RowOutcome[]> {
    const outcomes = await catalogStore(this.env, this.identity.tenantId).importPrices(rows.map((row) => ({ key: String(row.row), sku: row.sku, price: row.price, currency: row.currency })));
    return outcomes.map((outcome) => catalogOutcome(outcome, outcome.ok ? null : outcome.reason.startsWith("unknown SKU") ? "sku" : "currency"));
  }

  /** Stock counts: SKUs the tenant knows (catalog or inventory) at locations it has, one call per SKU with its rows in order. */
  private async applyCounts(rows: StockRow[]): Promise<RowOutcome[]> {
    const { tenantId, importId } = this.identity;
    const resolved = await catalogStore(this.env, tenantId).resolveCodes([...new Set(rows.map((row) => row.sku))]);
    const locations = new Set((await tenantRegistry(this.env, tenantId).listLocations()).map((location) => location.id));

    const outcomes: RowOutcome[] = [];
    const bySku = new Map<string, { row: StockRow; count: StockCount }[]>();
    for (const row of rows) {
      if (!locations.has(row.location)) {
        outcomes.push({ row: row.row, outcome: "rejected", column: "location", reason: `unknown location ${row.location}`, code: null });
        continue;
      }
      const sku = resolved[row.sku]!.sku;
      const list = bySku.get(sku) ?? [];
      list.push({ row, count: { key: `erp:${importId}:${row.row}`, location: row.location, onHand: row.onHand, asOf: row.asOf, reference: `erp-import:${importId}:${row.row}` } });
      bySku.set(sku, list);
    }
    for (const slice of chunks([...bySku], skuConcurrency)) {
      await Promise.all(
        slice.map(async ([sku, list]) => {
          const result = await skuObject(this.env, tenantId, sku).applyCounts(
            list.map((entry) => entry.count),
            { mustExist: !resolved[list[0]!.row.sku]!.known },
          );
          if (!result.ok) {
            for (const { row } of list) outcomes.push({ row: row.row, outcome: "rejected", column: "sku", reason: `unknown SKU ${row.sku}: neither the catalog nor the inventory has it`, code: null });
            return;
          }
          result.outcomes.forEach((outcome, at) => {
            const { row } = list[at]!;
            if (outcome.outcome !== "stale") outcomes.push({ row: row.row, outcome: "accepted" });
            else outcomes.push({ row: row.row, outcome: "ignored", column: null, reason: `a count of ${sku} at ${row.location} as of ${new Date(outcome.appliedAsOf!).toISOString()}, not older than this one, was already applied`, code: null });
          });
        }),
      );
    }
    return outcomes;
  }

  /**
   * Customers: the batch written in the tenant's directory in one call and
   * one transaction, then each accepted row's opening balance credited to
   * the customer it resolved to, as an earning under the source key
   * `import:<import id>:<customer id>`. That key is applied once for ever by
   * the customer's loyalty object, so a batch applied again after a crash,
   * or the same row twice, credits nothing more (docs/decisions/0039).
   */
  private async applyCustomers(rows: CustomerRow[]): Promise<RowOutcome[]> {
    const { tenantId, importId } = this.identity;
    const { outcomes, loyalty } = await customerDirectory(this.env, tenantId).importCustomers(rows.map((row) => ({ key: String(row.row), id: row.id, customer: row.customer })));
    const byRow = new Map(rows.map((row) => [String(row.row), row]));
    // A customer twice in the file shares one source key: the first row credits it, not whichever call lands first.
    const credited = new Set<string>();
    const credits = outcomes.flatMap((outcome) => {
      const row = byRow.get(outcome.key)!;
      if (!outcome.ok || row.points === 0 || credited.has(row.id)) return [];
      credited.add(row.id);
      return [{ row, customerId: outcome.pointsTo }];
    });
    await forEachLimited(credits, loyaltyConcurrency, async ({ row, customerId }) => {
      await customerLoyalty(this.env, tenantId, customerId).earn({
        source: "import",
        reference: `erp-import:${importId}:${row.row}`,
        sourceKey: `import:${importId}:${row.id}`,
        points: row.points,
        lifetimeMs: loyalty.lifetimeDays * day,
      });
    });
    return outcomes.map((outcome): RowOutcome => {
      const row = Number(outcome.key);
      if (outcome.ok) return { row, outcome: "accepted" };
      const column = outcome.code === "invalid_email" ? "email" : outcome.code === "invalid_phone" ? "phone" : "id";
      return { row, outcome: "rejected", column, reason: outcome.detail, code: outcome.code };
    });
  }

  private meta() {
    return this.db.select().from(importMeta).where(eq(importMeta.id, 1)).get();
  }
}

function catalogOutcome(outcome: { key: string; ok: true } | { key: string; ok: false; reason: string }, column: string | null): RowOutcome {
  const row = Number(outcome.key);
  return outcome.ok ? { row, outcome: "accepted" } : { row, outcome: "rejected", column, reason: outcome.reason, code: null };
}

function columnOfCatalogReason(reason: string): string {
  return reason.startsWith("currency") ? "currency" : "barcodes";
}
