import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AvailabilityIndex } from "../durable/availability-index.ts";
import { availabilityIndex, availabilityShard, availabilityShardOf, availabilityShards } from "../durable/objects.ts";
import { call, setStock, tenantWithStock, type TestTenant } from "./api.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

afterEach(() => {
  vi.restoreAllMocks();
});

type Figure = { sku: string; available: number };

/** Stock of `count` SKUs at wh-1 (1 to count units), published to the read model. */
async function stockedSkus(tenant: TestTenant, count: number): Promise<string[]> {
  const skus = Array.from({ length: count }, (_, i) => `SHARD-${crypto.randomUUID().slice(0, 8)}-${i}`);
  await Promise.all(skus.map((sku, i) => setStock(tenant, sku, "wh-1", i + 1)));
  await vi.waitUntil(async () => (await availabilityIndex(env, tenant.id).getAvailability("web", skus)).length === count, { timeout: 10_000, interval: 50 });
  return skus;
}

async function bulk(tenant: TestTenant, skus: string[]): Promise<{ items: Figure[]; unknown: string[] }> {
  const answer = await call("GET", `/v1/availability?channel=web&skus=${skus.map(encodeURIComponent).join(",")}`, { key: tenant.adminKey });
  expect(answer.status).toBe(200);
  return answer.body as { items: Figure[]; unknown: string[] };
}

/** The web figures a shard holds, by SKU. */
function shardFigures(tenantId: string, shard: number): Promise<Record<string, number>> {
  return runInDurableObject(availabilityShard(env, tenantId, shard), (_instance, state) =>
    Object.fromEntries(state.storage.sql.exec<{ sku: string; available: number }>("SELECT sku, available FROM channel_availability WHERE channel = 'web'").toArray().map((row) => [row.sku, row.available])),
  );
}

describe("the availability read shards", () => {
  it("hold each SKU's figures in the shard its name falls in once its publish returns, and answer polls and bulk reads without the index", async () => {
    const { tenant } = await tenantWithStock();
    const skus = await stockedSkus(tenant, 40);
    const shardsUsed = new Set(skus.map(availabilityShardOf));
    expect(shardsUsed.size).toBeGreaterThan(4);
    for (let shard = 0; shard < availabilityShards; shard++) {
      const expected = Object.fromEntries(skus.flatMap((sku, i) => (availabilityShardOf(sku) === shard ? [[sku, i + 1]] : [])));
      expect(await shardFigures(tenant.id, shard)).toEqual(expected);
    }

    const indexReads = vi.spyOn(AvailabilityIndex.prototype, "getAvailability");
    const unknownSku = `NONE-${crypto.randomUUID().slice(0, 8)}`;
    const answer = await bulk(tenant, [skus[3]!, unknownSku, skus[0]!, ...skus.slice(10, 20)]);
    expect(answer.items.map((item) => [item.sku, item.available])).toEqual([[skus[3], 4], [skus[0], 1], ...skus.slice(10, 20).map((sku, i) => [sku, 11 + i])]);
    expect(answer.unknown).toEqual([unknownSku]);
    const single = await call("GET", `/v1/availability/${skus[7]}?channel=web`, { key: tenant.adminKey });
    expect(single.body).toMatchObject({ sku: skus[7], available: 8 });
    expect(indexReads).not.toHaveBeenCalled();

    // A change is in the shard when the SKU's publish returns; a channel's new rules when their PUT returns.
    await setStock(tenant, skus[0]!, "wh-1", 30);
    await vi.waitUntil(async () => (await shardFigures(tenant.id, availabilityShardOf(skus[0]!)))[skus[0]!] === 30, { timeout: 5_000, interval: 50 });
    expect((await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 5 } })).status).toBe(200);
    const buffered = await bulk(tenant, skus.slice(0, 8));
    expect(buffered.items.map((item) => item.available)).toEqual([25, 0, 0, 0, 0, 1, 2, 3]);
    expect(indexReads).not.toHaveBeenCalled();
  });

  it("answer from the index until an index that held figures before them has copied them all, then on their own", async () => {
    const { tenant } = await tenantWithStock();
    const skus = await stockedSkus(tenant, 12);
    // As after a deploy that adds the shards: an index full of figures, shards that hold none and were never told they are complete.
    for (let shard = 0; shard < availabilityShards; shard++) {
      await runInDurableObject(availabilityShard(env, tenant.id, shard), (instance, state) => {
        state.storage.sql.exec("DELETE FROM channel_availability");
        state.storage.sql.exec("DELETE FROM shard_meta");
        Reflect.set(instance, "ready", undefined);
      });
    }
    const index = availabilityIndex(env, tenant.id);
    // Its next start (as after the deploy) asks for its alarm, which copies the figures.
    await runInDurableObject(index, async (instance, state) => {
      state.storage.sql.exec("UPDATE index_meta SET forwarded_seq = 0, shards_ready = 0");
      await state.storage.deleteAlarm();
      Reflect.set(instance, "scheduledAlarm", undefined);
      await (Reflect.get(instance, "onStart") as () => Promise<void>).call(instance);
    });

    const indexReads = vi.spyOn(AvailabilityIndex.prototype, "getAvailability");
    expect((await bulk(tenant, skus)).items.map((item) => item.available)).toEqual(skus.map((_, i) => i + 1));
    expect(indexReads).toHaveBeenCalledTimes(1);

    expect(await runDurableObjectAlarm(index)).toBe(true);
    const held = Object.assign({}, ...(await Promise.all(Array.from({ length: availabilityShards }, (_, shard) => shardFigures(tenant.id, shard)))));
    expect(held).toEqual(Object.fromEntries(skus.map((sku, i) => [sku, i + 1])));
    indexReads.mockClear();
    expect((await bulk(tenant, skus)).items.map((item) => item.available)).toEqual(skus.map((_, i) => i + 1));
    expect(indexReads).not.toHaveBeenCalled();
  });
});
