import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { ExceptionRecord } from "../shared/schemas/exceptions.ts";
import { connectionStatus, converged as convergedOn, setStock, skusOf, webAvailability } from "./connection-fixtures.ts";
import { FakeAmazon } from "./fakes/amazon.ts";
import { location, seedStore, useEdge, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/*
 * A connection from a real edge (Miniflare) to an Amazon SP-API test server
 * (LWA tokens, Listings Items API, JSON_LISTINGS_FEED) that enforces every
 * usage plan: the web channel's availability must end up as the listings'
 * fulfillment availability, one patch per SKU for a few changes, one feed
 * for many, never throttled.
 */

const rig = useEdge("connection-amazon");
const connectionId = "amazon-main";
const channelCode = "DEFAULT";

interface AmazonRig {
  store: SeededStore;
  amazon: FakeAmazon;
}

/** A tenant whose `web` channel is store-001's stock, a seller with a listing per SKU (but `without`), and a connection between them. */
async function connectedSeller(edge: EdgeHost, stock: Record<string, number>, options: { without?: string[]; feedThreshold?: number; refreshToken?: string } = {}): Promise<AmazonRig> {
  const amazon = await FakeAmazon.start();
  onTestFinished(() => amazon.close());
  const store = await seedStore(edge.url, stock);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  for (const sku of Object.keys(stock)) if (!options.without?.includes(sku)) amazon.addListing(amazon.seller.sellerId, sku, "SHIRT");
  // Every SKU in the channel's figures before the connection starts: its first push sees them all at once.
  await waitFor("the web channel's figures of every SKU", 30_000, async () => ((await webAvailability(edge, store, Object.keys(stock))).size === Object.keys(stock).length ? true : undefined));
  const rig0 = { store, amazon };
  await putConnection(edge, rig0, options);
  return rig0;
}

function putConnection(edge: EdgeHost, { store, amazon }: AmazonRig, options: { feedThreshold?: number; refreshToken?: string }) {
  return edgeCall(edge.url, "PUT", `/v1/connections/${connectionId}`, {
    key: store.adminKey,
    body: {
      type: "amazon",
      channel: "web",
      settings: {
        sellerId: amazon.seller.sellerId,
        marketplaceIds: [amazon.marketplaceId],
        region: "na",
        baseUrl: amazon.url,
        tokenUrl: `${amazon.url}/auth/o2/token`,
        feedThreshold: options.feedThreshold ?? 20,
      },
      credentials: { refreshToken: options.refreshToken ?? amazon.seller.refreshToken, clientId: amazon.seller.clientId, clientSecret: amazon.seller.clientSecret },
      locations: { pool: channelCode },
      enabled: true,
    },
  });
}

function converged({ store, amazon }: AmazonRig, edge: EdgeHost, expected: Record<string, number>, timeoutMs = 60_000): Promise<void> {
  return convergedOn(edge, store, connectionId, expected, (sku) => amazon.quantity(amazon.seller.sellerId, sku, channelCode) ?? -1, timeoutMs);
}

describe("an Amazon connection", () => {
  it("sends many SKUs in one JSON_LISTINGS_FEED and a few as patches read back, never throttled", async () => {
    const stock = Object.fromEntries(skusOf(30, "AMZ").map((sku, i) => [sku, (i * 3) % 25]));
    const seller = await connectedSeller(rig.edge, stock);
    await converged(seller, rig.edge, stock);
    expect(seller.amazon.stats).toMatchObject({ feedsCreated: 1, messagesApplied: 30, violations: 0 });

    for (const sku of ["AMZ-0001", "AMZ-0002", "AMZ-0003"]) {
      stock[sku] = stock[sku]! + 4;
      await setStock(rig.edge, seller.store, sku, stock[sku]);
    }
    await converged(seller, rig.edge, stock);
    expect(seller.amazon.stats.feedsCreated).toBe(1);
    expect(seller.amazon.stats.patches).toBeGreaterThanOrEqual(3);
    expect(seller.amazon.stats.violations).toBe(0);
    expect(seller.amazon.violations).toEqual([]);
    const after = await connectionStatus(rig.edge, seller.store, connectionId);
    expect(after).toMatchObject({ lastError: null, lastHour: { throttled: 0 } });
  });

  it("turns SKUs Amazon has no listing for into exceptions, and pushes them once the replay finds a listing", async () => {
    const stock = { LISTED: 4, UNLISTED: 7 };
    const seller = await connectedSeller(rig.edge, stock, { without: ["UNLISTED"] });
    await converged(seller, rig.edge, { LISTED: 4 });
    const exception = await waitFor("the channel_sku_unmapped exception", 30_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_sku_unmapped", { key: seller.store.adminKey });
      return page.exceptions[0];
    });
    expect(exception.payload).toMatchObject({ remote: "amazon", sku: "UNLISTED", reason: "Amazon has no listing for this SKU" });
    seller.amazon.addListing(seller.amazon.seller.sellerId, "UNLISTED", "SHIRT");
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${exception.id}/replay`, { key: seller.store.adminKey, body: {} });
    expect(replay).toMatchObject({ outcome: "resolved" });
    expect(seller.amazon.quantity(seller.amazon.seller.sellerId, "UNLISTED", channelCode)).toBe(7);
  });

  it("stops and says why when Login with Amazon refuses the refresh token, and resumes with a new one", async () => {
    const seller = await connectedSeller(rig.edge, { TOKEN: 5 }, { refreshToken: "Atzr|revoked-refresh-token" });
    const refused = await waitFor("the connection to report the refusal", 30_000, async () => {
      const current = await connectionStatus(rig.edge, seller.store, connectionId);
      return current.state === "credentials_rejected" ? current : undefined;
    });
    expect(refused.lastError?.message).toMatch(/refresh token/);
    await putConnection(rig.edge, seller, {});
    await converged(seller, rig.edge, { TOKEN: 5 });
  });
});
