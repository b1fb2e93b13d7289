import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IdempotencyInput } from "../durable/idempotency.ts";
import { availabilityIndex, skuObject } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import type { ChannelRules } from "../shared/schemas/tenancy.ts";
import { unique } from "./api.ts";
import { useClock } from "./clock.ts";
import {
  eventually,
  expectedChannelAvailable,
  expectedLocationAvailable,
  InventoryModel,
  readWholeLedger,
  replayLedger,
  type ModelReservation,
  type ModelStock,
} from "./fixtures-model.ts";

const locations = ["l1", "l2", "l3", "l4"];
const channels = ["web", "amazon"] as const;
const longTtlSeconds = 900;
/** A short reservation's TTL: a few `tick` commands run it out. */
const shortTtlSeconds = 1;

// Plain prototypes: arguments of a Durable Object RPC call must be structured-cloneable.
const rulesArb: fc.Arbitrary<ChannelRules> = fc.record(
  {
    locations: fc.shuffledSubarray(locations, { minLength: 1 }),
    bufferUnits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 6 })),
    // Mostly caps that leave something to reserve, sometimes tight ones (0, 1, a few percent).
    maxUnits: fc.option(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 5, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }) }), { nil: null, freq: 3 }),
    maxPercent: fc.option(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 40, max: 100 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 100 }) }), { nil: null, freq: 3 }),
  },
  { noNullPrototype: true },
);

type Command =
  | { kind: "setStock"; location: string; onHand: number; safetyStock: number | undefined }
  | { kind: "adjust"; location: string; delta: number }
  /** A store's fixed lease at the location (units 0 ends it); reservations must never take its units. */
  | { kind: "lease"; location: string; units: number }
  /** `at`: undefined reserves against the pool; otherwise it picks a location, mostly one of the channel's pool. */
  | { kind: "reserve"; channel: 0 | 1; qty: number; at: number | undefined; short: boolean }
  | { kind: "commit" | "release"; pick: number; as: "admin" | "own" | "other" }
  | { kind: "expire" }
  /** Moves the object's clock on: short reservations whose TTL ran out expire at the next call. */
  | { kind: "tick"; ms: number }
  | { kind: "retry" }
  /** Evicts the object: whatever it keeps in memory must be rebuilt from its storage. */
  | { kind: "restart" };

const locationArb = fc.constantFrom(...locations);
const closeArb = (kind: "commit" | "release") =>
  fc.record({ kind: fc.constant(kind), pick: fc.nat(19), as: fc.constantFrom("admin" as const, "admin" as const, "own" as const, "other" as const) });

/** Every run starts by stocking each location, so that reservations have something to take. */
const openingStockArb: fc.Arbitrary<Command[]> = fc.tuple(
  ...locations.map((location) =>
    fc.record({
      kind: fc.constant("setStock" as const),
      location: fc.constant(location),
      onHand: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 5, max: 25 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 25 }) }),
      safetyStock: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    }),
  ),
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("setStock" as const), location: locationArb, onHand: fc.integer({ min: 0, max: 30 }), safetyStock: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("adjust" as const), location: locationArb, delta: fc.integer({ min: -10, max: 10 }).filter((n) => n !== 0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("lease" as const), location: locationArb, units: fc.integer({ min: 0, max: 8 }) }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant("reserve" as const),
      channel: fc.constantFrom(0 as const, 1 as const),
      qty: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 15 })),
      at: fc.option(fc.nat(9), { nil: undefined, freq: 2 }),
      short: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: closeArb("commit") },
  { weight: 2, arbitrary: closeArb("release") },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 1_500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retry" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** The figures of a SKU view as a plain location → figures record, for equality checks. */
function byLocation(rows: readonly (Omit<ModelStock, "leased"> & { location: string; leased?: number })[]): Record<string, ModelStock> {
  return Object.fromEntries(rows.map(({ location, onHand, safetyStock, reserved, leased }) => [location, { onHand, safetyStock, reserved, leased: leased ?? 0 }]));
}

/** One property run: a fresh SKU object, the commands applied to it and to the model, checks after each. */
async function runSequence(rules: readonly [ChannelRules, ChannelRules], allowShort: boolean, commands: readonly Command[]): Promise<void> {
  const scope = { tenantId: unique("tp"), sku: unique("sku") };
  const stub = skuObject(env, scope.tenantId, scope.sku);
  // The object decides by this clock; the run moves it on instead of waiting for TTLs to run out.
  const clock = new ManualClock(Date.now());
  await useClock(stub, clock);
  const model = new InventoryModel();
  let touched = false;
  let lastWrite: { send: () => Promise<{ outcome: unknown; replayed: boolean }>; outcome: unknown } | null = null;

  /** A fresh key per command; a retry sends the same key and fingerprint again. */
  const idempotency = (): IdempotencyInput => {
    const key = unique("idem");
    return { key, requestHash: `hash-${key}` };
  };

  const write = async <R extends { outcome: unknown; replayed: boolean }>(send: () => Promise<R>): Promise<R["outcome"]> => {
    touched = true;
    const result = await send();
    expect(result.replayed).toBe(false);
    lastWrite = { send, outcome: result.outcome };
    return result.outcome;
  };

  /**
   * Lets every short reservation's TTL run out, then runs the object's alarm (unless it is running already).
   * Their stored status is read from SQLite directly: the object's own reads would expire them too.
   */
  const expireShortReservations = async (): Promise<void> => {
    const short = model.active().filter((reservation) => reservation.short);
    if (short.length > 0) {
      clock.advance(Math.max(0, Math.max(...short.map((reservation) => reservation.expiresAt)) - clock.now()) + 1);
    }
    await runDurableObjectAlarm(stub);
    const stored = await runInDurableObject(stub, (_instance, state) =>
      short.map(({ id }) => state.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE id = ?", id).one().status),
    );
    expect(stored).toEqual(short.map(() => "expired"));
    for (const reservation of short) model.close(reservation, "expired");
  };

  const pickReservation = (pick: number): ModelReservation | undefined =>
    model.reservations.length > 0 && pick < 16 ? model.reservations[pick % model.reservations.length] : undefined;

  const apply = async (command: Command): Promise<void> => {
    switch (command.kind) {
      case "setStock": {
        const key = idempotency();
        const outcome = await write(() => stub.setStock({ location: command.location, onHand: command.onHand, safetyStock: command.safetyStock, reference: "erp" }, key));
        expect(outcome.ok).toBe(true);
        model.setStock(command.location, command.onHand, command.safetyStock);
        return;
      }
      case "adjust": {
        const key = idempotency();
        const outcome = await write(() => stub.adjust({ location: command.location, delta: command.delta, reason: "count", reference: "adj" }, key));
        if (model.onHand(command.location) + command.delta < 0) {
          expect(outcome).toMatchObject({ ok: false, code: "negative_on_hand" });
        } else {
          expect(outcome.ok).toBe(true);
          model.adjust(command.location, command.delta);
        }
        return;
      }
      case "lease": {
        touched = true;
        if (command.units === 0) await stub.endLease(command.location);
        else {
          const outcome = await stub.setLease(command.location, { units: command.units }, false);
          if (!outcome.ok) throw new Error(`setLease refused: ${outcome.code}`);
          expect(outcome.lease).toMatchObject({ units: command.units, inForce: command.units, suspended: false });
        }
        model.lease(command.location, command.units);
        return;
      }
      case "reserve": {
        const channelRules = rules[command.channel];
        const channel = channels[command.channel];
        const short = allowShort && command.short;
        const ttlSeconds = short ? shortTtlSeconds : longTtlSeconds;
        const location = command.at === undefined ? undefined : command.at < 8 ? channelRules.locations[command.at % channelRules.locations.length] : locations[command.at % locations.length];
        const channelMay = expectedChannelAvailable(channelRules, model.stocks);
        const availableBefore = new Map(locations.map((location) => [location, model.available(location)]));
        const key = idempotency();
        const outcome = await write(() => stub.reserve({ qty: command.qty, channel, rules: channelRules, location, ttlSeconds, reference: "order" }, key));
        if (location !== undefined && !channelRules.locations.includes(location)) {
          expect(outcome).toMatchObject({ ok: false, code: "location_not_in_channel" });
          return;
        }
        const allowed = location === undefined ? channelMay : Math.min(channelMay, availableBefore.get(location) ?? 0);
        if (command.qty > allowed) {
          expect(outcome).toMatchObject({ ok: false, code: "insufficient_stock", extra: { requested: command.qty, available: allowed } });
          return;
        }
        if (!outcome.ok) throw new Error(`reserve of ${command.qty} refused with ${outcome.code} although ${allowed} were allowed`);
        const { reservation } = outcome;
        expect(reservation).toMatchObject({ qty: command.qty, channel, status: "active", closedAt: null });
        expect(Date.parse(reservation.expiresAt) - Date.parse(reservation.createdAt)).toBe(ttlSeconds * 1000);
        // Invariant 1: never more than the channel rules allowed at the moment of the grant.
        const granted = sum(reservation.allocations.map((allocation) => allocation.qty));
        expect(granted).toBe(command.qty);
        expect(granted).toBeLessThanOrEqual(channelMay);
        expect(new Set(reservation.allocations.map((allocation) => allocation.location)).size).toBe(reservation.allocations.length);
        for (const allocation of reservation.allocations) {
          expect(channelRules.locations).toContain(allocation.location);
          expect(allocation.qty).toBeGreaterThan(0);
          expect(allocation.qty).toBeLessThanOrEqual(availableBefore.get(allocation.location) ?? 0);
        }
        if (location !== undefined) expect(reservation.allocations).toEqual([{ location, qty: command.qty }]);
        model.grant({ id: reservation.id, channel, qty: command.qty, allocations: reservation.allocations, status: "active", expiresAt: Date.parse(reservation.expiresAt), short });
        return;
      }
      case "commit":
      case "release": {
        const target = pickReservation(command.pick);
        const id = target?.id ?? "res_doesnotexist0000000";
        const other = target ? channels.find((channel) => channel !== target.channel)! : "web";
        const onlyChannel = command.as === "admin" ? null : command.as === "own" ? (target?.channel ?? "web") : other;
        const key = idempotency();
        const outcome = await write(() => (command.kind === "commit" ? stub.commit(id, onlyChannel, key) : stub.release(id, onlyChannel, key)));
        if (!target || command.as === "other") {
          expect(outcome).toMatchObject({ ok: false, code: "not_found" });
        } else if (target.status !== "active") {
          expect(outcome).toMatchObject({ ok: false, code: "reservation_not_active", extra: { reservationStatus: target.status } });
        } else {
          const status = command.kind === "commit" ? "committed" : "released";
          expect(outcome).toMatchObject({ ok: true, reservation: { id, status } });
          model.close(target, status);
        }
        return;
      }
      case "expire":
        await expireShortReservations();
        return;
      case "restart":
        await evictDurableObject(stub);
        await useClock(stub, clock);
        return;
      case "tick":
        clock.advance(command.ms);
        // The object expires what is due at its next call, before anything else.
        for (const reservation of model.active()) if (reservation.expiresAt <= clock.now()) model.close(reservation, "expired");
        return;
      case "retry": {
        if (!lastWrite) return;
        const again = await lastWrite.send();
        expect(again.replayed).toBe(true);
        expect(again.outcome).toEqual(lastWrite.outcome);
        return;
      }
    }
  };

  const checkState = async (): Promise<void> => {
    const answer = await stub.getInventory();
    if (!touched) {
      expect(answer).toMatchObject({ ok: false, code: "not_found" });
      return;
    }
    if (!answer.ok) throw new Error(`getInventory failed: ${answer.code}`);
    const { inventory } = answer;
    for (const stock of inventory.locations) {
      expect(stock.available).toBeGreaterThanOrEqual(0);
      expect(stock.available).toBe(expectedLocationAvailable(stock));
    }
    expect(byLocation(inventory.locations)).toEqual(Object.fromEntries(model.stocks));
    expect(inventory.totals).toEqual({
      onHand: sum(inventory.locations.map((stock) => stock.onHand)),
      safetyStock: sum(inventory.locations.map((stock) => stock.safetyStock)),
      reserved: sum(inventory.locations.map((stock) => stock.reserved)),
      leased: sum(inventory.locations.map((stock) => stock.leased)),
      available: sum(inventory.locations.map((stock) => stock.available)),
    });

    // reserved at each location is exactly what the active reservations hold there, read back from the object.
    const readBack = await Promise.all(model.reservations.map((reservation) => stub.getReservation(reservation.id, null)));
    const heldActive = new Map<string, number>();
    readBack.forEach((read, index) => {
      if (!read.ok) throw new Error(`reservation ${model.reservations[index]!.id} not readable: ${read.code}`);
      expect(read.reservation.status).toBe(model.reservations[index]!.status);
      if (read.reservation.status !== "active") return;
      for (const { location, qty } of read.reservation.allocations) heldActive.set(location, (heldActive.get(location) ?? 0) + qty);
    });
    for (const stock of inventory.locations) expect(stock.reserved).toBe(heldActive.get(stock.location) ?? 0);
    for (const location of heldActive.keys()) expect(inventory.locations.map((stock) => stock.location)).toContain(location);

    // While a reservation is active, the object's alarm is set no later than the first expiry, so units come back
    // without anyone reading. Polled: a running alarm has no successor until it has rescheduled. The object's clock
    // is the test's, which real time overtakes: an alarm set for a time real time has passed is kept as due now
    // (workerd stores the real now), so the bound is the later of the expiry and the real time of the read.
    const active = model.active();
    if (active.length > 0) {
      const firstExpiry = Math.min(...active.map((reservation) => reservation.expiresAt));
      const read = () => runInDurableObject(stub, async (_instance, state) => ({ alarm: await state.storage.getAlarm(), bound: Math.max(firstExpiry, Date.now()) }));
      const { alarm, bound } = await eventually(
        read,
        (at) => at.alarm !== null && at.alarm <= at.bound,
        // Generous for a loaded machine: a running alarm reschedules only once it has finished.
        5_000,
        10,
      );
      expect(alarm, "alarm set no later than the first active expiry").not.toBeNull();
      expect(alarm!).toBeLessThanOrEqual(bound);
    }
  };

  for (const command of commands) {
    await apply(command);
    await checkState();
  }

  const entries = await readWholeLedger((after) => stub.getLedger(after, 7), 7);
  const final = await stub.getInventory();
  const current = final.ok ? byLocation(final.inventory.locations) : {};
  expect(Object.fromEntries(replayLedger(entries))).toEqual(current);

  // Every change reaches the read model: the pending alarm (run now, or already running) publishes the current figures.
  await runDurableObjectAlarm(stub);
  const publishedFigures = () =>
    runInDurableObject(availabilityIndex(env, scope.tenantId), (_instance, state) => {
      const rows = state.storage.sql.exec<{ locations: string }>("SELECT locations FROM sku_figures WHERE sku = ?", scope.sku).toArray();
      return rows.length === 1 ? byLocation(JSON.parse(rows[0]!.locations) as (ModelStock & { location: string })[]) : null;
    });
  const canonical = (figures: Record<string, ModelStock> | null) => JSON.stringify(figures && Object.entries(figures).sort(([a], [b]) => a.localeCompare(b)));
  expect(await eventually(publishedFigures, (figures) => canonical(figures) === canonical(current), 1_000, 20)).toEqual(current);

  const allocationsOf = (status: ModelReservation["status"] | null) =>
    sum(model.reservations.filter((reservation) => status === null || reservation.status === status).map((reservation) => reservation.allocations.length));
  const entriesOf = (type: string) => entries.filter((entry) => entry.type === type).length;
  expect({ reservation: entriesOf("reservation"), commit: entriesOf("commit"), release: entriesOf("release"), expiry: entriesOf("expiry") }).toEqual({
    reservation: allocationsOf(null),
    commit: allocationsOf("committed"),
    release: allocationsOf("released"),
    expiry: allocationsOf("expired"),
  });

  // Done with this object. Its clock is the test's, which real time overtakes: an alarm it wants soon by that clock
  // is due at once in real time, and would ring again and again for as long as the object lives, taking the CPU the
  // next runs need. A year on by its clock, what it wants next is a year away.
  clock.advance(365 * 24 * 3_600_000);
  await runDurableObjectAlarm(stub);
}

describe("SKU inventory under random command sequences", () => {
  it("keeps available, reserved and the ledger consistent and never grants more than the channel rules allow", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(rulesArb, rulesArb),
        fc.integer({ min: 0, max: 99 }).map((n) => n < 35),
        openingStockArb,
        fc.array(commandArb, { minLength: 1, maxLength: 21, size: "max" }),
        (rules, allowShort, opening, commands) => runSequence(rules, allowShort, [...opening, ...commands]),
      ),
      { numRuns: 150, interruptAfterTimeLimit: 100_000, markInterruptAsFailure: true },
    );
  });
});
