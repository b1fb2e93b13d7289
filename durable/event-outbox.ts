import { asc, eq, lte } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { newId } from "../shared/ids.ts";
import type { EventMessage, OutboundEvent } from "../shared/schemas/events.ts";
import { exceptionQueue } from "./objects.ts";
import { eventOutbox } from "./schema/event-outbox.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type SyncDatabase = BaseSQLiteDatabase<"sync", any, any>;

/** An event as the object's change describes it; the outbox gives it its id and time. */
export type EventDraft = DistributiveOmit<OutboundEvent, "id" | "occurredAt">;

/** A queue batch holds at most 100 messages and 256 KB. */
const maxBatchMessages = 100;
const maxBatchBytes = 200_000;

/**
 * The outbound events of one Durable Object. `stage` writes an event in the
 * transaction of the change it reports; `flush`, after that commit, hands
 * staged events to the `EVENTS` queue and removes them. If the queue refuses,
 * each event becomes an `event_delivery_failed` exception (replayable) and
 * the change itself stands. Only if that fails too do the events stay staged,
 * for the object's alarm to flush again: an event is never lost, and may be
 * sent twice (same id) if the object dies between the send and the removal.
 *
 * @example
 * this.ctx.storage.transactionSync(() => { change(); this.outbox.stage({ type: "order.reserved", … }, now); });
 * const flushed = await this.outbox.flush(); // false: set the alarm
 */
export class EventOutbox {
  private flushing: Promise<boolean> | null = null;
  /** False once a flush found nothing staged and nothing was staged since: flush then skips the query. */
  private mayHaveStaged = true;

  constructor(
    private readonly db: SyncDatabase,
    private readonly env: Env,
  ) {}

  /** Call inside the transaction that makes the change. */
  stage(draft: EventDraft, now: number): void {
    const event = { ...draft, id: newId("evt"), occurredAt: new Date(now).toISOString() } as OutboundEvent;
    this.db.insert(eventOutbox).values({ event, tries: 0, createdAt: now }).run();
    this.mayHaveStaged = true;
  }

  hasPending(): boolean {
    return this.db.select({ seq: eventOutbox.seq }).from(eventOutbox).limit(1).get() !== undefined;
  }

  /** Hands every staged event on; true once none is left. Never throws. */
  flush(): Promise<boolean> {
    if (!this.mayHaveStaged && !this.flushing) return Promise.resolve(true);
    this.flushing ??= this.drain().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async drain(): Promise<boolean> {
    for (;;) {
      const rows = this.nextBatch();
      if (rows.length === 0) {
        this.mayHaveStaged = false;
        return true;
      }
      try {
        await this.env.EVENTS.sendBatch(rows.map((row) => ({ body: { event: row.event, replayOf: null } satisfies EventMessage, contentType: "json" as const })));
      } catch (error) {
        if (!(await this.recordRefused(rows.map((row) => row.event), String(error)))) {
          this.db.update(eventOutbox).set({ tries: rows[0]!.tries + 1 }).where(eq(eventOutbox.seq, rows[0]!.seq)).run();
          return false;
        }
      }
      // Staged later means a higher seq: only what was just handed on goes.
      this.db.delete(eventOutbox).where(lte(eventOutbox.seq, rows[rows.length - 1]!.seq)).run();
    }
  }

  private nextBatch() {
    const rows = this.db.select().from(eventOutbox).orderBy(asc(eventOutbox.seq)).limit(maxBatchMessages).all();
    let bytes = 0;
    const batch = [];
    for (const row of rows) {
      bytes += JSON.stringify(row.event).length;
      if (batch.length > 0 && bytes > maxBatchBytes) break;
      batch.push(row);
    }
    return batch;
  }

  /** The queue refused: each event becomes an exception of its tenant, to be replayed. False if that failed too. */
  private async recordRefused(events: OutboundEvent[], error: string): Promise<boolean> {
    try {
      // Every object stages the events of one tenant, so this is one exception queue.
      for (const event of events) {
        await exceptionQueue(this.env, event.tenantId).reportDeliveryFailure({
          type: "event_delivery_failed",
          naturalKey: `event_delivery_failed:${event.id}`,
          subject: event.subject,
          correlationId: event.id,
          payload: { stage: "enqueue", event, attempts: 0, lastError: `the queue refused it: ${error.slice(0, 500)}` },
        });
      }
      return true;
    } catch {
      return false;
    }
  }
}
