import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allotmentShard, skuObject } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createStockedTenant, reserve, setStock, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { eventually } from "./event-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

type HotView = { channels: { channel: string; shards: number; since: string | null; autoRate: number | null; allotments: { reserved: number }[] }[] };

async function hotView(tenant: TestTenant, sku: string): Promise<HotView> {
  const response = await call("GET", `/v1/inventory/${sku}/hot`, { key: tenant.adminKey });
  expect(response.status).toBe(200);
  return response.body as HotView;
}

async function totals(tenant: TestTenant, sku: string): Promise<{ onHand: number; reserved: number; available: number }> {
  return (await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey })).body.totals;
}

describe("flash sales that start and end by themselves", () => {
  it("marks a SKU hot once its pool reservations reach the channel's rate within a second, keeps it hot while the shards are busy, and cools it when they are not, losing no unit", async () => {
    const tenant = await createStockedTenant();
    const channel = await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"], autoHot: { reservationsPerSecond: 2, shards: 2 } } });
    expect(channel.status).toBe(200);
    expect(channel.body.autoHot).toEqual({ reservationsPerSecond: 2, shards: 2 });
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 100);
    const clock = new ManualClock(Date.now());
    await useClock(skuObject(env, tenant.id, sku), clock);

    // One a second is below the rate: nothing starts.
    const first = await reserve(tenant, sku, { qty: 1 });
    expect(first.body, "first").toMatchObject({ status: "active" });
    clock.advance(1_500);
    const second = await reserve(tenant, sku, { qty: 1 });
    expect(second.body, "second").toMatchObject({ status: "active" });
    expect((await hotView(tenant, sku)).channels).toEqual([]);
    // The second within the same second starts the sale: 2 shards, split from the 97 units left.
    const third = await reserve(tenant, sku, { qty: 1 });
    expect(third.body, "third").toMatchObject({ status: "active" });
    const started = (await eventually(async () => {
      const view = await hotView(tenant, sku);
      return view.channels.length > 0 ? view : undefined;
    }, 5_000))!;
    expect(started.channels).toEqual([expect.objectContaining({ channel: "web", shards: 2, autoRate: 2 })]);
    for (const shard of [0, 1]) await useClock(allotmentShard(env, tenant.id, sku, "web", shard), clock);

    // Half a minute into the sale, 40 reservations, all served by its shards.
    clock.advance(30_000);
    const sale = await Promise.all(Array.from({ length: 40 }, (_, i) => reserve(tenant, sku, { qty: 1, reference: `sale-${i}` })));
    expect(sale.map((answer) => answer.status)).toEqual(Array.from({ length: 40 }, () => 201));
    expect(sale.every((answer) => String(answer.body.id).startsWith("hot_"))).toBe(true);
    expect(await totals(tenant, sku)).toMatchObject({ onHand: 100, reserved: 43, available: 57 });

    // A minute into the sale, the first check: 40 reservations in the last minute is above a quarter of 2 a second (30): still hot.
    clock.advance(31_000);
    await runDurableObjectAlarm(skuObject(env, tenant.id, sku));
    expect((await hotView(tenant, sku)).channels).toEqual([expect.objectContaining({ channel: "web", since: started.channels[0]!.since })]);

    // Another minute without a reservation: cooled. The free units are back; the open reservations keep theirs.
    clock.advance(61_000);
    await runDurableObjectAlarm(skuObject(env, tenant.id, sku));
    const cooled = await hotView(tenant, sku);
    expect(cooled.channels.every((entry) => entry.since === null)).toBe(true);
    expect(cooled.channels.flatMap((entry) => entry.allotments).reduce((sum, shard) => sum + shard.reserved, 0)).toBe(40);
    expect(await totals(tenant, sku)).toMatchObject({ onHand: 100, reserved: 43, available: 57 });
    const after = await reserve(tenant, sku, { qty: 1 });
    expect(after.body, "after cooling").toMatchObject({ status: "active" });
    expect(String(after.body.id).startsWith("hot_")).toBe(false);
  });

  it("refuses an autoHot the channel cannot have, changing nothing", async () => {
    const tenant = await createStockedTenant();
    const before = await call("GET", "/v1/channels", { key: tenant.adminKey });
    for (const autoHot of [{ reservationsPerSecond: 0, shards: 2 }, { reservationsPerSecond: 10, shards: 1 }, { reservationsPerSecond: 10, shards: 33 }, { reservationsPerSecond: 10 }, { reservationsPerSecond: 10, shards: 2, extra: true }]) {
      expectProblem(await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1"], autoHot } }), 400, "validation_failed");
    }
    expect((await call("GET", "/v1/channels", { key: tenant.adminKey })).body).toEqual(before.body);
  });
});
