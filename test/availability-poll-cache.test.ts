import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AvailabilityIndex } from "../durable/availability-index.ts";
import { AvailabilityShard } from "../durable/availability-shard.ts";
import { availabilityIndex } from "../durable/objects.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { availabilityCache, availabilityCacheMs } from "../workers/routes/availability.ts";
import { call, setStock, tenantWithStock } from "./api.ts";
import { pollAvailability, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

afterEach(() => {
  availabilityCache.clock = systemClock;
  vi.restoreAllMocks();
});

describe("single-SKU polls", () => {
  it("are answered from the isolate's figure for its short bound, 304 on a matching ETag, and see a change once the bound has passed", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const first = await pollAvailability(tenant.adminKey, sku, "web", (response) => response.status === 200 && response.body.available === 10);
    expect(first.body.available).toBe(10);
    const etag = first.headers.get("etag")!;

    const clock = new ManualClock(Date.now());
    availabilityCache.clock = clock;
    const poll = (headers: Record<string, string> = {}) => call("GET", `/v1/availability/${sku}?channel=web`, { key: tenant.adminKey, headers });
    expect((await poll()).status).toBe(200);
    const reads = vi.spyOn(AvailabilityShard.prototype, "read");
    const indexReads = vi.spyOn(AvailabilityIndex.prototype, "getAvailability");

    // 30 polls within the bound: one figure, no call to the read model.
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => poll(i % 2 ? { "if-none-match": etag } : {})));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 2 ? 304 : 200)));
    expect(answers.filter((answer) => answer.status === 200).every((answer) => answer.body.available === 10 && answer.headers.get("etag") === etag)).toBe(true);
    expect(reads).not.toHaveBeenCalled();
    expect(indexReads).not.toHaveBeenCalled();

    // The stock changes and the read model has it; until the bound passes, this isolate still answers the figure it read.
    await setStock(tenant, sku, "wh-1", 4);
    const index = availabilityIndex(env, tenant.id);
    await vi.waitUntil(async () => (await index.getAvailability("web", [sku]))[0]?.available === 4, { timeout: 5_000, interval: 50 });
    expect((await poll({ "if-none-match": etag })).status).toBe(304);
    clock.advance(availabilityCacheMs);
    const changed = await vi.waitUntil(
      async () => {
        clock.advance(availabilityCacheMs);
        const answer = await poll({ "if-none-match": etag });
        return answer.status === 200 ? answer : undefined;
      },
      { timeout: 5_000, interval: 50 },
    );
    expect(changed.body.available).toBe(4);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(reads).toHaveBeenCalled();
  });

  it("never keeps an answer for a SKU with no stock, so a SKU stocked elsewhere is seen at once", async () => {
    const { tenant } = await tenantWithStock();
    // A clock that never moves: anything kept would be answered for good.
    availabilityCache.clock = new ManualClock(Date.now());
    const sku = `NEW-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("GET", `/v1/availability/${sku}?channel=web`, { key: tenant.adminKey })).status).toBe(404);
    await setStock(tenant, sku, "wh-1", 3);
    const found = await pollAvailability(tenant.adminKey, sku, "web", (response) => response.status === 200, 2_000);
    expect(found.body.available).toBe(3);
  });
});
