import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PosEffect, PosEffectResult } from "../durable/customer-loyalty.ts";
import { customerLoyalty } from "../durable/objects.ts";
import { unique } from "./api.ts";

/**
 * CustomerLoyalty.applyPosEffects, the store hand-off's one call per
 * customer: the same answers and the same stored points and ledger as the
 * single methods called one by one, in order; each effect once by its
 * source key, however often the batch (or part of it) comes again.
 */

const day = 24 * 60 * 60 * 1000;
const lifetimeMs = 365 * day;

type Stub = ReturnType<typeof customerLoyalty>;

const pos = (transactionId: string, effect: string) => ({ source: "pos" as const, reference: transactionId, sourceKey: `pos:store-a:${transactionId}:${effect}` });
const back = (transactionId: string, effect: string) => ({ ...pos(transactionId, effect), source: "return" as const });

/** A customer with 50 points by adjustment and a hold of 30 of them, as a till's look-up makes. */
async function seeded(): Promise<{ stub: Stub; holdId: string; endedHoldId: string }> {
  const stub = customerLoyalty(env, unique("t"), unique("cust"));
  await stub.adjust({ points: 50, reason: "seed", lifetimeMs });
  const hold = await stub.hold({ points: 30, reference: "till-lookup", ttlMs: 60_000 });
  const ended = await stub.hold({ points: 5, reference: "till-lookup", ttlMs: 60_000 });
  if (!hold.outcome.ok || !ended.outcome.ok) throw new Error("seed holds refused");
  await stub.releaseHold(ended.outcome.hold.id);
  return { stub, holdId: hold.outcome.hold.id, endedHoldId: ended.outcome.hold.id };
}

/**
 * A day at the till for one customer, in the store's order: a sale spending its hold and earning, a sale
 * whose hold had ended, a sale spending more than is there, a return of part of the first sale (its
 * earning and its redemption), and a void of the second.
 */
function day1(holdId: string, endedHoldId: string): PosEffect[] {
  return [
    { kind: "redeem", ...pos("s1", "redeem"), points: 30, holdId, upTo: true },
    { kind: "earn", ...pos("s1", "earn"), points: 99, lifetimeMs },
    { kind: "redeem", ...pos("s2", "redeem"), points: 10, holdId: endedHoldId, upTo: true },
    { kind: "earn", ...pos("s2", "earn"), points: 19, lifetimeMs },
    { kind: "redeem", ...pos("s3", "redeem"), points: 500, upTo: true },
    { kind: "reverseEarning", ...back("r1", "reverse-earn"), earningKey: pos("s1", "earn").sourceKey, part: 2, whole: 5, allowNegative: false },
    { kind: "reverseRedemption", ...back("r1", "reverse-redeem"), redemptionKey: pos("s1", "redeem").sourceKey, part: 2, whole: 5 },
    { kind: "reverseEarning", ...back("v2", "reverse-earn"), earningKey: pos("s2", "earn").sourceKey, part: 1, whole: 1, allowNegative: false },
    { kind: "reverseEarning", ...back("r9", "reverse-earn"), earningKey: pos("never", "earn").sourceKey, part: 1, whole: 1, allowNegative: false },
  ];
}

/** The single methods, one call per effect, as the hand-off called them before the batch. */
async function oneByOne(stub: Stub, effects: PosEffect[]): Promise<PosEffectResult[]> {
  const results: PosEffectResult[] = [];
  for (const { kind, ...input } of effects) {
    if (kind === "earn") results.push(await stub.earn(input as Extract<PosEffect, { kind: "earn" }>));
    if (kind === "reverseEarning") results.push(await stub.reverseEarning(input as Extract<PosEffect, { kind: "reverseEarning" }>));
    if (kind === "reverseRedemption") results.push(await stub.reverseRedemption(input as Extract<PosEffect, { kind: "reverseRedemption" }>));
    if (kind === "redeem") {
      const redeem = input as Extract<PosEffect, { kind: "redeem" }>;
      let { outcome } = await stub.redeem(redeem);
      if (!outcome.ok && redeem.holdId !== undefined && (outcome.code === "hold_not_active" || outcome.code === "not_found")) {
        const { holdId: _ended, ...withoutHold } = redeem;
        ({ outcome } = await stub.redeem(withoutHold));
      }
      results.push(outcome as PosEffectResult);
    }
  }
  return results;
}

/** What the results and the stored state say, without the ids and times each run makes anew. */
async function stateOf(stub: Stub, results: PosEffectResult[]) {
  const account = await stub.account(0, 500);
  return {
    results: results.map((result) => {
      if (!result.ok) return { ok: false, code: result.code };
      if ("redemption" in result) return { ok: true, points: result.redemption.points };
      return "lot" in result ? { ok: true, points: result.points } : result;
    }),
    balance: account.balance,
    held: account.held,
    lots: account.lots.map((lot) => ({ earned: lot.earned, remaining: lot.remaining, held: lot.held })),
    holds: account.holds.length,
    ledger: account.ledger.entries.map((entry) => [entry.type, entry.balanceDelta, entry.heldDelta, entry.reference]),
  };
}

describe("a store hand-off's effects on one customer in one call", () => {
  it("answers and stores what the single methods called in order would", async () => {
    const batch = await seeded();
    const single = await seeded();
    const batched = await stateOf(batch.stub, await batch.stub.applyPosEffects(day1(batch.holdId, batch.endedHoldId)));
    const separately = await stateOf(single.stub, await oneByOne(single.stub, day1(single.holdId, single.endedHoldId)));
    expect(batched).toEqual(separately);
    // 50 seeded; s1 spends its hold of 30 and earns 99; s2's hold had ended: 10 from what is there, earns 19;
    // s3 spends all 128 there is of 500; r1 takes back 2/5 of 99 (39, none left: a shortfall) and gives back 12 of 30;
    // v2 takes back s2's 19 (12 there, 7 short); r9 returns a sale that earned nothing.
    expect(batched.results).toEqual([
      { ok: true, points: 30 },
      { ok: true, points: 99 },
      { ok: true, points: 10 },
      { ok: true, points: 19 },
      { ok: true, points: 128 },
      { ok: true, reversed: 0, owed: 0, shortfall: 39 },
      { ok: true, returned: 12, expired: 0 },
      { ok: true, reversed: 12, owed: 0, shortfall: 7 },
      { ok: false, code: "not_found" },
    ]);
    expect(batched).toMatchObject({ balance: 0, held: 0, holds: 0 });
  });

  it("applies each effect once: the same batch again, or one that overlaps it, changes only what is new", async () => {
    const { stub, holdId, endedHoldId } = await seeded();
    const effects = day1(holdId, endedHoldId);
    const first = await stub.applyPosEffects(effects);
    const applied = await stateOf(stub, first);

    const again = await stub.applyPosEffects(effects);
    expect(again).toEqual(first);
    expect(await stateOf(stub, again)).toEqual(applied);

    // A hand-off that ran again after a crash, with a later sale of the customer's behind it.
    const later: PosEffect = { kind: "earn", ...pos("s4", "earn"), points: 40, lifetimeMs };
    const overlapping = await stub.applyPosEffects([...effects.slice(4), later]);
    expect(overlapping.slice(0, -1)).toEqual(first.slice(4));
    expect(overlapping.at(-1)).toMatchObject({ ok: true, points: 40 });
    const account = await stub.account(0, 500);
    expect(account.balance).toBe(applied.balance + 40);
    expect(account.ledger.entries.filter((entry) => entry.type === "earn").map((entry) => entry.reference)).toEqual(["s1", "s2", "s4"]);
  });

  it("undoes an earning made earlier in the same call: a return after its sale", async () => {
    const stub = customerLoyalty(env, unique("t"), unique("cust"));
    const results = await stub.applyPosEffects([
      { kind: "earn", ...pos("s1", "earn"), points: 100, lifetimeMs },
      { kind: "reverseEarning", ...back("r1", "reverse-earn"), earningKey: pos("s1", "earn").sourceKey, part: 1, whole: 4, allowNegative: false },
      { kind: "earn", ...pos("s2", "earn"), points: 10, lifetimeMs },
    ]);
    expect(results).toMatchObject([{ ok: true, points: 100 }, { ok: true, reversed: 25, shortfall: 0 }, { ok: true, points: 10 }]);
    const account = await stub.account(0, 500);
    expect(account.balance).toBe(85);
    expect(account.ledger.entries.map((entry) => [entry.type, entry.balanceDelta])).toEqual([
      ["earn", 100],
      ["reverse", -25],
      ["earn", 10],
    ]);
  });
});
