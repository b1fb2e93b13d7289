import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allotmentShard, skuObject } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createStockedTenant, reserve, setStock, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { httpLedger } from "./fixtures-model.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";

const webRules = { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 0, maxUnits: null, maxPercent: null };

/** A fresh SKU with `units` at wh-1, hot for web with `shards` shards. */
async function hotSku(units: number, shards: number) {
  const tenant = await createStockedTenant();
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", units);
  const marked = await call("PUT", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey, body: { channel: "web", shards } });
  expect(marked.status).toBe(200);
  return { tenant, sku, marked };
}

async function inventory(tenant: TestTenant, sku: string) {
  const response = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body;
}

type HotView = { channels: { channel: string; shards: number; allotments: { shard: number; allotted: number; free: number; reserved: number }[] }[] };

async function hotView(tenant: TestTenant, sku: string): Promise<HotView> {
  const response = await call("GET", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body as HotView;
}

function shardTotals(view: HotView) {
  const shards = view.channels.flatMap((channel) => channel.allotments);
  return { allotted: shards.reduce((sum, s) => sum + s.allotted, 0), free: shards.reduce((sum, s) => sum + s.free, 0), reserved: shards.reduce((sum, s) => sum + s.reserved, 0) };
}

/** A pool reservation sent straight to one shard, as the route would send it there. */
async function shardReserve(tenant: TestTenant, sku: string, shard: number, qty = 1, ttlSeconds = 900) {
  const answer = await allotmentShard(env, tenant.id, sku, "web", shard).reserve({ qty, channel: "web", ttlSeconds, reference: unique("order"), rules: webRules });
  if (!("outcome" in answer)) throw new Error(`shard ${shard} is not hot`);
  return answer;
}

describe("flash sale allotments", () => {
  quietAccessLog();

  it("splits 100 units over 4 shards and grants exactly 100 of 150 concurrent reservations", async () => {
    const { tenant, sku, marked } = await hotSku(100, 4);
    expect(marked.body.channels).toEqual([expect.objectContaining({ channel: "web", shards: 4 })]);
    expect(marked.body.channels[0].allotments.map((s: { free: number }) => s.free)).toEqual([25, 25, 25, 25]);

    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => reserve(tenant, sku, { qty: 1, reference: `order-${i}` })));
    const granted = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    expect({ granted: granted.length, refused: refused.length }).toEqual({ granted: 100, refused: 50 });
    for (const answer of refused) expectProblem(answer, 409, "insufficient_stock");
    expect(new Set(granted.map((answer) => answer.body.id)).size).toBe(100);
    for (const answer of granted) expect(answer.body.id).toMatch(/^hot_[0-9a-z]{20}_[0-3]_web$/);

    const figures = await inventory(tenant, sku);
    expect(figures.totals).toEqual({ onHand: 100, safetyStock: 0, reserved: 100, leased: 0, available: 0 });
    expect(shardTotals(await hotView(tenant, sku))).toEqual({ allotted: 100, free: 0, reserved: 100 });
  });

  it("a drained shard borrows from the SKU and from the other shards while any unit is left", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    for (let i = 0; i < 8; i += 1) expect((await shardReserve(tenant, sku, 0)).outcome).toMatchObject({ ok: true });
    const view = await hotView(tenant, sku);
    expect(view.channels[0]!.allotments.map(({ shard, free, reserved }) => ({ shard, free, reserved }))).toEqual([
      { shard: 0, free: 0, reserved: 8 },
      { shard: 1, free: 2, reserved: 0 },
    ]);
    // Two left, both in shard 1: shard 0 is granted them, then nothing is left anywhere.
    expect((await shardReserve(tenant, sku, 0, 2)).outcome).toMatchObject({ ok: true, reservation: { qty: 2 } });
    expect((await shardReserve(tenant, sku, 0)).outcome).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect((await shardReserve(tenant, sku, 1)).outcome).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect((await inventory(tenant, sku)).totals).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
  });

  it("borrows units the SKU did not allot (stock that arrived after the sale began)", async () => {
    const { tenant, sku } = await hotSku(4, 2);
    await setStock(tenant, sku, "store-a", 6);
    for (let i = 0; i < 10; i += 1) expect((await shardReserve(tenant, sku, i % 2)).outcome).toMatchObject({ ok: true });
    expect((await shardReserve(tenant, sku, 0)).outcome).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect((await inventory(tenant, sku)).totals).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
  });

  it("reads, commits and releases a shard reservation by its id through the normal routes", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    const first = await reserve(tenant, sku, { qty: 3 });
    const second = await reserve(tenant, sku, { qty: 2 });
    expect([first.status, second.status]).toEqual([201, 201]);

    const read = await call("GET", `/v1/inventory/${sku}/reservations/${first.body.id}`, { key: tenant.adminKey });
    expect(read.body).toMatchObject({ id: first.body.id, status: "active", qty: 3, channel: "web", allocations: [{ location: "wh-1", qty: 3 }] });

    const commit = await call("POST", `/v1/inventory/${sku}/reservations/${first.body.id}/commit`, { key: tenant.adminKey, idempotencyKey: unique("idem") });
    expect(commit.body).toMatchObject({ status: "committed" });
    const release = await call("POST", `/v1/inventory/${sku}/reservations/${second.body.id}/release`, { key: tenant.adminKey, idempotencyKey: unique("idem") });
    expect(release.body).toMatchObject({ status: "released" });
    expectProblem(await call("POST", `/v1/inventory/${sku}/reservations/${second.body.id}/commit`, { key: tenant.adminKey, idempotencyKey: unique("idem") }), 409, "reservation_not_active");

    expect((await inventory(tenant, sku)).totals).toEqual({ onHand: 7, safetyStock: 0, reserved: 0, leased: 0, available: 7 });
    expect(shardTotals(await hotView(tenant, sku))).toEqual({ allotted: 7, free: 7, reserved: 0 });
    const commits = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "commit");
    expect(commits).toEqual([expect.objectContaining({ location: "wh-1", delta: -3, reservedDelta: -3, reservationId: first.body.id })]);
  });

  it("applies 40 concurrent commits of shard reservations to onHand once each", async () => {
    const { tenant, sku } = await hotSku(50, 4);
    const created = await Promise.all(Array.from({ length: 40 }, (_, i) => reserve(tenant, sku, { qty: 1, reference: `order-${i}` })));
    expect(created.every((answer) => answer.status === 201)).toBe(true);
    const commits = await Promise.all(
      created.map((answer) => call("POST", `/v1/inventory/${sku}/reservations/${answer.body.id}/commit`, { key: tenant.adminKey, idempotencyKey: unique("idem") })),
    );
    expect(commits.map((answer) => answer.status)).toEqual(Array(40).fill(200));
    expect((await inventory(tenant, sku)).totals).toEqual({ onHand: 10, safetyStock: 0, reserved: 0, leased: 0, available: 10 });
    const entries = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "commit");
    expect(entries).toHaveLength(40);
    expect(new Set(entries.map((entry) => entry.reservationId))).toEqual(new Set(created.map((answer) => answer.body.id)));
  });

  it("a repeated Idempotency-Key returns the same reservation and takes the units once", async () => {
    const { tenant, sku } = await hotSku(10, 4);
    const key = unique("idem");
    const first = await reserve(tenant, sku, { qty: 4, reference: "order-9" }, key);
    const again = await reserve(tenant, sku, { qty: 4, reference: "order-9" }, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expectProblem(await reserve(tenant, sku, { qty: 5, reference: "order-9" }, key), 409, "idempotency_conflict");
    expect((await inventory(tenant, sku)).totals).toMatchObject({ reserved: 4, available: 6 });
  });

  it("expiry gives a shard reservation's units back to the shard", async () => {
    const { tenant, sku } = await hotSku(4, 2);
    const clock = new ManualClock(Date.now());
    for (const shard of [0, 1]) await useClock(allotmentShard(env, tenant.id, sku, "web", shard), clock);
    const held = await shardReserve(tenant, sku, 0, 2, 1);
    expect(held.outcome).toMatchObject({ ok: true });
    expect((await inventory(tenant, sku)).totals).toMatchObject({ reserved: 2, available: 2 });

    clock.advance(1_001);
    await runDurableObjectAlarm(allotmentShard(env, tenant.id, sku, "web", 0));
    const view = await hotView(tenant, sku);
    expect(view.channels[0]!.allotments.map(({ free, reserved }) => ({ free, reserved }))).toEqual([
      { free: 2, reserved: 0 },
      { free: 2, reserved: 0 },
    ]);
    const id = (held.outcome as { reservation: { id: string } }).reservation.id;
    const read = await call("GET", `/v1/inventory/${sku}/reservations/${id}`, { key: tenant.adminKey });
    expect(read.body).toMatchObject({ status: "expired" });
    expect((await inventory(tenant, sku)).totals).toMatchObject({ reserved: 0, available: 4 });
  });

  it("cooling returns free units at once and held ones when their reservation closes", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    const held = await reserve(tenant, sku, { qty: 3 });
    expect(held.status).toBe(201);

    const cooled = await call("DELETE", `/v1/inventory/${sku}/hot?channel=web`, { key: tenant.adminKey });
    expect(cooled.status).toBe(200);
    expect(shardTotals(cooled.body as HotView)).toEqual({ allotted: 3, free: 0, reserved: 3 });
    expect(cooled.body.channels).toEqual([expect.objectContaining({ channel: "web", since: null })]);
    const stock = await runSkuSql(tenant, sku);
    expect(stock).toEqual({ reserved: 3 });

    // Pool reservations go to the SKU object again, which now has the 7 free units.
    const after = await reserve(tenant, sku, { qty: 7 });
    expect(after.status).toBe(201);
    expect(after.body.id).toMatch(/^res_/);
    expectProblem(await reserve(tenant, sku, { qty: 1 }), 409, "insufficient_stock");

    const release = await call("POST", `/v1/inventory/${sku}/reservations/${held.body.id}/release`, { key: tenant.adminKey, idempotencyKey: unique("idem") });
    expect(release.status).toBe(200);
    expect((await hotView(tenant, sku)).channels).toEqual([]);
    expect((await inventory(tenant, sku)).totals).toEqual({ onHand: 10, safetyStock: 0, reserved: 7, leased: 0, available: 3 });
    const returns = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "allotment_return");
    expect(returns.reduce((sum, entry) => sum - entry.reservedDelta, 0)).toBe(10);
  });

  it("a snapshot below what the shards hold takes their free units back", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    expect((await reserve(tenant, sku, { qty: 2 })).status).toBe(201);
    await setStock(tenant, sku, "wh-1", 4);
    const view = await hotView(tenant, sku);
    expect(shardTotals(view)).toEqual({ allotted: 4, free: 2, reserved: 2 });
    expect((await inventory(tenant, sku)).totals).toEqual({ onHand: 4, safetyStock: 0, reserved: 2, leased: 0, available: 2 });
  });

  it("a store sale of units the shards hold is applied, and their free units come back to cover it", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    expect((await reserve(tenant, sku, { qty: 2 })).status).toBe(201);
    const sale = { key: unique("pos"), type: "pos_sale" as const, location: "wh-1", qty: 9, reference: "pos:T1:1", reason: "POS sale", occurredAt: Date.now() };
    const applied = await skuObject(env, tenant.id, sku).applyStoreMovements([sale]);
    expect(applied).toMatchObject({ ok: true, outcomes: [{ applied: true, short: { onHand: 1, reserved: 2, shortBy: 1 } }] });
    expect(shardTotals(await hotView(tenant, sku))).toEqual({ allotted: 2, free: 0, reserved: 2 });
    expect((await inventory(tenant, sku)).totals).toEqual({ onHand: 1, safetyStock: 0, reserved: 2, leased: 0, available: 0 });
    expectProblem(await reserve(tenant, sku, { qty: 1 }), 409, "insufficient_stock");
  });

  it("an order of a hot SKU is reserved at its location with units taken back from the shards there, and one beyond every unit is backordered", async () => {
    const { tenant, sku } = await hotSku(20, 4);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 7]]));
    expect(order.body).toMatchObject({ status: "reserved", allocations: [expect.objectContaining({ location: "wh-1", sku, qty: 7, held: 7 })] });
    expect(shardTotals(await hotView(tenant, sku))).toEqual({ allotted: 13, free: 13, reserved: 0 });
    expect((await inventory(tenant, sku)).totals).toMatchObject({ onHand: 20, reserved: 7, available: 13 });
    // The pool's reservations keep being served by the shards, from what is left.
    const pool = await Promise.all(Array.from({ length: 13 }, () => reserve(tenant, sku, { qty: 1 })));
    expect(pool.map((answer) => answer.status)).toEqual(Array.from({ length: 13 }, () => 201));
    expect((await submitOrder(tenant.adminKey, orderBody([[sku, 1]]))).body.status).toBe("backordered");
  });

  it("refuses another number of shards while hot, and a key of another role", async () => {
    const { tenant, sku } = await hotSku(10, 2);
    expectProblem(await call("PUT", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey, body: { channel: "web", shards: 3 } }), 409, "conflict");
    expect((await call("PUT", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey, body: { channel: "web", shards: 2 } })).status).toBe(200);
    expectProblem(await call("PUT", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey, body: { channel: "web", shards: 1 } }), 400, "validation_failed");
    expectProblem(await call("DELETE", `/v1/inventory/${sku}/hot?channel=pos`, { key: tenant.adminKey }), 404, "not_found");
  });
});

async function runSkuSql(tenant: TestTenant, sku: string) {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(skuObject(env, tenant.id, sku), (_instance, state) => ({
    reserved: state.storage.sql.exec<{ reserved: number }>("SELECT reserved FROM location_stock WHERE location = 'wh-1'").one().reserved,
  }));
}
