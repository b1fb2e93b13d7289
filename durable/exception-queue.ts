import { DurableObject } from "cloudflare:workers";
import { and, asc, eq, gt, type SQL } from "drizzle-orm";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { newId } from "../shared/ids.ts";
import type { ExceptionPage, ExceptionRecord, ExceptionState, ExceptionType } from "../shared/schemas/exceptions.ts";
import migrations from "./migrations/exception-queue/migrations.js";
import * as schema from "./schema/exception-queue.ts";

const { exceptions } = schema;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * An exception as its cause reports it. `naturalKey` names the cause (e.g.
 * type, location, transaction and line) so that reporting it again is a no-op.
 */
export type ExceptionDraft = DistributiveOmit<ExceptionRecord, "id" | "state" | "createdAt"> & { naturalKey: string };

export interface ExceptionFilter {
  type?: ExceptionType;
  state?: ExceptionState;
}

/**
 * One per tenant: what the platform did but a person should look at, oldest
 * first. Recording is idempotent by natural key, so a replayed POS
 * transaction never opens a second exception for the same cause.
 */
export class ExceptionQueue extends DurableObject<Env> {
  private readonly db: DrizzleSqliteDODatabase<typeof schema>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, migrations);
    });
  }

  /** Records each draft unless its natural key is already there; returns every one as stored. */
  async record(drafts: ExceptionDraft[]): Promise<ExceptionRecord[]> {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() =>
      drafts.map((draft) => {
        this.db
          .insert(exceptions)
          .values({
            id: newId("exc"),
            naturalKey: draft.naturalKey,
            type: draft.type,
            subject: draft.subject,
            payload: draft.payload,
            correlationId: draft.correlationId,
            state: "open",
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: exceptions.naturalKey })
          .run();
        return toRecord(this.db.select().from(exceptions).where(eq(exceptions.naturalKey, draft.naturalKey)).get()!);
      }),
    );
  }

  async list(filter: ExceptionFilter, after: number, limit: number): Promise<ExceptionPage> {
    const conditions: SQL[] = [gt(exceptions.seq, after)];
    if (filter.type) conditions.push(eq(exceptions.type, filter.type));
    if (filter.state) conditions.push(eq(exceptions.state, filter.state));
    const rows = this.db
      .select()
      .from(exceptions)
      .where(and(...conditions))
      .orderBy(asc(exceptions.seq))
      .limit(limit + 1)
      .all();
    const page = rows.slice(0, limit);
    return { exceptions: page.map(toRecord), nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null };
  }
}

function toRecord(row: typeof exceptions.$inferSelect): ExceptionRecord {
  // Rows are only written from drafts typed by the shared schema, so type and payload agree.
  return {
    id: row.id,
    type: row.type,
    subject: row.subject,
    payload: row.payload,
    correlationId: row.correlationId,
    state: row.state,
    createdAt: new Date(row.createdAt).toISOString(),
  } as ExceptionRecord;
}
