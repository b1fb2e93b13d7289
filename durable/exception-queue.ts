import { asc, count, desc, eq, inArray } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import type { ExceptionPage, ExceptionRecord, ExceptionsQuery, ExceptionState, ExceptionType, ReplayAnswer, ResolveExceptionRequest } from "../shared/schemas/exceptions.ts";
import type { IdempotencyInput, Idempotent } from "./idempotency.ts";
import migrations from "./migrations/exception-queue/migrations.js";
import { parseName, type TenantIdentity } from "./objects.ts";
import { chunks, pageBySeq } from "./paging.ts";
import * as schema from "./schema/exception-queue.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";

const { exceptions, exceptionTransitions } = schema;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Row = typeof exceptions.$inferSelect;

/**
 * An exception as its cause reports it. `naturalKey` names the cause (e.g.
 * type, location, transaction and line) so that reporting it again is a no-op.
 */
export type ExceptionDraft = DistributiveOmit<ExceptionRecord, "id" | "state" | "createdAt" | "updatedAt" | "replays" | "lastFailure" | "transitions"> & { naturalKey: string };

export type DeliveryFailureDraft = Extract<ExceptionDraft, { type: "event_delivery_failed" }>;

export type ExceptionFilter = Pick<ExceptionsQuery, "type" | "state">;

export type ExceptionResult = Result<{ exception: ExceptionRecord }>;
export type ReplayResult = Result<{ answer: ReplayAnswer }>;

/**
 * The start of a replay: either the step must run now (the exception is
 * `retrying`, owned by replay number `replay`), or there is already an
 * answer (a stored one for the Idempotency-Key, `already_closed`, or a refusal).
 */
export type ReplayClaim = { run: true; exception: ExceptionRecord; replay: number } | { run: false; result: ReplayResult; replayed: boolean };

/** What running the failed step again did. */
export interface StepOutcome {
  outcome: "resolved" | "failed" | "enqueued";
  detail: string;
}

/** How long a replay owns a `retrying` exception before another replay may take it over (it died). */
export const replayLeaseMs = 60_000;
/** An event handed to the queue again is retried there for a while: a second replay waits this long. */
export const enqueuedLeaseMs = 60 * 60_000;

const closed: readonly ExceptionState[] = ["resolved", "ignored"];

/**
 * One per tenant: what the platform did but a person should look at, oldest
 * first. Recording is idempotent by natural key, so a replayed POS
 * transaction never opens a second exception for the same cause.
 *
 *     open → retrying → resolved | open (the replay failed again)
 *     open | retrying → resolved | ignored (a person closed it, with a note)
 *
 * Every change is a transition with who made it, when and why. A closed
 * exception stays closed: a replay of it answers `already_closed` and runs
 * nothing, so two replays (whatever their keys) have one effect.
 */
export class ExceptionQueue extends ShelfsyncObject<typeof schema, TenantIdentity> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.tenant });
  }

  /**
   * Records each draft unless its natural key is already there; returns every
   * one as stored. A cause reported again while its exception is still open
   * (or being replayed) refreshes the payload: it is the latest report.
   */
  async record(drafts: ExceptionDraft[]): Promise<ExceptionRecord[]> {
    const now = this.now();
    return this.transaction(() =>
      drafts.map((draft) => {
        const existing = this.byNaturalKey(draft.naturalKey);
        if (!existing) return this.view(this.insert(draft, now, null));
        if (!closed.includes(existing.state)) this.db.update(exceptions).set({ payload: draft.payload, updatedAt: now }).where(eq(exceptions.seq, existing.seq)).run();
        return this.view(this.byNaturalKey(draft.naturalKey)!);
      }),
    );
  }

  /**
   * An event that died in the dead letter queue. New: recorded open with its
   * failure. Being replayed: the replay failed, so it is open again with the
   * new failure. Open: the failure is refreshed. Closed: a person decided; it stays so.
   */
  async reportDeliveryFailure(draft: DeliveryFailureDraft): Promise<ExceptionRecord> {
    const now = this.now();
    const reason = draft.payload.lastError ?? `not delivered after ${draft.payload.attempts} attempts`;
    return this.transaction(() => {
      const existing = this.byNaturalKey(draft.naturalKey);
      if (!existing) return this.view(this.insert(draft, now, reason));
      if (closed.includes(existing.state)) return this.view(existing);
      const failure = { at: now, reason };
      this.db.update(exceptions).set({ state: "open", payload: draft.payload, lastFailure: failure, leaseUntil: null, updatedAt: now }).where(eq(exceptions.seq, existing.seq)).run();
      if (existing.state === "retrying") this.transition(existing, "open", "system", `replay failed: ${reason}`, now);
      return this.view(this.byNaturalKey(draft.naturalKey)!);
    });
  }

  async get(id: string): Promise<ExceptionResult> {
    const row = this.byId(id);
    return row ? { ok: true, exception: this.view(row) } : fail("not_found", `No exception ${id}`);
  }

  async list(filter: ExceptionFilter, after: number, limit: number): Promise<ExceptionPage> {
    const filters = [filter.type && eq(exceptions.type, filter.type), filter.state && eq(exceptions.state, filter.state)];
    const { page, nextCursor } = pageBySeq(this.db, exceptions, filters, after, limit);
    const transitions = this.transitionsOf(page.map((row) => row.id));
    return { exceptions: page.map((row) => toRecord(row, transitions.get(row.id) ?? [])), nextCursor };
  }

  /** Open exceptions counted by type, most first: one read of the state index, for a partner's overview of many tenants. */
  async openCounts(): Promise<{ type: ExceptionType; open: number }[]> {
    return this.db
      .select({ type: exceptions.type, open: count() })
      .from(exceptions)
      .where(eq(exceptions.state, "open"))
      .groupBy(exceptions.type)
      .orderBy(desc(count()), asc(exceptions.type))
      .all();
  }

  /**
   * Claims an exception for a replay: `open` (or `retrying` whose replay
   * died, past its lease) becomes `retrying`, and the caller runs the step,
   * then reports with `finishReplay`. A closed one answers `already_closed`
   * and nothing runs; one being replayed right now is a `conflict`.
   */
  async beginReplay(id: string, by: string, note: string | null, idempotency?: IdempotencyInput): Promise<ReplayClaim> {
    const now = this.now();
    const claim = this.transaction((): ReplayClaim => {
      const previous = idempotency ? this.storedAnswer<ReplayResult>(idempotency) : null;
      if (previous) return { run: false, result: previous.outcome, replayed: previous.replayed };
      const row = this.byId(id);
      if (!row) return this.answered(idempotency, now, fail("not_found", `No exception ${id}`));
      if (closed.includes(row.state)) {
        return this.answered(idempotency, now, { ok: true, answer: { outcome: "already_closed", detail: `Exception ${id} is already ${row.state}; nothing ran`, exception: this.view(row) } });
      }
      if (row.state === "retrying" && (row.leaseUntil ?? 0) > now) {
        return { run: false, result: fail("conflict", `Exception ${id} is being replayed; ask again after ${new Date(row.leaseUntil!).toISOString()}`), replayed: false };
      }
      const replay = row.replays + 1;
      this.db.update(exceptions).set({ state: "retrying", replays: replay, leaseUntil: now + replayLeaseMs, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
      this.transition(row, "retrying", by, note ?? `replay ${replay}`, now);
      return { run: true, exception: this.view(this.byId(id)!), replay };
    });
    await this.wakeBy(null);
    return claim;
  }

  /**
   * Records what replay number `replay` did: `resolved` closes the exception,
   * `failed` opens it again with the failure, `enqueued` keeps it `retrying`
   * until the event is delivered (`completeReplay`) or dies again. If the
   * exception changed meanwhile (a person closed it), it is left as it is.
   */
  async finishReplay(id: string, replay: number, step: StepOutcome, by: string, idempotency?: IdempotencyInput): Promise<ReplayResult> {
    const now = this.now();
    const result = this.transaction((): ReplayResult => {
      const row = this.byId(id);
      if (!row) return fail("not_found", `No exception ${id}`);
      if (row.state === "retrying" && row.replays === replay) {
        if (step.outcome === "resolved") {
          this.db.update(exceptions).set({ state: "resolved", leaseUntil: null, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
          this.transition(row, "resolved", by, step.detail, now);
        } else if (step.outcome === "failed") {
          this.db.update(exceptions).set({ state: "open", leaseUntil: null, lastFailure: { at: now, reason: step.detail }, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
          this.transition(row, "open", by, `replay failed: ${step.detail}`, now);
        } else {
          this.db.update(exceptions).set({ leaseUntil: now + enqueuedLeaseMs, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
        }
      }
      const answer: ReplayResult = { ok: true, answer: { outcome: step.outcome, detail: step.detail, exception: this.view(this.byId(id)!) } };
      if (idempotency && !this.storedAnswer(idempotency)) this.rememberAnswer(idempotency, now, answer);
      return answer;
    });
    await this.wakeBy(null);
    return result;
  }

  /** A replayed event was delivered (or had nowhere to go): its exception, if still `retrying`, is resolved. */
  async completeReplay(id: string, note: string): Promise<void> {
    const now = this.now();
    this.transaction(() => {
      const row = this.byId(id);
      if (!row || row.state !== "retrying") return;
      this.db.update(exceptions).set({ state: "resolved", leaseUntil: null, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
      this.transition(row, "resolved", "system", note, now);
    });
  }

  /** A person closes it with a note, as `resolved` or `ignored`. Closing a closed one is a `conflict`. */
  async resolve(id: string, input: ResolveExceptionRequest, by: string, idempotency?: IdempotencyInput): Promise<Idempotent<ExceptionResult>> {
    return this.idempotentTransaction(idempotency, (now): ExceptionResult => {
      const row = this.byId(id);
      if (!row) return fail("not_found", `No exception ${id}`);
      if (closed.includes(row.state)) return fail("conflict", `Exception ${id} is already ${row.state}`, { state: row.state });
      this.db.update(exceptions).set({ state: input.state, leaseUntil: null, updatedAt: now }).where(eq(exceptions.seq, row.seq)).run();
      this.transition(row, input.state, by, input.note, now);
      return { ok: true, exception: this.view(this.byId(id)!) };
    });
  }

  private answered(idempotency: IdempotencyInput | undefined, now: number, result: ReplayResult): ReplayClaim {
    if (idempotency) this.rememberAnswer(idempotency, now, result);
    return { run: false, result, replayed: false };
  }

  private insert(draft: ExceptionDraft, now: number, failure: string | null): Row {
    const row = this.db
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
        replays: 0,
        lastFailure: failure === null ? null : { at: now, reason: failure },
        leaseUntil: null,
      })
      .returning()
      .get();
    this.db.insert(exceptionTransitions).values({ exceptionId: row.id, from: null, to: "open", by: "system", note: failure, at: now }).run();
    return row;
  }

  private transition(row: Row, to: ExceptionState, by: string, note: string | null, now: number): void {
    this.db.insert(exceptionTransitions).values({ exceptionId: row.id, from: row.state, to, by, note, at: now }).run();
  }

  private byId(id: string): Row | undefined {
    return this.db.select().from(exceptions).where(eq(exceptions.id, id)).get();
  }

  private byNaturalKey(naturalKey: string): Row | undefined {
    return this.db.select().from(exceptions).where(eq(exceptions.naturalKey, naturalKey)).get();
  }

  private view(row: Row): ExceptionRecord {
    return toRecord(row, this.transitionsOf([row.id]).get(row.id) ?? []);
  }

  private transitionsOf(ids: string[]): Map<string, (typeof exceptionTransitions.$inferSelect)[]> {
    const byException = new Map<string, (typeof exceptionTransitions.$inferSelect)[]>();
    for (const chunk of chunks(ids)) {
      const rows = this.db
        .select()
        .from(exceptionTransitions)
        .where(inArray(exceptionTransitions.exceptionId, chunk))
        .orderBy(asc(exceptionTransitions.seq))
        .all();
      for (const row of rows) byException.set(row.exceptionId, [...(byException.get(row.exceptionId) ?? []), row]);
    }
    return byException;
  }
}

function toRecord(row: Row, transitions: (typeof exceptionTransitions.$inferSelect)[]): ExceptionRecord {
  // Rows are only written from drafts typed by the shared schema, so type and payload agree.
  return {
    id: row.id,
    type: row.type,
    subject: row.subject,
    payload: row.payload,
    correlationId: row.correlationId,
    state: row.state,
    replays: row.replays,
    lastFailure: row.lastFailure ? { at: new Date(row.lastFailure.at).toISOString(), reason: row.lastFailure.reason } : null,
    transitions: transitions.map((t) => ({ at: new Date(t.at).toISOString(), from: t.from, to: t.to, by: t.by, note: t.note })),
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  } as ExceptionRecord;
}

