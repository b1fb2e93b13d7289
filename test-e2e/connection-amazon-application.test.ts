import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import { converged, skusOf, webAvailability } from "./connection-fixtures.ts";
import { FakeAmazon, type AmazonSeller } from "./fakes/amazon.ts";
import { location, seedStore, useEdge, waitFor, type SeededStore } from "./harness.ts";

/*
 * Above the tenants: Amazon allows one application 500 patchListingsItem
 * calls a second across all the sellers that authorized it. Here the edge and
 * the Amazon test server agree on 4 a second, and three sellers of three
 * tenants, each allowed 5 a second of its own, patch at once: together they
 * must stay inside the application's rate.
 */

const applicationRate = 4;
const rig = useEdge("connection-amazon-application", { AMAZON_APPLICATION_PATCH_RATE: String(applicationRate) });
const connectionId = "amazon-us";

async function sellerOnItsTenant(amazon: FakeAmazon, seller: AmazonSeller, stock: Record<string, number>): Promise<SeededStore> {
  const store = await seedStore(rig.edge.url, stock);
  await edgeCall(rig.edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  for (const sku of Object.keys(stock)) amazon.addListing(seller.sellerId, sku, "SHIRT");
  await waitFor("the web channel's figures", 30_000, async () => ((await webAvailability(rig.edge, store, Object.keys(stock))).size === Object.keys(stock).length ? true : undefined));
  return store;
}

function connect(amazon: FakeAmazon, seller: AmazonSeller, store: SeededStore) {
  return edgeCall(rig.edge.url, "PUT", `/v1/connections/${connectionId}`, {
    key: store.adminKey,
    body: {
      type: "amazon",
      channel: "web",
      // Few enough SKUs for patches, one each, rather than a feed.
      settings: { sellerId: seller.sellerId, marketplaceIds: [amazon.marketplaceId], region: "na", baseUrl: amazon.url, tokenUrl: `${amazon.url}/auth/o2/token`, feedThreshold: 50, pullOrders: false },
      credentials: { refreshToken: seller.refreshToken, clientId: seller.clientId, clientSecret: seller.clientSecret },
      locations: { pool: "DEFAULT" },
      enabled: true,
    },
  });
}

describe("an Amazon application shared by the sellers of several tenants", () => {
  it("keeps all their patches together inside the application's rate, and every seller's listings converge", async () => {
    const amazon = await FakeAmazon.start({ rates: { "patchListingsItem/application": { rate: applicationRate, burst: applicationRate } } });
    onTestFinished(() => amazon.close());
    const sellers = [amazon.seller, amazon.addSeller({ sellerId: "A2FAKESELLER02", refreshToken: "Atzr|fake-refresh-token-2" }), amazon.addSeller({ sellerId: "A3FAKESELLER03", refreshToken: "Atzr|fake-refresh-token-3" })];
    const stocks = sellers.map((_, n) => Object.fromEntries(skusOf(6, `APP${n}`).map((sku, i) => [sku, 3 + i + n])));
    const stores = await Promise.all(sellers.map((seller, n) => sellerOnItsTenant(amazon, seller, stocks[n]!)));
    // All three start at once: 18 patches wanted, 15 of them at once if each went at its own 5 a second.
    await Promise.all(sellers.map((seller, n) => connect(amazon, seller, stores[n]!)));
    await Promise.all(sellers.map((seller, n) => converged(rig.edge, stores[n]!, connectionId, stocks[n]!, (sku) => amazon.quantity(seller.sellerId, sku) ?? -1, 60_000)));
    expect(amazon.violations).toEqual([]);
    expect(amazon.stats.patches).toBeGreaterThanOrEqual(18);
  });
});
