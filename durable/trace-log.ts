import { asc, eq, lt, sql } from "drizzle-orm";
import type { Trace, TraceHop } from "../shared/schemas/traces.ts";
import migrations from "./migrations/trace-log/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import * as schema from "./schema/trace-log.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { traceHops } = schema;

/** Hops are kept this long. */
const retentionMs = 7 * 24 * 3_600_000;

/** One hop as a producer records it (times in epoch ms). */
export interface HopRecord {
  traceId: string;
  at: number;
  hop: string;
  location: string;
  spanId: string | null;
  detail: string | null;
}

/**
 * One of a tenant's trace logs (docs/decisions/0037-tracing.md): the hops of
 * the traces whose id falls in its shard, written by the objects that saw
 * them (a store's ingest records a batch's hops in one call per shard) and
 * read by GET /v1/traces/{traceId}. Kept 7 days.
 */
export class TraceLog extends ShelfsyncObject<typeof schema, TenantIdentity & { shard: number }> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.traceShard });
  }

  async record(hops: HopRecord[]): Promise<void> {
    if (hops.length === 0) return;
    // One statement for the lot: the rows travel as one JSON parameter. A hop
    // recorded again (the same step, span and detail: a retried event's) is kept once.
    this.ctx.storage.sql.exec(
      `INSERT INTO trace_hops (trace_id, at, hop, location, span_id, detail)
       SELECT value ->> 'traceId', value ->> 'at', value ->> 'hop', value ->> 'location', value ->> 'spanId', value ->> 'detail' FROM json_each(?) AS j
       WHERE NOT EXISTS (
         SELECT 1 FROM trace_hops t
         WHERE t.trace_id = j.value ->> 'traceId' AND t.hop = j.value ->> 'hop' AND t.location = j.value ->> 'location'
           AND t.span_id IS j.value ->> 'spanId' AND t.detail IS j.value ->> 'detail'
       )`,
      JSON.stringify(hops),
    );
    await this.wakeBy(this.now() + retentionMs);
  }

  async read(traceId: string): Promise<Trace> {
    const rows = this.db.select().from(traceHops).where(eq(traceHops.traceId, traceId)).orderBy(asc(traceHops.at), asc(traceHops.seq)).all();
    return { traceId, hops: rows.map(toHop) };
  }

  protected override async onAlarm(): Promise<number | null> {
    this.db.delete(traceHops).where(lt(traceHops.at, this.now() - retentionMs)).run();
    const oldest = this.db.select({ at: sql<number | null>`min(${traceHops.at})` }).from(traceHops).get()?.at;
    return oldest === null || oldest === undefined ? null : oldest + retentionMs;
  }
}

function toHop(row: typeof traceHops.$inferSelect): TraceHop {
  return { at: new Date(row.at).toISOString(), hop: row.hop, where: row.location, spanId: row.spanId, detail: row.detail };
}
