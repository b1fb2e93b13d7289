import { eq, gte, lt, sql } from "drizzle-orm";
import { auditRetentionDays, type AuditPage, type AuditRecord, type NewAuditRecord } from "../shared/schemas/audit.ts";
import migrations from "./migrations/tenant-audit/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import { pageBySeq } from "./paging.ts";
import * as schema from "./schema/tenant-audit.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { auditRecords } = schema;

const dayMs = 24 * 60 * 60 * 1000;
const retentionMs = auditRetentionDays * dayMs;

/** What GET /v1/audit narrows by (instants in ms); every field optional. */
export interface AuditFilter {
  keyId?: string;
  route?: string;
  outcome?: string;
  kind?: AuditRecord["kind"];
  since?: number;
  until?: number;
  after: number;
  limit: number;
}

/**
 * One of a tenant's `auditShards` audit objects: its share of the trail, append-only. The only ways in are
 * `append` (the edge, after each write and sign-in) and the alarm, which
 * prunes records past the retention once a day. Nothing updates a record.
 */
export class TenantAudit extends ShelfsyncObject<typeof schema, TenantIdentity & { shard: number }> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.auditShard });
  }

  /** The append's insert, built once: every write of the tenant comes through it, and drizzle building it costs more than SQLite runs it. */
  private readonly insertRecord = this.db
    .insert(auditRecords)
    .values(
      Object.fromEntries(
        ["at", "kind", "keyId", "role", "method", "route", "path", "objectId", "status", "outcome", "requestId", "traceId"].map((name) => [name, sql.placeholder(name)]),
      ) as unknown as typeof auditRecords.$inferInsert,
    )
    .prepare();

  /** Appends records in arrival order, in one transaction, stamped with this object's time. */
  async append(records: NewAuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const now = this.now();
    this.transaction(() => {
      for (const record of records) this.insertRecord.run({ ...record, at: now });
    });
    await this.wakeBy(now + dayMs);
  }

  async list(filter: AuditFilter): Promise<AuditPage> {
    const { page, nextCursor } = pageBySeq(
      this.db,
      auditRecords,
      [
        filter.keyId !== undefined && eq(auditRecords.keyId, filter.keyId),
        filter.route !== undefined && eq(auditRecords.route, filter.route),
        filter.outcome !== undefined && eq(auditRecords.outcome, filter.outcome),
        filter.kind !== undefined && eq(auditRecords.kind, filter.kind),
        filter.since !== undefined && gte(auditRecords.at, filter.since),
        filter.until !== undefined && lt(auditRecords.at, filter.until),
      ].map((condition) => condition || undefined),
      filter.after,
      filter.limit,
    );
    return { records: page.map((row) => ({ ...row, at: new Date(row.at).toISOString() })), nextCursor };
  }

  protected override async onAlarm(): Promise<number | null> {
    this.db.delete(auditRecords).where(lt(auditRecords.at, this.now() - retentionMs)).run();
    const left = this.db.select({ seq: auditRecords.seq }).from(auditRecords).limit(1).get();
    return left ? this.now() + dayMs : null;
  }
}
