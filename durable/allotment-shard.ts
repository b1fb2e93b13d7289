// Over 400 lines on purpose: one Durable Object class (one flash-sale shard) whose RPC methods must be
// members of the class: reserve/commit/release with their idempotency, the borrow loop, transfers and commit
// reports, which share the shard's in-memory figures and its group commit. Splitting them would mean passing
// that state between modules for no reader's gain.
import { and, asc, count, eq, gte, lte, min } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { shardReservationId, type ShardHolding, type Units } from "../shared/schemas/allotments.ts";
import type { CreateReservationRequest, Reservation } from "../shared/schemas/inventory.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { GroupCommit } from "./group-commit.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import migrations from "./migrations/allotment-shard/migrations.js";
import { parseName, skuObject, type ShardIdentity } from "./objects.ts";
import * as schema from "./schema/allotment-shard.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { toReservation } from "./sku-state.ts";

const { shardState, freeUnits, shardReservations, transfersIn, transfersOut, debts } = schema;

type ShardReservationRow = typeof shardReservations.$inferSelect;

/** A pool reservation for the shard's channel, with the pool's locations in priority order. */
export type ShardReserveInput = Omit<CreateReservationRequest, "location"> & { rules: ChannelRules };

/** The shard's channel is no longer hot for the SKU (or the shard has cooled): the SKU object serves the request. */
export interface NotHot {
  ok: false;
  code: "not_hot";
}

export type ShardReservationResult = Result<{ reservation: Reservation }>;

/** How long the shard waits to gather changes before it tells the SKU object (which then publishes availability). */
const movedNoticeDelayMs = 200;
/** How soon a transfer or a commit report that could not be delivered is sent again. */
const retryDelayMs = 1_000;
/**
 * Rounds of borrowing before a reservation is refused although the SKU
 * object still granted units: each round's units may be taken by this
 * shard's other reservations meanwhile (each of them a sale, so rounds are
 * bounded by the stock); the cap only guards against a fault looping.
 */
const borrowRounds = 100;

/**
 * One allotment shard of a flash sale (docs/decisions/0029): a SKU hot for
 * one channel splits that channel's sellable units over K shards, so its
 * pool reservations are decided by K objects instead of one.
 *
 * The shard sells only units the SKU object handed to it (`free_units`);
 * when it has too few it borrows from the SKU object, which grants
 * unallotted units or reclaims free units from the other shards. Units move
 * by transfers with ids, debited at the sender first and credited once at the
 * receiver; a transfer cut short by a crash is sent again by the sender's
 * alarm. Invariant: the SKU object's allotment to this shard equals free +
 * held here + units in transfers not yet credited.
 */
export class AllotmentShard extends ShelfsyncObject<typeof schema, ShardIdentity> {
  private readonly commits: GroupCommit<unknown>;
  /** Whether something moved that the SKU object has not been told of. */
  private moved = false;
  /** What the tables hold, kept in memory so that a reservation reads no query for them (undefined: read again). */
  private freeCache: Map<string, number> | undefined;
  private heldCache: Map<string, number> | undefined;
  private stateCache: { generation: number; cooled: boolean } | undefined;
  private debtCache: Map<string, number> | undefined;
  /** The commit report queued behind the one on its way, if any, and the end of that chain. */
  private nextReport: Promise<void> | null = null;
  private reportChain: Promise<void> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.shard });
    this.commits = new GroupCommit(
      (run) => this.transaction(run),
      () => this.afterGroupCommit(),
    );
  }

  /**
   * Reserves from the shard's free units, borrowing through the SKU object
   * when they are too few. Refused (insufficient_stock) only when no unit is
   * left anywhere: not unallotted, not free in any shard.
   */
  async reserve(input: ShardReserveInput, idempotency?: IdempotencyInput): Promise<Idempotent<ShardReservationResult> | NotHot> {
    const first = await this.submit(() => this.tryReserve(input, idempotency, false));
    if (first) return first;
    return this.serialized(async () => {
      for (let round = 0; round < borrowRounds; round += 1) {
        const again = await this.submit(() => this.tryReserve(input, idempotency, false));
        if (again) return again;
        const short = input.qty - this.freeIn(input.rules.locations);
        const grant = await skuObject(this.env, this.identity.tenantId, this.identity.sku).grantToShard(this.identity.channel, this.identity.shard, short, input.rules);
        if (!grant.ok) return grant;
        this.joinSale(grant.generation);
        if (grant.qty === 0) break;
      }
      return (await this.submit(() => this.tryReserve(input, idempotency, true)))!;
    });
  }

  /** `onlyChannel` as for the SKU object's methods: the shard serves one channel, which the reservation's id names. */
  async getReservation(id: string, onlyChannel: string | null): Promise<ShardReservationResult> {
    if (onlyChannel !== null && onlyChannel !== this.identity.channel) return this.noReservation(id);
    this.expireDueNow();
    const row = this.reservationRow(id);
    return row ? { ok: true, reservation: this.toReservation(row) } : this.noReservation(id);
  }

  /** Commits the reservation here, then has the SKU object take its units off onHand (sent again by the alarm if that fails). */
  async commit(id: string, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<Idempotent<ShardReservationResult>> {
    await this.alarmBeforePendingWork();
    const answer = await this.close(id, onlyChannel, "committed", idempotency);
    if (answer.outcome.ok && !answer.replayed) await this.reportCommitsSoon().catch(() => this.wakeBy(this.now() + retryDelayMs));
    return answer;
  }

  /** Releases the reservation: its units are free here again (or go back to the SKU object if the sale has cooled). */
  async release(id: string, onlyChannel: string | null, idempotency?: IdempotencyInput): Promise<Idempotent<ShardReservationResult>> {
    const givesBack = this.cooled() || this.debts().size > 0;
    if (givesBack) await this.alarmBeforePendingWork();
    const answer = await this.close(id, onlyChannel, "released", idempotency);
    if (givesBack) await this.pushTransfers().catch(() => this.wakeBy(this.now() + retryDelayMs));
    return answer;
  }

  /**
   * Credits units the SKU object debited for this shard; a transfer id seen
   * before changes nothing. `generation`: the sale the units are for (null:
   * the sale is over, so they go straight back).
   */
  async credit(transferId: string, units: Units, generation: number | null): Promise<void> {
    if (generation === null || this.cooled()) await this.alarmBeforePendingWork();
    this.transaction(() => {
      if (this.db.select().from(transfersIn).where(eq(transfersIn.id, transferId)).get()) return;
      this.db.insert(transfersIn).values({ id: transferId, at: this.now() }).run();
      const state = this.state();
      // A transfer of a newer sale starts it here; one of a sale that cooled goes straight back.
      if (generation === null) this.putState({ generation: state.generation, cooled: true });
      else if (generation > state.generation) this.putState({ generation, cooled: false });
      this.addFree(units);
      if (this.cooled()) this.giveBackAll();
    });
    this.moved = true;
    await this.pushTransfersIfCooled();
  }

  /**
   * Debits up to `max` free units (at `location` only, if given) and hands
   * them back to the SKU object, which applies the transfer by its id. The
   * shard sends it again from its alarm until the SKU object has it. With a
   * location, what it cannot give now becomes a debt there: units that come
   * free there later go back until it is paid.
   */
  async giveBack(max: number, location: string | null): Promise<{ transferId: string; units: Units } | null> {
    await this.alarmBeforePendingWork();
    const out = this.transaction(() => {
      // Units of reservations past their TTL are free: give them too.
      this.expireDue(this.now());
      const out = this.debitFree(max, location);
      if (location !== null) this.setDebt(location, max - (out?.units.reduce((sum, part) => sum + part.qty, 0) ?? 0));
      return out;
    });
    return out;
  }

  /** The sale of `generation` is over: every free unit goes back now, and every unit that comes free later. */
  async cool(generation: number): Promise<{ transferId: string; units: Units } | null> {
    await this.alarmBeforePendingWork();
    const out = this.transaction(() => {
      this.expireDue(this.now());
      if (generation >= this.state().generation) this.putState({ generation, cooled: true });
      return this.debitFree(Number.POSITIVE_INFINITY, null);
    });
    return out;
  }

  /**
   * A cooled shard expires what is due and answers every give-back the SKU
   * object has not acknowledged, for it to apply now (by transfer id, once)
   * instead of at this shard's next alarm. The alarm still sends them, which
   * marks them done. A shard serving a sale answers none.
   */
  async cooledGiveBacks(): Promise<{ transferId: string; units: Units }[]> {
    if (!this.cooled()) return [];
    await this.alarmBeforePendingWork();
    this.expireDueNow();
    return this.db
      .select()
      .from(transfersOut)
      .where(eq(transfersOut.status, "pending"))
      .all()
      .map((row) => ({ transferId: row.id, units: row.allocations }));
  }

  /** Reservations this shard took at or after `since` (epoch ms): how busy the sale still is here. */
  async reservationsSince(since: number): Promise<number> {
    return this.db.select({ n: count() }).from(shardReservations).where(gte(shardReservations.createdAt, since)).get()!.n;
  }

  /** Free units and units held by reservations (active, or committed and not yet applied by the SKU object). */
  async holding(): Promise<ShardHolding> {
    this.expireDueNow();
    const held = [...this.held()].filter(([, qty]) => qty > 0).map(([location, qty]) => ({ location, qty }));
    return { shard: this.identity.shard, free: this.free(), held };
  }

  /** Expires what is due, sends what is pending (give-backs, commits), and tells the SKU object that units moved. */
  protected override async onAlarm(): Promise<number | null> {
    this.expireDueNow();
    let retry = false;
    await this.pushTransfers().catch(() => (retry = true));
    await this.reportCommits().catch(() => (retry = true));
    if (this.moved) {
      this.moved = false;
      await skuObject(this.env, this.identity.tenantId, this.identity.sku)
        .shardMoved()
        .catch(() => (retry = true));
    }
    const expiry = this.earliestExpiry();
    const next = retry ? this.now() + retryDelayMs : null;
    if (expiry === null) return next;
    return next === null ? expiry : Math.min(next, expiry);
  }

  /**
   * Sets the alarm before a write that leaves work pending (a give-back, a
   * commit to report): if the object dies right after the write, the alarm
   * still rings and finishes it. One that rings for nothing does no harm.
   */
  private async alarmBeforePendingWork(): Promise<void> {
    await this.wakeBy(this.now() + retryDelayMs);
  }

  protected override onRollback(): void {
    this.freeCache = undefined;
    this.heldCache = undefined;
    this.stateCache = undefined;
    this.debtCache = undefined;
  }

  private submit<T>(apply: () => T): Promise<T> {
    return this.commits.submit(apply) as Promise<T>;
  }

  private async afterGroupCommit(): Promise<void> {
    if (this.moved) await this.wakeBy(Math.min(this.now() + movedNoticeDelayMs, this.earliestExpiry() ?? Number.POSITIVE_INFINITY));
    else await this.wakeBy(this.earliestExpiry());
  }

  /**
   * The reservation if the shard can decide it now: a stored answer, a
   * grant from free units, or (when `final`) a refusal. null: borrow first.
   */
  private tryReserve(input: ShardReserveInput, idempotency: IdempotencyInput | undefined, final: boolean): Idempotent<ShardReservationResult> | NotHot | null {
    const now = this.now();
    this.expireDue(now);
    if (idempotency) {
      const stored = this.storedAnswer<ShardReservationResult>(idempotency);
      if (stored) return stored;
    }
    // A shard cooled by an earlier sale may serve a new one: it learns so when it borrows.
    if (this.cooled()) return final ? { ok: false, code: "not_hot" } : null;
    const free = this.freeIn(input.rules.locations);
    if (free < input.qty && !final) return null;
    return this.idempotent(idempotency, now, (): ShardReservationResult => {
      if (free < input.qty) return fail("insufficient_stock", `Requested ${input.qty}, ${free} available`, { requested: input.qty, available: free });
      const allocations = this.takeFree(input.rules.locations, input.qty);
      const row: ShardReservationRow = {
        id: shardReservationId(this.identity.shard, this.identity.channel),
        qty: input.qty,
        status: "active",
        reference: input.reference,
        allocations,
        createdAt: now,
        expiresAt: now + input.ttlSeconds * 1000,
        closedAt: null,
        reported: false,
      };
      this.db.insert(shardReservations).values(row).run();
      this.moveHeld(allocations, 1);
      this.moved = true;
      return { ok: true, reservation: this.toReservation(row) };
    });
  }

  private close(id: string, onlyChannel: string | null, status: "committed" | "released", idempotency?: IdempotencyInput): Promise<Idempotent<ShardReservationResult>> {
    return this.submit(() => {
      const now = this.now();
      this.expireDue(now);
      return this.idempotent(idempotency, now, (): ShardReservationResult => {
        const row = this.reservationRow(id);
        if (!row || (onlyChannel !== null && onlyChannel !== this.identity.channel)) return this.noReservation(id);
        if (row.status !== "active") return fail("reservation_not_active", `Reservation ${id} is ${row.status}`, { reservationStatus: row.status });
        return { ok: true, reservation: this.toReservation(this.closeRow(row, status, now)) };
      });
    });
  }

  /** Closes an active reservation: a release or an expiry frees its units here; a commit waits to be applied by the SKU object. */
  private closeRow(row: ShardReservationRow, status: "committed" | "released" | "expired", now: number): ShardReservationRow {
    this.db.update(shardReservations).set({ status, closedAt: now }).where(eq(shardReservations.id, row.id)).run();
    if (status !== "committed") {
      this.moveHeld(row.allocations, -1);
      this.addFree(row.allocations);
      if (this.cooled()) this.giveBackAll();
      else this.payDebts();
    }
    this.moved = true;
    return { ...row, status, closedAt: now };
  }

  /**
   * One report at a time: commits made while one is on its way share the
   * next, which reads every unreported commit when it starts (so it carries
   * every commit written before it). The SKU object then gets at most one
   * report per round trip from each shard, however many commits there are.
   */
  private reportCommitsSoon(): Promise<void> {
    if (this.nextReport) return this.nextReport;
    const report = this.reportChain.then(() => {
      this.nextReport = null;
      return this.reportCommits();
    });
    this.nextReport = report;
    this.reportChain = report.catch(() => undefined);
    return report;
  }

  /** Sends the SKU object every commit it has not applied yet, then marks them applied. */
  private async reportCommits(): Promise<void> {
    const pending = this.db.select().from(shardReservations).where(and(eq(shardReservations.status, "committed"), eq(shardReservations.reported, false))).all();
    if (pending.length === 0) return;
    const commits = pending.map((row) => ({ reservationId: row.id, reference: row.reference, units: row.allocations }));
    await skuObject(this.env, this.identity.tenantId, this.identity.sku).applyShardCommits(this.identity.channel, this.identity.shard, commits);
    this.transaction(() => {
      for (const row of pending) {
        // Another report may have marked it while this one was on its way.
        if (this.reservationRow(row.id)?.reported) continue;
        this.db.update(shardReservations).set({ reported: true }).where(eq(shardReservations.id, row.id)).run();
        this.moveHeld(row.allocations, -1);
      }
    });
  }

  /** Sends the SKU object every give-back it has not acknowledged yet. */
  private async pushTransfers(): Promise<void> {
    const pending = this.db.select().from(transfersOut).where(eq(transfersOut.status, "pending")).all();
    const sku = skuObject(this.env, this.identity.tenantId, this.identity.sku);
    for (const transfer of pending) {
      await sku.receiveFromShard(transfer.id, this.identity.channel, this.identity.shard, transfer.allocations);
      this.transaction(() => this.db.update(transfersOut).set({ status: "done" }).where(eq(transfersOut.id, transfer.id)).run());
    }
  }

  private async pushTransfersIfCooled(): Promise<void> {
    if (this.cooled()) await this.pushTransfers().catch(() => this.wakeBy(this.now() + retryDelayMs));
  }

  private debitFree(max: number, location: string | null): { transferId: string; units: Units } | null {
    const units: Units = [];
    let left = max;
    for (const here of this.free()) {
      if (left <= 0) break;
      if (location !== null && here.location !== location) continue;
      const qty = Math.min(here.qty, left);
      if (qty <= 0) continue;
      units.push({ location: here.location, qty });
      left -= qty;
    }
    if (units.length === 0) return null;
    this.subtractFree(units);
    const transferId = newId("trb");
    this.db.insert(transfersOut).values({ id: transferId, allocations: units, status: "pending", at: this.now() }).run();
    this.moved = true;
    return { transferId, units };
  }

  /** The SKU object says the channel is hot in sale `generation`: a shard cooled by an earlier sale serves it. */
  private joinSale(generation: number): void {
    const state = this.state();
    if (generation > state.generation) this.transaction(() => this.putState({ generation, cooled: false }));
  }

  /** Gives back units free at locations where the shard owes units, up to what it owes. */
  private payDebts(): void {
    for (const [location, owed] of this.debts()) {
      if (owed <= 0) continue;
      const paid = this.debitFree(owed, location)?.units.reduce((sum, part) => sum + part.qty, 0) ?? 0;
      if (paid > 0) this.setDebt(location, owed - paid);
    }
  }

  private debts(): Map<string, number> {
    if (!this.debtCache) this.debtCache = new Map(this.db.select().from(debts).all().filter((row) => row.qty > 0).map((row) => [row.location, row.qty]));
    return this.debtCache;
  }

  private setDebt(location: string, qty: number): void {
    const owed = Math.max(0, qty);
    if (owed === (this.debts().get(location) ?? 0)) return;
    this.db.insert(debts).values({ location, qty: owed }).onConflictDoUpdate({ target: debts.location, set: { qty: owed } }).run();
    if (owed > 0) this.debtCache!.set(location, owed);
    else this.debtCache!.delete(location);
  }

  private giveBackAll(): void {
    this.debitFree(Number.POSITIVE_INFINITY, null);
  }

  /** Takes `qty` free units from the pool's locations in priority order; the caller has checked there are that many. */
  private takeFree(locations: string[], qty: number): Units {
    const byLocation = new Map(this.free().map((here) => [here.location, here.qty]));
    const taken: Units = [];
    let left = qty;
    for (const location of locations) {
      if (left === 0) break;
      const take = Math.min(byLocation.get(location) ?? 0, left);
      if (take > 0) {
        taken.push({ location, qty: take });
        left -= take;
      }
    }
    this.subtractFree(taken);
    return taken;
  }

  private free(): Units {
    if (!this.freeCache) this.freeCache = new Map(this.db.select().from(freeUnits).orderBy(asc(freeUnits.location)).all().map((row) => [row.location, row.qty]));
    return [...this.freeCache].filter(([, qty]) => qty > 0).map(([location, qty]) => ({ location, qty }));
  }

  /** Units held per location by active reservations and by commits the SKU object has not applied yet. */
  private held(): Map<string, number> {
    if (!this.heldCache) {
      this.heldCache = new Map();
      const rows = this.db.select().from(shardReservations).where(eq(shardReservations.reported, false)).all();
      for (const row of rows) if (row.status === "active" || row.status === "committed") this.moveHeld(row.allocations, 1);
    }
    return this.heldCache;
  }

  private moveHeld(units: Units, sign: 1 | -1): void {
    const held = this.heldCache;
    if (!held) return;
    for (const { location, qty } of units) held.set(location, (held.get(location) ?? 0) + sign * qty);
  }

  private freeIn(locations: string[]): number {
    const pool = new Set(locations);
    return this.free().reduce((sum, here) => sum + (pool.has(here.location) ? here.qty : 0), 0);
  }

  private addFree(units: Units): void {
    this.free();
    for (const { location, qty } of units) {
      const next = (this.freeCache!.get(location) ?? 0) + qty;
      this.db.insert(freeUnits).values({ location, qty: next }).onConflictDoUpdate({ target: freeUnits.location, set: { qty: next } }).run();
      this.freeCache!.set(location, next);
    }
  }

  private subtractFree(units: Units): void {
    this.addFree(units.map(({ location, qty }) => ({ location, qty: -qty })));
  }

  private state(): { generation: number; cooled: boolean } {
    if (!this.stateCache) {
      const row = this.db.select().from(shardState).where(eq(shardState.id, 1)).get();
      this.stateCache = row ? { generation: row.generation, cooled: row.cooled } : { generation: 0, cooled: false };
    }
    return this.stateCache;
  }

  private putState(state: { generation: number; cooled: boolean }): void {
    this.db.insert(shardState).values({ id: 1, ...state }).onConflictDoUpdate({ target: shardState.id, set: state }).run();
    this.stateCache = { ...state };
  }

  private cooled(): boolean {
    return this.state().cooled;
  }

  private reservationRow(id: string): ShardReservationRow | undefined {
    return this.db.select().from(shardReservations).where(eq(shardReservations.id, id)).get();
  }

  private expireDueNow(): void {
    const expiry = this.earliestExpiry();
    if (expiry === null || expiry > this.now()) return;
    this.transaction(() => this.expireDue(this.now()));
  }

  private expireDue(now: number): void {
    const due = this.db
      .select()
      .from(shardReservations)
      .where(and(eq(shardReservations.status, "active"), lte(shardReservations.expiresAt, now)))
      .all();
    for (const row of due) this.closeRow(row, "expired", now);
  }

  private earliestExpiry(): number | null {
    return this.db.select({ at: min(shardReservations.expiresAt) }).from(shardReservations).where(eq(shardReservations.status, "active")).get()?.at ?? null;
  }

  private noReservation(id: string) {
    return fail("not_found", `No reservation ${id} for SKU ${this.identity.sku}`);
  }

  private toReservation(row: ShardReservationRow): Reservation {
    return toReservation(this.identity.sku, { ...row, channel: this.identity.channel });
  }
}
