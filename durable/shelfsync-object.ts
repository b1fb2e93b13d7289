import { DurableObject } from "cloudflare:workers";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { migrate } from "drizzle-orm/durable-sqlite/migrator";
import { systemClock, type Clock } from "../shared/clock.ts";
import {
  findIdempotent,
  idempotencyRetentionMs,
  oldestIdempotencyKey,
  pruneIdempotencyKeys,
  recordIdempotent,
  runIdempotent,
  type Idempotent,
  type IdempotencyInput,
} from "./idempotency.ts";
import { idempotencyKeys } from "./schema/idempotency.ts";

type Migrations = Parameters<typeof migrate>[1];

/** What a Shelfsync object is made of: its drizzle schema, its generated migrations, and how its name reads. */
export interface ObjectSetup<TSchema extends Record<string, unknown>, TIdentity> {
  schema: TSchema;
  migrations: Migrations;
  /** One of `parseName` in ./objects.ts. */
  identity: (name: string) => TIdentity;
}

/**
 * The base of every Shelfsync Durable Object: subclasses keep only their
 * domain. It gives them
 * - `db`, drizzle over the object's SQLite, migrated once before any call
 *   (inside `blockConcurrencyWhile`), then `onStart` for one-off set-up;
 * - `identity`, read from the object's own name (./objects.ts), never passed in;
 * - `clock`, the time every decision reads (tests replace it and move it on);
 * - `serialized`, for operations that await other objects and must not
 *   interleave with each other;
 * - idempotency records written in the caller's transaction, and their
 *   pruning: the alarm prunes them when due, then runs the subclass's
 *   `onAlarm`, and is set again for whichever comes first.
 *
 * @example
 * export class CatalogStore extends ShelfsyncObject<typeof schema, TenantIdentity> {
 *   constructor(ctx: DurableObjectState, env: Env) {
 *     super(ctx, env, { schema, migrations, identity: parseName.tenant });
 *   }
 * }
 */
export abstract class ShelfsyncObject<TSchema extends Record<string, unknown>, TIdentity> extends DurableObject<Env> {
  protected readonly db: DrizzleSqliteDODatabase<TSchema>;
  protected readonly identity: TIdentity;
  protected clock: Clock = systemClock;
  private readonly keepsIdempotencyKeys: boolean;
  /** The end of the chain behind `serialized`. */
  private tail: Promise<unknown> = Promise.resolve();
  /** The alarm as last set or read (null: none; undefined: not read yet). */
  private scheduledAlarm: number | null | undefined;
  /** When the oldest idempotency record was written (null: none; undefined: not read yet). */
  private oldestKeyAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env, setup: ObjectSetup<TSchema, TIdentity>) {
    super(ctx, env);
    const name = ctx.id.name;
    if (name === undefined) throw new Error(`${new.target.name} objects are addressed by name (getByName)`);
    this.identity = setup.identity(name);
    this.db = drizzle(ctx.storage, { schema: setup.schema });
    this.keepsIdempotencyKeys = Object.values(setup.schema).includes(idempotencyKeys);
    void ctx.blockConcurrencyWhile(async () => {
      await migrate(this.db, setup.migrations);
      // Let the subclass's constructor finish before its hook runs.
      await null;
      await this.onStart();
    });
  }

  /** One-off set-up after the migrations, before the first call. */
  protected async onStart(): Promise<void> {}

  /**
   * The subclass's own work when the alarm rings. Returns when it next wants
   * to be woken for that work (null: not for its own sake).
   */
  protected async onAlarm(): Promise<number | null> {
    return null;
  }

  override async alarm(): Promise<void> {
    this.scheduledAlarm = null;
    this.pruneDueIdempotencyKeys();
    const next = await this.onAlarm();
    await this.wakeBy(next);
  }

  protected now(): number {
    return this.clock.now();
  }

  /** Runs `run` after every operation queued before it has finished: an await inside cannot let another interleave. */
  protected serialized<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A SQLite transaction; if it fails, what the object remembers in memory is read again. */
  protected transaction<T>(run: () => T): T {
    try {
      return this.ctx.storage.transactionSync(run);
    } catch (error) {
      this.oldestKeyAt = undefined;
      this.onRollback();
      throw error;
    }
  }

  /** Forget what the subclass caches of its stored state: a transaction rolled back. */
  protected onRollback(): void {}

  /** Runs `effect` once per Idempotency-Key. Call inside a transaction, so the record and the effect commit together. */
  protected idempotent<T>(input: IdempotencyInput | undefined, now: number, effect: () => T): Idempotent<T> {
    const result = runIdempotent(this.db, input, now, effect);
    if (input && !result.replayed) this.keyRecorded(now);
    return result;
  }

  /** The stored answer for this key (or a conflict), or null. */
  protected storedAnswer<T>(input: IdempotencyInput): Idempotent<T> | null {
    return findIdempotent<T>(this.db, input);
  }

  /** Remembers the answer given under `input`. Call inside the transaction of the effect. */
  protected rememberAnswer(input: IdempotencyInput, now: number, outcome: unknown): void {
    recordIdempotent(this.db, input, now, outcome);
    this.keyRecorded(now);
  }

  /** Runs `effect` once per Idempotency-Key in one transaction, then makes sure the key will be pruned. */
  protected async idempotentTransaction<T>(input: IdempotencyInput | undefined, effect: (now: number) => T): Promise<Idempotent<T>> {
    const now = this.now();
    const result = this.transaction(() => this.idempotent(input, now, () => effect(now)));
    if (input) await this.wakeBy(null);
    return result;
  }

  /**
   * Makes sure the alarm rings no later than `at` (null: only for pruning
   * idempotency records), leaving an earlier one as it is.
   */
  protected async wakeBy(at: number | null): Promise<void> {
    const wanted = earliest(at, this.idempotencyPruneAt());
    if (wanted === null) return;
    if (this.scheduledAlarm === undefined) this.scheduledAlarm = await this.ctx.storage.getAlarm();
    if (this.scheduledAlarm === null || this.scheduledAlarm > wanted) await this.setAlarm(wanted);
  }

  /** Sets the alarm to `at` (or, if sooner, when idempotency records are due for pruning), replacing whatever was set. */
  protected async wakeAt(at: number | null): Promise<void> {
    const wanted = earliest(at, this.idempotencyPruneAt());
    if (wanted === null) {
      await this.ctx.storage.deleteAlarm();
      this.scheduledAlarm = null;
    } else {
      await this.setAlarm(wanted);
    }
  }

  private async setAlarm(at: number): Promise<void> {
    await this.ctx.storage.setAlarm(at);
    this.scheduledAlarm = at;
  }

  /** When the oldest idempotency record may be pruned, or null when there is none. */
  protected idempotencyPruneAt(): number | null {
    if (!this.keepsIdempotencyKeys) return null;
    // null is a fact (no record kept), not a gap in what this object knows: only undefined reads again.
    if (this.oldestKeyAt === undefined) this.oldestKeyAt = oldestIdempotencyKey(this.db);
    return this.oldestKeyAt === null ? null : this.oldestKeyAt + idempotencyRetentionMs;
  }

  private pruneDueIdempotencyKeys(): void {
    const due = this.idempotencyPruneAt();
    if (due === null || due > this.now()) return;
    pruneIdempotencyKeys(this.db, this.now());
    this.oldestKeyAt = undefined;
  }

  private keyRecorded(at: number): void {
    // A new record is never older than one already kept; with none kept, it is now the oldest.
    if (this.oldestKeyAt === null) this.oldestKeyAt = at;
  }
}

function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
