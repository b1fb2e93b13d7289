import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import type { ExceptionRecord } from "../shared/schemas/exceptions.ts";
import { connectionStatus, converged as convergedOn, setStock, skusOf, webAvailability } from "./connection-fixtures.ts";
import { FakeWalmart, type FakeWalmartOptions } from "./fakes/walmart.ts";
import { location, seedStore, useEdge, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/*
 * A connection from a real edge (Miniflare) to a Walmart Marketplace test
 * server that enforces its limits (10 inventory feeds an hour, a pace for
 * single updates, 15-minute tokens): the web channel's availability must end
 * up at the ship node, one PUT per SKU for a few changes, one feed for many.
 */

const rig = useEdge("connection-walmart");
const connectionId = "walmart-main";

interface WalmartRig {
  store: SeededStore;
  walmart: FakeWalmart;
  shipNode: string;
}

interface ConnectionOptions {
  feedThreshold?: number;
  clientSecret?: string;
  orderPollSeconds?: number;
}

/** A tenant whose `web` channel is store-001's stock, a Walmart seller with an item per SKU (but `without`), and a connection between them. */
async function connectedSeller(edge: EdgeHost, stock: Record<string, number>, options: { walmart?: FakeWalmartOptions; without?: string[]; connection?: ConnectionOptions } = {}): Promise<WalmartRig> {
  const walmart = await FakeWalmart.start({ inventoryCallsPerMinute: 600, inventoryBurst: 600, ...options.walmart });
  onTestFinished(() => walmart.close());
  const store = await seedStore(edge.url, stock);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  for (const sku of Object.keys(stock)) if (!options.without?.includes(sku)) walmart.addItem(sku);
  // Every SKU in the channel's figures before the connection starts: its first push sees them all at once.
  await waitFor("the web channel's figures of every SKU", 30_000, async () => ((await webAvailability(edge, store, Object.keys(stock))).size === Object.keys(stock).length ? true : undefined));
  const rig0 = { store, walmart, shipNode: walmart.defaultShipNode };
  await putConnection(edge, rig0, options.connection ?? {});
  return rig0;
}

function putConnection(edge: EdgeHost, { store, walmart, shipNode }: WalmartRig, options: ConnectionOptions) {
  return edgeCall(edge.url, "PUT", `/v1/connections/${connectionId}`, {
    key: store.adminKey,
    body: {
      type: "walmart",
      channel: "web",
      settings: { baseUrl: walmart.url, feedThreshold: options.feedThreshold ?? 20, inventoryCallsPerMinute: 600, orderPollSeconds: options.orderPollSeconds ?? 60 },
      credentials: { clientId: walmart.clientId, clientSecret: options.clientSecret ?? walmart.clientSecret },
      locations: { pool: shipNode },
      enabled: true,
    },
  });
}

function status(edge: EdgeHost, store: SeededStore): Promise<ConnectionStatus> {
  return connectionStatus(edge, store, connectionId);
}

/** Waits until the web channel's availability of every SKU is `expected`, Walmart holds the same, and nothing is pending. */
function converged({ store, walmart, shipNode }: WalmartRig, edge: EdgeHost, expected: Record<string, number>, timeoutMs = 60_000): Promise<void> {
  return convergedOn(edge, store, connectionId, expected, (sku) => walmart.quantity(sku, shipNode), timeoutMs);
}

describe("a Walmart connection", () => {
  it("sends many SKUs in one MP_INVENTORY feed and a few as single updates, within Walmart's limits", async () => {
    const stock = Object.fromEntries(skusOf(150, "WM").map((sku, i) => [sku, (i * 7) % 40]));
    const seller = await connectedSeller(rig.edge, stock);
    await converged(seller, rig.edge, stock);
    expect(seller.walmart.stats).toMatchObject({ feedsSubmitted: 1, itemsApplied: 150, violations: 0 });

    for (const sku of ["WM-0001", "WM-0002", "WM-0003"]) {
      stock[sku] = stock[sku]! + 5;
      await setStock(rig.edge, seller.store, sku, stock[sku]);
    }
    await converged(seller, rig.edge, stock);
    expect(seller.walmart.stats.feedsSubmitted).toBe(1);
    expect(seller.walmart.stats.inventoryWrites).toBeGreaterThanOrEqual(3);
    expect(seller.walmart.stats.violations).toBe(0);
    const after = await status(rig.edge, seller.store);
    expect(after).toMatchObject({ lastError: null, lastHour: { throttled: 0 } });
    expect(after.lastHour.skusConfirmed).toBeGreaterThanOrEqual(153);
  });

  it("never submits more than 10 feeds an hour: further bursts go out as single updates", async () => {
    const stock = Object.fromEntries(skusOf(4, "BURST").map((sku) => [sku, 1]));
    const seller = await connectedSeller(rig.edge, stock, { connection: { feedThreshold: 2 } });
    await converged(seller, rig.edge, stock);
    for (let burst = 2; burst <= 12; burst++) {
      for (const sku of Object.keys(stock)) {
        stock[sku] = burst;
        await setStock(rig.edge, seller.store, sku, burst);
      }
      await converged(seller, rig.edge, stock);
    }
    expect(seller.walmart.stats.feedsSubmitted).toBe(10);
    expect(seller.walmart.stats.violations).toBe(0);
    expect(seller.walmart.violations).toEqual([]);
  });

  it("turns items Walmart does not have into exceptions, in a feed or by a single update, and pushes them once the replay finds them", async () => {
    const stock = Object.fromEntries(skusOf(30, "ITEM").map((sku) => [sku, 3]));
    const seller = await connectedSeller(rig.edge, stock, { without: ["ITEM-0007", "ITEM-0019"] });
    const known = Object.fromEntries(Object.entries(stock).filter(([sku]) => sku !== "ITEM-0007" && sku !== "ITEM-0019"));
    await converged(seller, rig.edge, known);
    // A new SKU, alone: a single update, which Walmart answers 404.
    await setStock(rig.edge, seller.store, "ITEM-NEW", 2);
    const exceptions = await waitFor("three channel_sku_unmapped exceptions", 30_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_sku_unmapped", { key: seller.store.adminKey });
      return page.exceptions.length === 3 ? page.exceptions : undefined;
    });
    const reasons = Object.fromEntries(exceptions.map((e) => [(e.payload as { sku: string }).sku, (e.payload as { reason: string }).reason]));
    expect(reasons).toEqual({
      "ITEM-0007": expect.stringContaining("feed"),
      "ITEM-0019": expect.stringContaining("feed"),
      "ITEM-NEW": "Walmart has no item with this SKU",
    });
    expect(exceptions.every((e) => e.type === "channel_sku_unmapped" && e.payload.remote === "walmart")).toBe(true);

    seller.walmart.addItem("ITEM-0007");
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${exceptions.find((e) => reasons["ITEM-0007"] && (e.payload as { sku: string }).sku === "ITEM-0007")!.id}/replay`, { key: seller.store.adminKey, body: {} });
    expect(replay).toMatchObject({ outcome: "resolved" });
    expect(seller.walmart.quantity("ITEM-0007", seller.shipNode)).toBe(3);
    expect(seller.walmart.stats.violations).toBe(0);
  });

  it("takes Walmart's new orders onto the channel once, acknowledges them only once recorded, cancels what Walmart cancels, and confirms shipments once", async () => {
    const stock = { "ORD-A": 10, "ORD-B": 5 };
    const walmart = await FakeWalmart.start({ inventoryCallsPerMinute: 600, inventoryBurst: 600 });
    onTestFinished(() => walmart.close());
    const first = walmart.addOrder({ lines: [{ sku: "ORD-A", qty: 2, unitPrice: 19.99, tax: 1.6 }] });
    const second = walmart.addOrder({ lines: [{ sku: "ORD-B", qty: 1, unitPrice: 5 }, { sku: "ORD-A", qty: 1, unitPrice: 19.99 }] });
    const unmappable = walmart.addOrder({ lines: [{ sku: "NOT-IN-SHELFSYNC", qty: 1, unitPrice: 3 }] });
    const store = await seedStore(rig.edge.url, stock);
    await edgeCall(rig.edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
    for (const sku of Object.keys(stock)) walmart.addItem(sku);
    const seller = { store, walmart, shipNode: walmart.defaultShipNode };
    await putConnection(rig.edge, seller, { orderPollSeconds: 10 });

    type OrderList = { orders: { id: string; externalId: string; status: string }[] };
    const listed = await waitFor("Walmart's two orders on the web channel", 30_000, async () => {
      const page = await edgeCall<OrderList>(rig.edge.url, "GET", "/v1/orders?channel=web", { key: store.adminKey });
      return page.orders.length === 2 ? page.orders : undefined;
    });
    expect(listed.map((order) => [order.externalId, order.status]).sort()).toEqual([
      [first.purchaseOrderId, "reserved"],
      [second.purchaseOrderId, "reserved"],
    ].sort());
    await waitFor("both acknowledged", 10_000, async () => (walmart.order(first.purchaseOrderId).acknowledged && walmart.order(second.purchaseOrderId).acknowledged ? true : undefined));
    expect([first, second].map((order) => walmart.acknowledgedInTime(order.purchaseOrderId))).toEqual([true, true]);
    expect(walmart.order(unmappable.purchaseOrderId).acknowledged).toBe(false);
    const unmapped = await waitFor("the channel_order_unmapped exception", 20_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_order_unmapped", { key: store.adminKey });
      return page.exceptions.length === 1 ? page.exceptions[0] : undefined;
    });
    expect(unmapped.payload).toMatchObject({ remote: "walmart", externalId: unmappable.purchaseOrderId, reason: expect.stringContaining("NOT-IN-SHELFSYNC") });
    const inventory = await edgeCall<{ totals: { reserved: number } }>(rig.edge.url, "GET", "/v1/inventory/ORD-A", { key: store.adminKey });
    expect(inventory.totals.reserved).toBe(3);

    walmart.cancelOrder(second.purchaseOrderId);
    const cancelled = await waitFor("the cancelled order cancelled in Shelfsync", 40_000, async () => {
      const page = await edgeCall<OrderList>(rig.edge.url, "GET", "/v1/orders?channel=web&status=cancelled", { key: store.adminKey });
      return page.orders.length === 1 ? page.orders[0] : undefined;
    });
    expect(cancelled.externalId).toBe(second.purchaseOrderId);
    expect((await edgeCall<{ totals: { reserved: number } }>(rig.edge.url, "GET", "/v1/inventory/ORD-A", { key: store.adminKey })).totals.reserved).toBe(2);
    // Listed again at every poll: still two orders, each recorded once.
    expect((await edgeCall<OrderList>(rig.edge.url, "GET", "/v1/orders?channel=web", { key: store.adminKey })).orders).toHaveLength(2);

    // The SKU exists now: the replay reads the order again, records it and acknowledges it.
    await setStock(rig.edge, store, "NOT-IN-SHELFSYNC", 4);
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${unmapped.id}/replay`, { key: store.adminKey, body: {} });
    expect(replay).toMatchObject({ outcome: "resolved" });
    expect(walmart.order(unmappable.purchaseOrderId).acknowledged).toBe(true);
    expect((await edgeCall<OrderList>(rig.edge.url, "GET", "/v1/orders?channel=web", { key: store.adminKey })).orders).toHaveLength(3);

    // Shipped in Shelfsync: confirmed to Walmart once, with its carrier and tracking number,
    // although Walmart's answer to the first confirmation is lost (applied, then the connection cut).
    walmart.injectFault({ kind: "cut-after-apply" }, 1, /\/shipping$/);
    const shelfsyncId = listed.find((order) => order.externalId === first.purchaseOrderId)!.id;
    await edgeCall(rig.edge.url, "POST", `/v1/orders/${shelfsyncId}/fulfillments`, {
      key: store.adminKey,
      body: { location, lines: [{ sku: "ORD-A", qty: 2 }], carrier: "UPS", tracking: "1Z999AA10123456784" },
    });
    const shipments = await waitFor("the shipment confirmed to Walmart", 30_000, async () => {
      const shipped = walmart.order(first.purchaseOrderId).shipments;
      return shipped.length > 0 ? shipped : undefined;
    });
    expect(shipments).toEqual([expect.objectContaining({ quantity: 2, trackingInfo: expect.objectContaining({ trackingNumber: "1Z999AA10123456784", carrierName: { carrier: "UPS" } }) })]);
    // The lost answer was seen, and the confirmation sent again was recognised as landed rather than refused.
    const settled = await waitFor("the confirmation retried and settled", 30_000, async () => {
      const current = await status(rig.edge, store);
      return current.state === "idle" && current.lastError?.message.includes("shipment") ? current : undefined;
    });
    expect(settled.lastError?.message).toMatch(/^confirming shipment /);
    expect(walmart.order(first.purchaseOrderId).shipments).toHaveLength(1);
    expect(walmart.stats.violations).toBe(0);

    // The order's trace follows the shipment from the fulfilment to Walmart's confirmation, at the connection.
    const { traceId } = await edgeCall<{ traceId: string }>(rig.edge.url, "GET", `/v1/orders/${shelfsyncId}`, { key: store.adminKey });
    const hops = await waitFor("the shipment's hops in the order's trace", 30_000, async () => {
      const trace = await edgeCall<{ hops: { hop: string; where: string; detail: string | null }[] }>(rig.edge.url, "GET", `/v1/traces/${traceId}`, { key: store.adminKey });
      return trace.hops.some((hop) => hop.hop === "connector.shipment_confirmed") ? trace.hops : undefined;
    });
    const names = hops.map((hop) => hop.hop);
    expect(names.indexOf("order.fulfilled")).toBeLessThan(names.indexOf("connector.shipment_queued"));
    expect(names.indexOf("connector.shipment_queued")).toBeLessThan(names.indexOf("connector.shipment_confirmed"));
    expect(hops.find((hop) => hop.hop === "connector.shipment_confirmed")).toMatchObject({ where: connectionId, detail: `walmart order ${first.purchaseOrderId}` });
  });

  it("stops and says why when Walmart refuses the client credentials, and resumes with new ones", async () => {
    const seller = await connectedSeller(rig.edge, { CRED: 6 }, { connection: { clientSecret: "not-the-secret-0000" } });
    const refused = await waitFor("the connection to report the refusal", 30_000, async () => {
      const current = await status(rig.edge, seller.store);
      return current.state === "credentials_rejected" ? current : undefined;
    });
    expect(refused.lastError?.message).toMatch(/client id and secret/);
    await putConnection(rig.edge, seller, {});
    await converged(seller, rig.edge, { CRED: 6 });
  });
});
