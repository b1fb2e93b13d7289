import { FakeWalmart } from "../test-e2e/fakes/walmart.ts";
import { startCallLog, type RemoteCall } from "./call-log.ts";
import { violationSummary, type FeedRemote } from "./connections-feeds.ts";

/** Walmart publishes no processing time for inventory feeds (the test server's default is 200 ms): the bench sets one, and says so. */
export const walmartFeedProcessingMs = Number(process.env.BENCH_FEED_MS ?? 30_000);
/** The connection's defaults: more than 100 pending SKUs go out as a feed; single PUTs at 300 a minute (the test server's bucket too). */
const feedThreshold = 100;
const inventoryCallsPerMinute = 300;

export const walmartTitle =
  `Stock out to Walmart: a Walmart test server (MP_INVENTORY feeds ≤ 50,000 items, 10 an hour, processed in ${(walmartFeedProcessingMs / 1000).toFixed(1)} s; ` +
  `PUT /v3/inventory ${inventoryCallsPerMinute}/min, burst ${inventoryCallsPerMinute}), connection feedThreshold ${feedThreshold}`;

function kindOf(call: RemoteCall): string {
  const path = call.path.split("?")[0]!;
  if (path === "/v3/token") return "token";
  if (path === "/v3/inventory") return "single PUT";
  if (path === "/v3/feeds" && call.method === "POST") return "feed submitted";
  if (path.startsWith("/v3/feeds/")) return /"feedStatus":"(RECEIVED|INPROGRESS)"/.test(call.excerpt) ? "feed polled, not done" : "status page of a processed feed";
  return `${call.method} ${path}`;
}

/** Walmart's test server with an item per SKU at its default ship node, behind a recording proxy. */
export async function walmartRemote(skus: string[]): Promise<FeedRemote> {
  const walmart = await FakeWalmart.start({ feedProcessingMs: walmartFeedProcessingMs, inventoryCallsPerMinute, inventoryBurst: inventoryCallsPerMinute });
  for (const sku of skus) walmart.addItem(sku);
  const log = await startCallLog(walmart.url);
  const shipNode = walmart.defaultShipNode;
  return {
    name: "Walmart",
    connectionId: "walmart-bench",
    feedProcessingMs: walmartFeedProcessingMs,
    log,
    connection: {
      type: "walmart",
      channel: "web",
      // Orders are not part of this benchmark: no order polls among the calls.
      settings: { baseUrl: log.url, feedThreshold, inventoryCallsPerMinute, pullOrders: false },
      credentials: { clientId: walmart.clientId, clientSecret: walmart.clientSecret },
      locations: { pool: shipNode },
      enabled: true,
    },
    read: (sku) => walmart.quantity(sku, shipNode),
    kindOf,
    feedNeeds: (call) => ["feed submitted", "status page of a processed feed"].includes(kindOf(call)),
    syncFloorExtra: () => null,
    violations: () => violationSummary(walmart.violations, (v) => v.kind),
    valuesApplied() {
      const stats = walmart.stats;
      return stats.inventoryWrites + stats.itemsApplied;
    },
    async close() {
      await log.close();
      await walmart.close();
    },
  };
}
