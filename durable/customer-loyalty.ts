// Over 400 lines on purpose: a Durable Object's RPC methods must be members of its class, and this is the one
// object per customer whose single writer is what makes "never spent twice" true. Each method is one SQLite
// transaction over the same lots, holds and ledger; splitting them would pass that state between modules.
// Pure arithmetic on takes lives in loyalty-takes.ts, the POS side in store-loyalty.ts.
import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import { fail, type Result } from "../shared/errors.ts";
import { newId } from "../shared/ids.ts";
import { proRata } from "../shared/money.ts";
import type { LoyaltyAccount, LoyaltyEntryType, LoyaltyHold, LoyaltySourceKind, Redemption } from "../shared/schemas/loyalty.ts";
import type { Idempotent, IdempotencyInput } from "./idempotency.ts";
import { prepareLoyaltyStatements } from "./customer-loyalty-statements.ts";
import migrations from "./migrations/customer-loyalty/migrations.js";
import { parseName, type CustomerIdentity } from "./objects.ts";
import { seqPage } from "./paging.ts";
import * as schema from "./schema/customer-loyalty.ts";
import type { LotTake } from "./schema/customer-loyalty.ts";
import { pointsBetween } from "./loyalty-takes.ts";
import { ShelfsyncObject } from "./shelfsync-object.ts";
import { singleRow } from "./single-row.ts";

const { lots, holds, redemptions, entries } = schema;

type LotRow = typeof lots.$inferSelect;
type HoldRow = typeof holds.$inferSelect;
type RedemptionRow = typeof redemptions.$inferSelect;

/** Where points came from or went: the kind of source and its reference (an order, a POS transaction, a return). */
export interface LoyaltySource {
  source: LoyaltySourceKind;
  reference: string;
  /**
   * The key derived from the source (e.g. `pos:<store>:<transaction>:earn`):
   * the same key applies once, for ever, and answers what it answered first.
   */
  sourceKey?: string;
}

export interface EarnInput extends LoyaltySource {
  points: number;
  lifetimeMs: number;
}

export interface HoldInput {
  points: number;
  reference: string;
  ttlMs: number;
}

export interface RedeemInput extends LoyaltySource {
  points: number;
  holdId?: string;
  /**
   * Spend what is available up to `points` rather than refuse: a sale the
   * store already completed offline (the answer says how many were spent).
   * With a hold: all of it, then what is available beyond it.
   */
  upTo?: boolean;
}

/** How much to undo: a number of points, or a share of what the earning or redemption moved (rounded down). */
export type ReversalAmount = { points: number } | { part: number; whole: number };

export type ReverseEarningInput = LoyaltySource &
  ReversalAmount & { allowNegative: boolean } & (
    | {
        /** The source key of the earning to undo. */
        earningKey: string;
      }
    | {
        /** Every earning whose source key starts so (an order's, one per fulfilment), undone together, the earliest first. */
        earningKeyPrefix: string;
      }
  );

/** The redemption by its id, or by the source key it was made under (none there: nothing to give back). */
export type ReverseRedemptionInput = LoyaltySource & ReversalAmount & ({ redemptionId: string } | { redemptionKey: string });

export type EarnResult = Result<{ lot: string | null; points: number }>;
export type HoldResult = Result<{ hold: LoyaltyHold }>;
export type RedeemResult = Result<{ redemption: Redemption }>;
/** reversed: points taken off the customer; shortfall: points the customer no longer had and the programme did not let the balance owe. */
export type ReverseEarningResult = Result<{ reversed: number; owed: number; shortfall: number }>;
/** returned: points given back; expired: of those, points whose lot had expired meanwhile, which lapse at once. */
export type ReverseRedemptionResult = Result<{ returned: number; expired: number }>;

/**
 * One effect of a store's POS transactions on the customer's points, for
 * `applyPosEffects`. A `redeem` is a sale the till already completed: its
 * points are spent from its hold while that stands, else from what is there.
 */
export type PosEffect =
  | ({ kind: "earn" } & EarnInput)
  | ({ kind: "redeem" } & RedeemInput)
  | ({ kind: "reverseEarning" } & ReverseEarningInput)
  | ({ kind: "reverseRedemption" } & ReverseRedemptionInput);

/** What each effect answered, as `earn`, `redeem`, `reverseEarning` and `reverseRedemption` answer. */
export type PosEffectResult = EarnResult | RedeemResult | ReverseEarningResult | ReverseRedemptionResult;

/**
 * One customer's points (docs/decisions/0038), named `<tenant>/<customer>`:
 * every earning, hold, redemption, reversal and expiry of that customer runs
 * here, one at a time, so two redemptions can never spend the same points.
 *
 * Points are kept in lots, each with its own expiry; spending takes the
 * soonest-expiring lot first. A hold locks points in particular lots
 * (`held`), so a redemption from a hold spends exactly what was locked; a
 * reversal of a redemption gives points back to the lots they came from,
 * and those whose lot has expired meanwhile lapse at once.
 *
 * balance = Σ lots' remaining − debt; held = Σ lots' held; available =
 * balance − held. Every change is a ledger entry, so the ledger sums to the
 * balance and to the points held.
 */
export class CustomerLoyalty extends ShelfsyncObject<typeof schema, CustomerIdentity> {
  private readonly debt = singleRow(this.db, schema.account);
  private readonly statements = prepareLoyaltyStatements(this.db);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, { schema, migrations, identity: parseName.customer });
  }

  /** Adds a lot of `points` expiring after `lifetimeMs`; points owed by an earlier reversal are paid from it first. */
  async earn(input: EarnInput): Promise<EarnResult> {
    return this.onceBySource(input.sourceKey, (now) => this.earnNow(input, now)).then((result) => this.afterWrite(result));
  }

  /**
   * Applies a store hand-off's effects on this customer in the order given,
   * in one transaction, each once by its source key as the single methods
   * do (a key applied before answers what it answered then), and answers
   * each one's result in that order. One call instead of one per effect: the
   * calls, not the points, were most of a POS sale's loyalty cost
   * (docs/benchmarks.md, "Earn through store replay").
   */
  async applyPosEffects(effects: PosEffect[]): Promise<PosEffectResult[]> {
    const results = this.transaction(() => effects.map((effect) => this.applyPosEffect(effect, this.now())));
    return this.afterWrite(results);
  }

  /** Locks `points` of the available points, soonest-expiring first, until redeemed, released or past `ttlMs`. */
  async hold(input: HoldInput, idempotency?: IdempotencyInput): Promise<Idempotent<HoldResult>> {
    const result = await this.idempotentTransaction(idempotency, (now): HoldResult => {
      this.expireDue(now);
      const available = this.available();
      if (input.points > available) return insufficient(input.points, available);
      const takes = this.takeAvailable(input.points);
      for (const take of takes) this.moveLot(take.lot, 0, take.points);
      const row: HoldRow = { id: newId("hld"), points: input.points, status: "active", reference: input.reference, takes, createdAt: now, expiresAt: now + input.ttlMs, closedAt: null };
      this.db.insert(holds).values(row).run();
      this.record(now, "hold", 0, input.points, { source: "manual", reference: input.reference }, row.id);
      return { ok: true, hold: this.holdView(row) };
    });
    return this.afterWrite(result);
  }

  /** Ends an active hold unspent: its points are available again (those of a lot that expired meanwhile lapse). */
  async releaseHold(holdId: string, idempotency?: IdempotencyInput): Promise<Idempotent<HoldResult>> {
    const result = await this.idempotentTransaction(idempotency, (now): HoldResult => {
      this.expireDue(now);
      const row = this.holdRow(holdId);
      if (!row) return fail("not_found", `No hold ${holdId} for customer ${this.identity.customerId}`);
      if (row.status !== "active") return fail("hold_not_active", `Hold ${holdId} is ${row.status}`, { status: row.status });
      return { ok: true, hold: this.holdView(this.closeHold(row, "released", now)) };
    });
    return this.afterWrite(result);
  }

  /**
   * Spends `points`: from an active hold (at most what it holds; the rest of
   * it is released), or from the available points, soonest-expiring first.
   */
  async redeem(input: RedeemInput, idempotency?: IdempotencyInput): Promise<Idempotent<RedeemResult>> {
    const result = await this.idempotentTransaction(idempotency, (now) => this.onceBySourceSync(input.sourceKey, now, () => this.redeemNow(input, now)));
    return this.afterWrite(result);
  }

  /**
   * Undoes up to `points` of an earning, or of an order's earnings together
   * (a return of the lines that earned them): from the earnings' own lots
   * while they have them, then from the other available points. Points of a
   * lot that expired are not taken again.
   * What the customer no longer has is owed (balance below zero) if the
   * programme allows it, else answered as `shortfall` for an exception.
   */
  async reverseEarning(input: ReverseEarningInput): Promise<ReverseEarningResult> {
    return this.onceBySource(input.sourceKey, (now) => this.reverseEarningNow(input, now)).then((result) => this.afterWrite(result));
  }

  /** Gives back up to `points` of a redemption, to the lots they came from (latest taken first). */
  async reverseRedemption(input: ReverseRedemptionInput): Promise<ReverseRedemptionResult> {
    return this.onceBySource(input.sourceKey, (now) => this.reverseRedemptionNow(input, now)).then((result) => this.afterWrite(result));
  }

  /** A manual correction: positive adds a lot, negative spends from the available points. */
  async adjust(input: { points: number; reason: string; lifetimeMs: number }, idempotency?: IdempotencyInput): Promise<Idempotent<Result<{ points: number }>>> {
    const result = await this.idempotentTransaction(idempotency, (now): Result<{ points: number }> => {
      this.expireDue(now);
      const source = { source: "manual" as const, reference: input.reason };
      if (input.points > 0) {
        this.addLot(input.points, now, input.lifetimeMs, input.reason, null);
        this.record(now, "adjust", input.points, 0, source);
        this.payDebt();
      } else {
        const available = this.available();
        if (-input.points > available) return insufficient(-input.points, available);
        for (const take of this.takeAvailable(-input.points)) this.moveLot(take.lot, -take.points, 0);
        this.record(now, "adjust", input.points, 0, source);
      }
      return { ok: true, points: input.points };
    });
    return this.afterWrite(result);
  }

  /** Balance, held, lots with points left, active holds, and a page of the ledger after `after`. */
  async account(after: number, limit: number): Promise<LoyaltyAccount> {
    this.expireDueNow();
    const lotRows = this.db.select().from(lots).where(gt(lots.remaining, 0)).orderBy(asc(lots.expiresAt), asc(lots.id)).all();
    const balance = lotRows.reduce((sum, lot) => sum + lot.remaining, 0) - this.currentDebt();
    const held = lotRows.reduce((sum, lot) => sum + lot.held, 0);
    const page = seqPage(this.db.select().from(entries).where(gt(entries.seq, after)).orderBy(asc(entries.seq)).limit(limit + 1).all(), limit);
    return {
      customerId: this.identity.customerId,
      balance,
      held,
      available: balance - held,
      lots: lotRows.map((lot) => ({
        id: lot.id,
        earned: lot.earned,
        remaining: lot.remaining,
        held: lot.held,
        earnedAt: iso(lot.earnedAt),
        expiresAt: iso(lot.expiresAt),
        expired: lot.expired,
        reference: lot.reference,
      })),
      holds: this.db.select().from(holds).where(eq(holds.status, "active")).orderBy(asc(holds.createdAt)).all().map((row) => this.holdView(row)),
      ledger: {
        entries: page.page.map((row) => ({ ...row, at: iso(row.at) })),
        nextCursor: page.nextCursor,
      },
    };
  }

  async getHold(holdId: string): Promise<LoyaltyHold | null> {
    this.expireDueNow();
    const row = this.holdRow(holdId);
    return row ? this.holdView(row) : null;
  }

  protected override async onAlarm(): Promise<number | null> {
    this.expireDueNow();
    return this.nextExpiry();
  }

  private earnNow(input: EarnInput, now: number): EarnResult {
    const lot = this.addLot(input.points, now, input.lifetimeMs, input.reference, input.sourceKey ?? null);
    this.record(now, "earn", input.points, 0, input);
    this.payDebt();
    return { ok: true, lot, points: input.points };
  }

  private redeemNow(input: RedeemInput, now: number): RedeemResult {
    this.expireDue(now);
    let takes: LotTake;
    let heldDelta = 0;
    if (input.holdId !== undefined) {
      const row = this.holdRow(input.holdId);
      if (!row) return fail("not_found", `No hold ${input.holdId} for customer ${this.identity.customerId}`);
      if (row.status !== "active") return fail("hold_not_active", `Hold ${input.holdId} is ${row.status}`, { status: row.status });
      if (input.points > row.points && !input.upTo) return fail("points_exceed_hold", `Hold ${input.holdId} holds ${row.points} points, not ${input.points}`, { held: row.points });
      takes = pointsBetween(row.takes, 0, input.points);
      heldDelta = -row.points;
      this.closeHold(row, "redeemed", now, takes);
      // A sale the till completed spent more than its hold: the rest comes from what is available.
      const more = Math.min(input.points - row.points, this.available());
      if (more > 0) takes = [...takes, ...this.takeAvailable(more)];
    } else {
      const available = this.available();
      const points = input.upTo ? Math.min(input.points, Math.max(0, available)) : input.points;
      if (points > available || points === 0) return insufficient(input.points, available);
      takes = this.takeAvailable(points);
    }
    const points = takes.reduce((sum, take) => sum + take.points, 0);
    for (const take of takes) this.moveLot(take.lot, -take.points, 0);
    const row: RedemptionRow = { id: newId("rdm"), points, reference: input.reference, holdId: input.holdId ?? null, takes, reversed: 0, at: now };
    this.db.insert(redemptions).values(row).run();
    this.record(now, "redeem", -points, heldDelta, input, row.holdId);
    return { ok: true, redemption: this.redemptionView(row) };
  }

  private reverseEarningNow(input: ReverseEarningInput, now: number): ReverseEarningResult {
    this.expireDue(now);
    const earnings =
      "earningKey" in input
        ? this.db.select().from(lots).where(eq(lots.sourceKey, input.earningKey)).all()
        : this.db.select().from(lots).where(sql`substr(${lots.sourceKey}, 1, ${input.earningKeyPrefix.length}) = ${input.earningKeyPrefix}`).orderBy(asc(lots.id)).all();
    if (earnings.length === 0) return fail("not_found", `No earning ${"earningKey" in input ? input.earningKey : `${input.earningKeyPrefix}…`} for customer ${this.identity.customerId}`);
    const undoable = (lot: LotRow) => lot.earned - lot.expiredPoints - lot.reversed;
    const due = Math.min(pointsOf(input, earnings.reduce((sum, lot) => sum + lot.earned, 0)), earnings.reduce((sum, lot) => sum + undoable(lot), 0));
    if (due <= 0) return { ok: true, reversed: 0, owed: 0, shortfall: 0 };
    let own = 0;
    let left = due;
    for (const lot of earnings) {
      const share = Math.min(left, undoable(lot));
      if (share <= 0) continue;
      left -= share;
      this.db.update(lots).set({ reversed: sql`${lots.reversed} + ${share}` }).where(eq(lots.id, lot.id)).run();
      const fromLot = lot.expired ? 0 : Math.min(share, lot.remaining - lot.held);
      if (fromLot > 0) this.moveLot(lot.id, -fromLot, 0);
      own += fromLot;
    }
    // available is below zero while points are owed: then nothing is taken from other lots.
    const others = Math.max(0, Math.min(due - own, this.available()));
    for (const take of others > 0 ? this.takeAvailable(others) : []) this.moveLot(take.lot, -take.points, 0);
    const missing = due - own - others;
    const owed = input.allowNegative ? missing : 0;
    if (owed > 0) this.debt.put({ debt: this.currentDebt() + owed });
    const reversed = own + others + owed;
    if (reversed > 0) this.record(now, "reverse", -reversed, 0, input);
    return { ok: true, reversed, owed, shortfall: missing - owed };
  }

  private reverseRedemptionNow(input: ReverseRedemptionInput, now: number): ReverseRedemptionResult {
    this.expireDue(now);
    const id = "redemptionId" in input ? input.redemptionId : this.redemptionUnder(input.redemptionKey);
    if (id === null) return { ok: true, returned: 0, expired: 0 };
    const row = this.db.select().from(redemptions).where(eq(redemptions.id, id)).get();
    if (!row) return fail("not_found", `No redemption ${id} for customer ${this.identity.customerId}`);
    const points = Math.min(pointsOf(input, row.points), row.points - row.reversed);
    if (points <= 0) return { ok: true, returned: 0, expired: 0 };
    this.db.update(redemptions).set({ reversed: row.reversed + points }).where(eq(redemptions.id, row.id)).run();
    // Reversals give back the last points taken first: the ones before this came off the end.
    let expired = 0;
    for (const take of pointsBetween([...row.takes].reverse(), row.reversed, row.reversed + points)) {
      const lot = this.lotRow(take.lot)!;
      if (lot.expired) {
        expired += take.points;
        this.db.update(lots).set({ expiredPoints: sql`${lots.expiredPoints} + ${take.points}` }).where(eq(lots.id, lot.id)).run();
      } else {
        this.moveLot(lot.id, take.points, 0);
      }
    }
    this.record(now, "reverse", points, 0, input);
    if (expired > 0) this.record(now, "expire", -expired, 0, input);
    this.payDebt();
    return { ok: true, returned: points, expired };
  }

  private applyPosEffect(effect: PosEffect, now: number): PosEffectResult {
    switch (effect.kind) {
      case "earn":
        return this.onceBySourceSync(effect.sourceKey, now, () => this.earnNow(effect, now));
      case "redeem": {
        const fromHold = this.onceBySourceSync(effect.sourceKey, now, () => this.redeemNow(effect, now));
        // A hold that ended or is unknown: the sale happened, so its points come from what there is (a refusal is not remembered).
        if (fromHold.ok || effect.holdId === undefined || (fromHold.code !== "hold_not_active" && fromHold.code !== "not_found")) return fromHold;
        const { holdId: _ended, ...withoutHold } = effect;
        return this.onceBySourceSync(effect.sourceKey, now, () => this.redeemNow(withoutHold, now));
      }
      case "reverseEarning":
        return this.onceBySourceSync(effect.sourceKey, now, () => this.reverseEarningNow(effect, now));
      case "reverseRedemption":
        return this.onceBySourceSync(effect.sourceKey, now, () => this.reverseRedemptionNow(effect, now));
    }
  }

  private async afterWrite<T>(result: T): Promise<T> {
    await this.wakeBy(this.nextExpiry());
    return result;
  }

  /** Runs `apply` in a transaction once per source key; a key seen before answers what it answered first. */
  private async onceBySource<T extends Result<object>>(sourceKey: string | undefined, apply: (now: number) => T): Promise<T> {
    const now = this.now();
    return this.transaction(() => this.onceBySourceSync(sourceKey, now, () => apply(now)));
  }

  private onceBySourceSync<T extends Result<object>>(sourceKey: string | undefined, now: number, apply: () => T): T {
    if (sourceKey !== undefined) {
      const seen = this.statements.sourceByKey.get({ key: sourceKey });
      if (seen) return seen.outcome as T;
    }
    const outcome = apply();
    // A refusal is not remembered: the same source may succeed once the customer has the points.
    if (sourceKey !== undefined && outcome.ok) this.statements.insertSource.run({ key: sourceKey, outcome, at: now });
    return outcome;
  }

  /** The id of the redemption made under `sourceKey`, or null when none was. */
  private redemptionUnder(sourceKey: string): string | null {
    const seen = this.statements.sourceByKey.get({ key: sourceKey });
    return (seen?.outcome as RedeemResult | undefined)?.ok ? (seen!.outcome as { redemption: Redemption }).redemption.id : null;
  }

  private addLot(points: number, now: number, lifetimeMs: number, reference: string, sourceKey: string | null): string {
    const id = newId("lot");
    this.statements.insertLot.run({ id, earned: points, remaining: points, held: 0, expiredPoints: 0, reversed: 0, earnedAt: now, expiresAt: now + lifetimeMs, expired: false, reference, sourceKey });
    return id;
  }

  /** Points owed by a reversal are paid from the available points as soon as there are any. */
  private payDebt(): void {
    const owed = this.currentDebt();
    if (owed === 0) return;
    const pay = Math.min(owed, Math.max(0, this.availableInLots()));
    if (pay === 0) return;
    for (const take of this.takeAvailable(pay)) this.moveLot(take.lot, -take.points, 0);
    this.debt.put({ debt: owed - pay });
  }

  private currentDebt(): number {
    return this.statements.debt.get()?.debt ?? 0;
  }

  /** What a new hold or redemption may take: balance − held. */
  private available(): number {
    return this.availableInLots() - this.currentDebt();
  }

  private availableInLots(): number {
    const row = this.db
      .select({ free: sql<number>`coalesce(sum(${lots.remaining} - ${lots.held}), 0)` })
      .from(lots)
      .where(eq(lots.expired, false))
      .get();
    return row?.free ?? 0;
  }

  /** `points` of the unheld points of unexpired lots, soonest expiry first; the caller has checked there are that many. */
  private takeAvailable(points: number): LotTake {
    const takes: LotTake = [];
    let left = points;
    const open = this.db
      .select()
      .from(lots)
      .where(and(eq(lots.expired, false), gt(sql`${lots.remaining} - ${lots.held}`, 0)))
      .orderBy(asc(lots.expiresAt), asc(lots.earnedAt), asc(lots.id))
      .all();
    for (const lot of open) {
      if (left === 0) break;
      const take = Math.min(left, lot.remaining - lot.held);
      takes.push({ lot: lot.id, points: take });
      left -= take;
    }
    if (left > 0) throw new Error(`took ${points - left} of ${points} points: the caller did not check what is available`);
    return takes;
  }

  private moveLot(id: string, remainingDelta: number, heldDelta: number): void {
    this.statements.moveLot.run({ id, remainingDelta, heldDelta });
  }

  /** Closes a hold: its points are no longer held; those not spent (`spent`) are free again, or lapse with an expired lot. */
  private closeHold(row: HoldRow, status: "redeemed" | "released" | "expired", now: number, spent: LotTake = []): HoldRow {
    let lapsed = 0;
    for (const take of row.takes) {
      this.moveLot(take.lot, 0, -take.points);
      const unspent = take.points - (spent.find((part) => part.lot === take.lot)?.points ?? 0);
      const lot = this.lotRow(take.lot)!;
      if (unspent > 0 && lot.expired) {
        this.db
          .update(lots)
          .set({ remaining: sql`${lots.remaining} - ${unspent}`, expiredPoints: sql`${lots.expiredPoints} + ${unspent}` })
          .where(eq(lots.id, lot.id))
          .run();
        lapsed += unspent;
      }
    }
    const closed: HoldRow = { ...row, status, closedAt: now };
    this.db.update(holds).set({ status, closedAt: now }).where(eq(holds.id, row.id)).run();
    // A redemption records its own entry, with the points it spent and the hold's points no longer held.
    if (status !== "redeemed") this.record(now, "release", 0, -row.points, { source: "manual", reference: row.reference }, row.id);
    if (lapsed > 0) this.record(now, "expire", -lapsed, 0, { source: "manual", reference: row.reference }, row.id);
    return closed;
  }

  private expireDueNow(): void {
    const next = this.nextExpiry();
    if (next === null || next > this.now()) return;
    this.transaction(() => this.expireDue(this.now()));
  }

  /** Holds past their TTL end unspent; lots past their expiry lose their unheld points (held ones lapse when their hold ends unspent). */
  private expireDue(now: number): void {
    for (const row of this.db.select().from(holds).where(and(eq(holds.status, "active"), lte(holds.expiresAt, now))).all()) this.closeHold(row, "expired", now);
    for (const lot of this.db.select().from(lots).where(and(eq(lots.expired, false), lte(lots.expiresAt, now))).orderBy(asc(lots.expiresAt)).all()) {
      const lapsing = lot.remaining - lot.held;
      this.db
        .update(lots)
        .set({ expired: true, remaining: lot.held, expiredPoints: lot.expiredPoints + lapsing })
        .where(eq(lots.id, lot.id))
        .run();
      if (lapsing > 0) this.record(lot.expiresAt, "expire", -lapsing, 0, { source: "manual", reference: lot.reference });
    }
  }

  private nextExpiry(): number | null {
    // Spent lots too: a reversal may give points back to one, which must then find it expired.
    const lot = this.statements.nextLotExpiry.get()?.at ?? null;
    const hold = this.statements.nextHoldExpiry.get()?.at ?? null;
    if (lot === null) return hold;
    if (hold === null) return lot;
    return Math.min(lot, hold);
  }

  private record(at: number, type: LoyaltyEntryType, balanceDelta: number, heldDelta: number, source: LoyaltySource, holdId: string | null = null): void {
    this.statements.insertEntry.run({ type, balanceDelta, heldDelta, source: source.source, reference: source.reference, holdId, at });
  }

  private holdRow(id: string): HoldRow | undefined {
    return this.db.select().from(holds).where(eq(holds.id, id)).get();
  }

  private lotRow(id: string): LotRow | undefined {
    return this.db.select().from(lots).where(eq(lots.id, id)).get();
  }

  private holdView(row: HoldRow): LoyaltyHold {
    return {
      id: row.id,
      customerId: this.identity.customerId,
      points: row.points,
      status: row.status,
      reference: row.reference,
      createdAt: iso(row.createdAt),
      expiresAt: iso(row.expiresAt),
      closedAt: row.closedAt === null ? null : iso(row.closedAt),
    };
  }

  private redemptionView(row: RedemptionRow): Redemption {
    return { id: row.id, customerId: this.identity.customerId, points: row.points, reference: row.reference, holdId: row.holdId, at: iso(row.at) };
  }
}

function pointsOf(amount: ReversalAmount, moved: number): number {
  return "points" in amount ? amount.points : proRata(moved, amount.part, amount.whole);
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function insufficient(points: number, available: number) {
  return fail("insufficient_points", `${points} points asked, ${Math.max(0, available)} available`, { available: Math.max(0, available) });
}
