import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { ExceptionRecord } from "../shared/schemas/exceptions.ts";
import { connectionStatus, converged as convergedOn, setStock, skusOf, webAvailability } from "./connection-fixtures.ts";
import { FakeAmazon } from "./fakes/amazon.ts";
import { location, seedStore, useEdge, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/*
 * A connection from a real edge (Miniflare) to an Amazon SP-API test server
 * (LWA tokens, Listings Items API, JSON_LISTINGS_FEED, Orders API) that
 * enforces every usage plan: the web channel's availability must end up as
 * the listings' fulfillment availability, one patch per SKU for a few
 * changes, one feed for many; Amazon's orders must come onto the channel
 * once and their shipments go back once; never throttled.
 */

const rig = useEdge("connection-amazon");
const connectionId = "amazon-main";
const channelCode = "DEFAULT";

interface AmazonRig {
  store: SeededStore;
  amazon: FakeAmazon;
}

/** A tenant whose `web` channel is store-001's stock, a seller with a listing per SKU (but `without`), and a connection between them. */
async function connectedSeller(edge: EdgeHost, stock: Record<string, number>, options: { without?: string[]; feedThreshold?: number; refreshToken?: string; faults?: (amazon: FakeAmazon) => void } = {}): Promise<AmazonRig> {
  const amazon = await FakeAmazon.start();
  onTestFinished(() => amazon.close());
  const store = await seedStore(edge.url, stock);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  for (const sku of Object.keys(stock)) if (!options.without?.includes(sku)) amazon.addListing(amazon.seller.sellerId, sku, "SHIRT");
  // Every SKU in the channel's figures before the connection starts: its first push sees them all at once.
  await waitFor("the web channel's figures of every SKU", 30_000, async () => ((await webAvailability(edge, store, Object.keys(stock))).size === Object.keys(stock).length ? true : undefined));
  const rig0 = { store, amazon };
  options.faults?.(amazon);
  await putConnection(edge, rig0, options);
  return rig0;
}

interface ConnectionOptions {
  feedThreshold?: number;
  refreshToken?: string;
  orderPollSeconds?: number;
}

function putConnection(edge: EdgeHost, { store, amazon }: AmazonRig, options: ConnectionOptions) {
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
        orderPollSeconds: options.orderPollSeconds ?? 60,
        orderLookbackHours: 1,
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

  it("uploads a feed again to the document it made when the upload fails, leaving no feed document unused", async () => {
    const stock = Object.fromEntries(skusOf(30, "DOC").map((sku, i) => [sku, i + 1]));
    const seller = await connectedSeller(rig.edge, stock, { faults: (amazon) => amazon.injectFault({ kind: "status", status: 503 }, 2, /^\/uploads\//) });
    await converged(seller, rig.edge, stock);
    expect(seller.amazon.stats).toMatchObject({ feedsCreated: 1, feedDocumentsCreated: 1, feedDocumentsUnused: 0, messagesApplied: 30, violations: 0 });
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

type OrderList = { orders: { id: string; externalId: string; status: string }[] };

/** A tenant whose `web` channel is store-001's stock, a seller with a listing per SKU and `orders` placed, and a connection that polls every 10 seconds. */
async function sellerWithOrders(edge: EdgeHost, stock: Record<string, number>, place: (amazon: FakeAmazon) => void): Promise<AmazonRig> {
  // Orders show in a listing half a second after they change (Amazon: two minutes); pages hold two orders.
  const amazon = await FakeAmazon.start({ listingLagMs: 500, searchPageLimit: 2 });
  onTestFinished(() => amazon.close());
  const store = await seedStore(edge.url, stock);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  for (const sku of Object.keys(stock)) amazon.addListing(amazon.seller.sellerId, sku, "SHIRT");
  place(amazon);
  // Placed before the listing's bound: the first listing takes them all.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const seller = { store, amazon };
  await putConnection(edge, seller, { orderPollSeconds: 10 });
  return seller;
}

async function webOrders(edge: EdgeHost, store: SeededStore, query = ""): Promise<OrderList["orders"]> {
  return (await edgeCall<OrderList>(edge.url, "GET", `/v1/orders?channel=web${query}`, { key: store.adminKey })).orders;
}

async function reserved(edge: EdgeHost, store: SeededStore, sku: string): Promise<number> {
  return (await edgeCall<{ totals: { reserved: number } }>(edge.url, "GET", `/v1/inventory/${sku}`, { key: store.adminKey })).totals.reserved;
}

describe("an Amazon connection's orders", () => {
  it("takes merchant orders onto the channel once over paged listings, waits for pending payment, cancels what Amazon cancels, and replays an unmapped order", async () => {
    const placed: Record<string, string> = {};
    const { store, amazon } = await sellerWithOrders(rig.edge, { "AO-A": 10, "AO-B": 5 }, (fake) => {
      placed["first"] = fake.orders.add({ items: [{ sku: "AO-A", qty: 2, unitPrice: "19.99", tax: "3.20", shipping: "4.99" }] }).orderId;
      placed["second"] = fake.orders.add({ items: [{ sku: "AO-B", qty: 1, unitPrice: "5.00" }, { sku: "AO-A", qty: 1, unitPrice: "19.99", discount: "2.00" }] }).orderId;
      placed["third"] = fake.orders.add({ items: [{ sku: "AO-B", qty: 2, unitPrice: "5.00" }] }).orderId;
      placed["pending"] = fake.orders.add({ status: "PENDING", items: [{ sku: "AO-A", qty: 1, unitPrice: "19.99" }] }).orderId;
      placed["unmapped"] = fake.orders.add({ items: [{ sku: "NOT-IN-SHELFSYNC", qty: 1, unitPrice: "3.00" }] }).orderId;
      placed["fba"] = fake.orders.add({ fulfilledBy: "AMAZON", items: [{ sku: "AO-A", qty: 1, unitPrice: "19.99" }] }).orderId;
    });

    const unmapped = await waitFor("the channel_order_unmapped exception", 30_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_order_unmapped", { key: store.adminKey });
      return page.exceptions.length > 0 ? page.exceptions : undefined;
    });
    expect(unmapped).toHaveLength(1);
    expect(unmapped[0]!.payload).toMatchObject({ remote: "amazon", externalId: placed["unmapped"], reason: expect.stringContaining("NOT-IN-SHELFSYNC") });
    const listed = await webOrders(rig.edge, store);
    expect(listed.map((order) => [order.externalId, order.status]).sort()).toEqual([
      [placed["first"], "reserved"],
      [placed["second"], "reserved"],
      [placed["third"], "reserved"],
    ].sort());
    // Five merchant orders on three pages of two; the pending one waits, the Amazon-fulfilled one is not asked for.
    expect(amazon.orders.searches).toBe(3);
    expect([amazon.orders.timesListed(placed["pending"]!), amazon.orders.timesListed(placed["fba"]!)]).toEqual([1, 0]);
    expect([await reserved(rig.edge, store, "AO-A"), await reserved(rig.edge, store, "AO-B")]).toEqual([3, 3]);
    const first = await edgeCall<{ lines: { sku: string; qty: number; unitPrice: number; tax: number; discount: number }[]; currency: string }>(rig.edge.url, "GET", `/v1/orders/${listed.find((o) => o.externalId === placed["first"])!.id}`, { key: store.adminKey });
    expect(first).toMatchObject({ currency: "USD", lines: [{ sku: "AO-A", qty: 2, unitPrice: 1999, tax: 320, discount: 0 }] });

    // Paid, cancelled, and changed without a new status: the next poll lists the three again.
    amazon.orders.pay(placed["pending"]!);
    amazon.orders.cancel(placed["second"]!);
    amazon.orders.touch(placed["first"]!);
    await waitFor("the paid order recorded and the cancelled one cancelled", 30_000, async () => {
      const orders = await webOrders(rig.edge, store);
      const statusOf = (id: string) => orders.find((o) => o.externalId === id)?.status;
      return statusOf(placed["pending"]!) === "reserved" && statusOf(placed["second"]!) === "cancelled" ? true : undefined;
    });
    expect(amazon.orders.timesListed(placed["first"]!)).toBe(2);
    // Each order once, whatever was listed twice.
    expect(await webOrders(rig.edge, store)).toHaveLength(4);
    expect([await reserved(rig.edge, store, "AO-A"), await reserved(rig.edge, store, "AO-B")]).toEqual([3, 2]);

    // The SKU exists now: the replay reads the order again and records it.
    amazon.addListing(amazon.seller.sellerId, "NOT-IN-SHELFSYNC", "SHIRT");
    await setStock(rig.edge, store, "NOT-IN-SHELFSYNC", 4);
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${unmapped[0]!.id}/replay`, { key: store.adminKey, body: {} });
    expect(replay).toMatchObject({ outcome: "resolved" });
    expect((await webOrders(rig.edge, store)).map((o) => o.externalId)).toContain(placed["unmapped"]);
    expect(await reserved(rig.edge, store, "NOT-IN-SHELFSYNC")).toBe(1);
    expect(amazon.stats.violations).toBe(0);
    expect(amazon.violations).toEqual([]);
  });

  it("confirms a shipment once with its carrier and tracking number, recognising a confirmation whose answer was lost", async () => {
    let orderId = "";
    const { store, amazon } = await sellerWithOrders(rig.edge, { "SHIP-A": 6 }, (fake) => {
      orderId = fake.orders.add({ items: [{ sku: "SHIP-A", qty: 3, unitPrice: "12.00" }] }).orderId;
    });
    const [order] = await waitFor("the Amazon order on the web channel", 30_000, async () => {
      const orders = await webOrders(rig.edge, store);
      return orders.length === 1 ? orders : undefined;
    });

    // Amazon applies the first confirmation, then the connection is cut before its 204.
    amazon.injectFault({ kind: "cut-after-apply" }, 1, /\/shipmentConfirmation$/);
    await edgeCall(rig.edge.url, "POST", `/v1/orders/${order!.id}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku: "SHIP-A", qty: 2 }], carrier: "UPS", tracking: "1Z999AA10123456784" } });
    const settled = await waitFor("the lost answer noticed and the confirmation settled", 30_000, async () => {
      const current = await connectionStatus(rig.edge, store, connectionId);
      return current.state === "idle" && current.lastError?.message.startsWith("confirming shipment") && amazon.orders.reads > 0 ? current : undefined;
    });
    expect(settled.lastError?.message).toMatch(/no answer from Amazon/);
    expect(amazon.orders.view(orderId)).toMatchObject({
      status: "PARTIALLY_SHIPPED",
      items: [{ shipped: 2 }],
      packages: [{ packageReferenceId: "1", carrierCode: "UPS", trackingNumber: "1Z999AA10123456784", items: [{ quantity: 2 }] }],
    });
    expect(amazon.orders.confirmations).toBe(1);

    // The last unit: a second package of the same order.
    await edgeCall(rig.edge.url, "POST", `/v1/orders/${order!.id}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku: "SHIP-A", qty: 1 }], carrier: "USPS", tracking: "9400100000000000000000" } });
    await waitFor("the second package confirmed", 30_000, async () => (amazon.orders.confirmations === 2 ? true : undefined));
    expect(amazon.orders.view(orderId)).toMatchObject({ status: "SHIPPED", items: [{ shipped: 3 }], packages: [{ packageReferenceId: "1" }, { packageReferenceId: "2", carrierCode: "USPS" }] });
    expect(amazon.stats.violations).toBe(0);
  });
});
