import { eq, lt, sql } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { fail, type Failure } from "../shared/errors.ts";
import { idempotencyKeys } from "./schema/idempotency.ts";

/** How long an Idempotency-Key is remembered. A retry after that is a new request. */
export const idempotencyRetentionMs = 24 * 60 * 60 * 1000;

export interface IdempotencyInput {
  key: string;
  /** SHA-256 of the method, route and canonical body, computed by the Worker. */
  requestHash: string;
  /**
   * Whose key it is: `<tenant>/<first key of the rotation chain>` for a
   * tenant key, `platform` for the platform key. The same Idempotency-Key
   * from two callers is two requests. Absent for keys the platform derives
   * itself (saga steps, effect ids), which no caller can send.
   */
  scope?: string;
}

/** An object's answer to a write, and whether it came from the idempotency record. */
export interface Idempotent<T> {
  outcome: T | Failure<"idempotency_conflict">;
  replayed: boolean;
}

type SyncDatabase = BaseSQLiteDatabase<"sync", any, any>;

/**
 * Runs `effect` once per Idempotency-Key. Must be called inside the object's
 * transaction, so the record and the effect commit together or not at all.
 * Business failures are remembered too: a retry gets the same answer.
 */
export function runIdempotent<T>(db: SyncDatabase, input: IdempotencyInput | undefined, now: number, effect: () => T): Idempotent<T> {
  if (!input) return { outcome: effect(), replayed: false };
  const previous = findIdempotent<T>(db, input);
  if (previous) return previous;
  const outcome = effect();
  recordIdempotent(db, input, now, outcome);
  return { outcome, replayed: false };
}

/** The stored answer for this key (or a conflict if the key came with another request), or null. */
export function findIdempotent<T>(db: SyncDatabase, input: IdempotencyInput): Idempotent<T> | null {
  const statements = statementsOf(db);
  const previous = statements.find.get({ key: storedKey(input) }) ?? (input.scope ? unscopedRetry(statements.find.get({ key: input.key }), input) : undefined);
  if (!previous) return null;
  if (previous.requestHash !== input.requestHash) {
    return { outcome: fail("idempotency_conflict", `Idempotency-Key "${input.key}" was first used with a different request`), replayed: false };
  }
  return { outcome: JSON.parse(previous.result) as T, replayed: true };
}

export function recordIdempotent(db: SyncDatabase, input: IdempotencyInput, now: number, outcome: unknown): void {
  statementsOf(db).record.run({ key: storedKey(input), requestHash: input.requestHash, result: JSON.stringify(outcome), createdAt: now });
}

/** The record's key: the caller's scope and its key, joined by a line break, which no header value can hold. */
function storedKey(input: IdempotencyInput): string {
  return input.scope === undefined ? input.key : `${input.scope}\n${input.key}`;
}

type StoredRecord = typeof idempotencyKeys.$inferSelect;

/**
 * Records written before keys were scoped (kept 24 hours, so this matters
 * only that long after the change) name no caller: one counts as a retry
 * only for the very same request, and is otherwise not this caller's.
 */
function unscopedRetry(record: StoredRecord | undefined, input: IdempotencyInput): StoredRecord | undefined {
  return record && record.requestHash === input.requestHash ? record : undefined;
}

function prepareStatements(db: SyncDatabase) {
  return {
    find: db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, sql.placeholder("key"))).prepare(),
    record: db
      .insert(idempotencyKeys)
      .values({ key: sql.placeholder("key"), requestHash: sql.placeholder("requestHash"), result: sql.placeholder("result"), createdAt: sql.placeholder("createdAt") })
      .prepare(),
  };
}

// Every write with a key runs both statements: build them once per object's database, not per write.
const preparedByDatabase = new WeakMap<SyncDatabase, ReturnType<typeof prepareStatements>>();

function statementsOf(db: SyncDatabase): ReturnType<typeof prepareStatements> {
  let statements = preparedByDatabase.get(db);
  if (!statements) {
    statements = prepareStatements(db);
    preparedByDatabase.set(db, statements);
  }
  return statements;
}

export function pruneIdempotencyKeys(db: SyncDatabase, now: number): void {
  db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, now - idempotencyRetentionMs)).run();
}

export function oldestIdempotencyKey(db: SyncDatabase): number | null {
  const row = db.select({ createdAt: idempotencyKeys.createdAt }).from(idempotencyKeys).orderBy(idempotencyKeys.createdAt).limit(1).get();
  return row?.createdAt ?? null;
}
