import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, unique, type TestTenant } from "./api.ts";
import { ManualClock } from "../shared/clock.ts";
import { useClock } from "./clock.ts";
import { eventually, httpLedger } from "./fixtures-model.ts";
import { expectProblem } from "./fixtures.ts";
import { skuObject } from "../durable/objects.ts";

function skuStub(tenant: TestTenant, sku: string) {
  return skuObject(env, tenant.id, sku);
}

/** A SKU object on a clock of the test's: its TTLs run out when the test says so. */
async function skuOnManualClock(tenant: TestTenant, sku: string): Promise<ManualClock> {
  const clock = new ManualClock(Date.now());
  await useClock(skuStub(tenant, sku), clock);
  return clock;
}

/** A new SKU with 10 units at store-a, on a clock of the test's, and a 1-second reservation of `qty` of them there. */
async function oneSecondReservation(qty: number) {
  const tenant = await createStockedTenant();
  const sku = unique("sku");
  const clock = await skuOnManualClock(tenant, sku);
  await setStock(tenant, sku, "store-a", 10);
  const created = await reserve(tenant, sku, { qty, channel: "pos", location: "store-a", ttlSeconds: 1 });
  expect(created.status).toBe(201);
  return { tenant, sku, clock, created, id: created.body.id as string };
}

/** Moves `clock` past `expiresAt` (an ISO time from a reservation). */
function passExpiry(clock: ManualClock, expiresAt: string): void {
  clock.advance(Date.parse(expiresAt) - clock.now() + 1);
}

/**
 * The object's stored figures read straight from its SQLite, bypassing its RPC
 * methods: their reads expire due reservations themselves, which would hide
 * whether the alarm did it.
 */
async function storedState(tenant: TestTenant, sku: string, reservationId: string) {
  return runInDurableObject(skuStub(tenant, sku), async (_instance, state) => ({
    status: state.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE id = ?", reservationId).one().status,
    reserved: state.storage.sql.exec<{ reserved: number }>("SELECT reserved FROM location_stock WHERE location = 'store-a'").one().reserved,
    alarm: await state.storage.getAlarm(),
  }));
}

async function expectClosedForGood(tenant: TestTenant, sku: string, reservationId: string): Promise<void> {
  for (const action of ["commit", "release"]) {
    const answer = await call("POST", `/v1/inventory/${sku}/reservations/${reservationId}/${action}`, { key: tenant.adminKey, idempotencyKey: unique("idem") });
    expectProblem(answer, 409, "reservation_not_active");
  }
}

describe("reservation expiry", () => {
  it("the object's alarm expires a reservation whose TTL ran out and gives its units back", async () => {
    const { tenant, sku, clock, created, id } = await oneSecondReservation(3);
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(1000);

    passExpiry(clock, created.body.expiresAt);
    await runDurableObjectAlarm(skuStub(tenant, sku));

    expect(await storedState(tenant, sku, id)).toMatchObject({ status: "expired", reserved: 0 });

    const read = await call("GET", `/v1/inventory/${sku}/reservations/${id}`, { key: tenant.adminKey });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, status: "expired", closedAt: expect.any(String) });
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.locations).toEqual([{ location: "store-a", onHand: 10, safetyStock: 0, reserved: 0, leased: 0, available: 10 }]);

    const expiries = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "expiry");
    expect(expiries).toEqual([expect.objectContaining({ location: "store-a", delta: 0, reservedDelta: -3, safetyStockDelta: 0, reservationId: id })]);

    await expectClosedForGood(tenant, sku, id);

    // The alarm also publishes: the read model gets the units back.
    const availability = await eventually(
      () => call("GET", `/v1/availability/${sku}?channel=pos`, { key: tenant.adminKey }),
      (answer) => answer.body?.available === 10,
    );
    expect(availability.body).toMatchObject({ sku, channel: "pos", available: 10 });
  });

  it("a read after the expiry time reports the reservation expired even before the alarm ran", async () => {
    const { tenant, sku, clock, created, id } = await oneSecondReservation(4);

    // Take the alarm away, as if it were late: only the read path can expire the reservation now.
    await runInDurableObject(skuStub(tenant, sku), (_instance, state) => state.storage.deleteAlarm());
    passExpiry(clock, created.body.expiresAt);
    expect(await storedState(tenant, sku, id)).toEqual({ status: "active", reserved: 4, alarm: null });

    const read = await call("GET", `/v1/inventory/${sku}/reservations/${id}`, { key: tenant.adminKey });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe("expired");
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toEqual({ onHand: 10, safetyStock: 0, reserved: 0, leased: 0, available: 10 });
    const expiries = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "expiry");
    expect(expiries).toEqual([expect.objectContaining({ reservedDelta: -4, reservationId: id })]);
    await expectClosedForGood(tenant, sku, id);
  });

  it("units freed by expiry can be reserved again, and only then", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    const clock = await skuOnManualClock(tenant, sku);
    await setStock(tenant, sku, "store-a", 3);
    const first = await reserve(tenant, sku, { qty: 3, channel: "pos", ttlSeconds: 1 });
    expect(first.status).toBe(201);

    const tooEarly = await reserve(tenant, sku, { qty: 1, channel: "pos" });
    expectProblem(tooEarly, 409, "insufficient_stock");

    passExpiry(clock, first.body.expiresAt);
    await runDurableObjectAlarm(skuStub(tenant, sku));
    const again = await reserve(tenant, sku, { qty: 3, channel: "pos" });
    expect(again.status).toBe(201);
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toEqual({ onHand: 3, safetyStock: 0, reserved: 3, leased: 0, available: 0 });
  });
});
