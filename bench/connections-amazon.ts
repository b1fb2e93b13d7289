import { FakeAmazon } from "../test-e2e/fakes/amazon.ts";
import { defaultRates } from "../test-e2e/fakes/amazon-wire.ts";
import { startCallLog, type RemoteCall } from "./call-log.ts";
import { count, s } from "./connections-common.ts";
import { violationSummary, type FeedRemote } from "./connections-feeds.ts";

/** Amazon publishes no processing time for JSON_LISTINGS_FEED (the test server's default is 1 s): the bench sets one, and says so. */
export const amazonFeedProcessingMs = Number(process.env.BENCH_FEED_MS ?? 30_000);
/** From an ACCEPTED patch to its quantity showing on the listing: the test server's default, stated. */
const patchVisibleAfterMs = 100;
/** The connection's default: more than 100 pending SKUs go out as one feed. */
const feedThreshold = 100;
const channelCode = "DEFAULT";
const lookups = defaultRates.getListingsItem;

export const amazonTitle =
  `Stock out to Amazon: an SP-API test server (JSON_LISTINGS_FEED ≤ 25,000 messages, 5 per 5 min, processed in ${(amazonFeedProcessingMs / 1000).toFixed(1)} s; ` +
  `patchListingsItem ${defaultRates.patchListingsItem.rate}/s burst ${defaultRates.patchListingsItem.burst}, visible ${patchVisibleAfterMs} ms after ACCEPTED; ` +
  `getListingsItem ${lookups.rate}/s burst ${lookups.burst}), connection feedThreshold ${feedThreshold}`;

function kindOf(call: RemoteCall): string {
  const path = call.path.split("?")[0]!;
  if (path === "/auth/o2/token") return "token";
  if (path.startsWith("/listings/")) return call.method === "PATCH" ? "patch" : call.path.includes("includedData=summaries") ? "product-type lookup" : "read-back";
  if (path === "/feeds/2021-06-30/documents") return "createFeedDocument";
  if (path.startsWith("/uploads/")) return "upload";
  if (path === "/feeds/2021-06-30/feeds") return "createFeed";
  if (path.startsWith("/feeds/2021-06-30/feeds/")) return /"processingStatus":"(IN_QUEUE|IN_PROGRESS)"/.test(call.excerpt) ? "getFeed, not done" : "getFeed, done";
  if (path.startsWith("/feeds/2021-06-30/documents/")) return "getFeedDocument";
  if (path.startsWith("/downloads/")) return "report download";
  return `${call.method} ${path}`;
}

const feedKinds = ["createFeedDocument", "upload", "createFeed", "getFeed, done", "getFeedDocument", "report download"];

/** Amazon's test server with a listing per SKU (product type SHIRT), behind a recording proxy. */
export async function amazonRemote(skus: string[]): Promise<FeedRemote> {
  const amazon = await FakeAmazon.start({ feedProcessingMs: amazonFeedProcessingMs, patchVisibleAfterMs });
  const sellerId = amazon.seller.sellerId;
  for (const sku of skus) amazon.addListing(sellerId, sku, "SHIRT");
  const log = await startCallLog(amazon.url);
  return {
    name: "Amazon",
    connectionId: "amazon-bench",
    feedProcessingMs: amazonFeedProcessingMs,
    log,
    connection: {
      type: "amazon",
      channel: "web",
      settings: { sellerId, marketplaceIds: [amazon.marketplaceId], region: "na", baseUrl: log.url, tokenUrl: `${log.url}/auth/o2/token`, feedThreshold },
      credentials: { refreshToken: amazon.seller.refreshToken, clientId: amazon.seller.clientId, clientSecret: amazon.seller.clientSecret },
      locations: { pool: channelCode },
      enabled: true,
    },
    read: (sku) => amazon.quantity(sellerId, sku, channelCode),
    kindOf,
    feedNeeds: (call) => feedKinds.includes(kindOf(call)),
    // A JSON_LISTINGS_FEED message names the listing's product type, which only getListingsItem tells: one lookup per SKU first.
    syncFloorExtra() {
      const waitMs = (Math.max(0, skus.length - lookups.burst) / lookups.rate) * 1000;
      return { ms: waitMs, text: `${count(skus.length)} product-type lookups at getListingsItem's ${lookups.rate}/s after a burst of ${lookups.burst} ${s(waitMs)}` };
    },
    violations: () => violationSummary(amazon.violations, (v) => v.bucket),
    valuesApplied() {
      const stats = amazon.stats;
      return stats.patches + stats.messagesApplied;
    },
    async close() {
      await log.close();
      await amazon.close();
    },
  };
}
