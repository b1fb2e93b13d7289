import { describe, expect, it, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { StoreFeedPage } from "../shared/schemas/catalog.ts";
import { connectionStatus, skusOf, webAvailability } from "./connection-fixtures.ts";
import { FakeAmazon } from "./fakes/amazon.ts";
import { FakeShopifyAdmin } from "./fakes/shopify-admin.ts";
import { FakeWalmart } from "./fakes/walmart.ts";
import { location, otherLocation, seedStore, useEdge, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/*
 * A connection that maps the channel's pool to one remote location and a
 * store (store-002) to another, from a real edge (Miniflare) to each remote's
 * test server: the pool's remote location holds the channel's availability,
 * the store's holds the store's own available units, and a store taken out of
 * the mapping gets nothing more. The catch-up alarm is set to 10 minutes, so
 * every change arrives by the availability index's nudge (the channel's, or,
 * for a store outside the channel's pool, the store's own).
 */

const rig = useEdge("connection-locations", { CONNECTION_CATCH_UP_SECONDS: "600" });
const connectionId = "by-location";
const store = otherLocation;
const warehouse = Object.fromEntries(skusOf(6, "LOC").map((sku, i) => [sku, 5 + i]));
const atStore = Object.fromEntries(skusOf(6, "LOC").map((sku, i) => [sku, 4 + 2 * i]));
const safetyStock = 2;

/** How a test reads each remote location, and (re)configures the connection with or without the store's mapping. */
interface RemoteRig {
  tenant: SeededStore;
  pool: (sku: string) => number | null;
  atStore: (sku: string) => number | null;
  connect: (withStore: boolean) => Promise<unknown>;
  violations: () => number;
  /** Whether store-002 is in the web channel's pool too (its sales then move both figures). */
  storeInPool: boolean;
  /** Checks made once both remote locations first hold their figures. */
  afterFirstPush?: () => void;
}

/** available at the store: on hand less safety stock (nothing reserved here). */
const storeAvailable = (onHand: number) => Math.max(0, onHand - safetyStock);
const availableAtStore = (storeOnHand: Record<string, number>) => Object.fromEntries(Object.entries(storeOnHand).map(([sku, onHand]) => [sku, storeAvailable(onHand)]));

/**
 * A tenant whose `web` channel pools store-001 (and store-002 if
 * `storeInPool`) less a buffer of 1, store-001 holding `warehouse` of each
 * SKU and store-002 `atStore` (safety stock 2): the pool and the store have
 * different figures. Returns once the edge's read models hold them all.
 */
async function seedTenant(edge: EdgeHost, storeInPool: boolean): Promise<SeededStore> {
  const tenant = await seedStore(edge.url, warehouse);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: storeInPool ? [location, store] : [location], bufferUnits: 1 } });
  for (const [sku, onHand] of Object.entries(atStore)) await setStoreStock(edge, tenant, sku, onHand);
  await readModelsHold(edge, tenant, storeInPool, atStore);
  return tenant;
}

function setStoreStock(edge: EdgeHost, tenant: SeededStore, sku: string, onHand: number) {
  return edgeCall(edge.url, "PUT", `/v1/inventory/${sku}/locations/${store}`, { key: tenant.adminKey, body: { onHand, safetyStock } });
}

/** The web channel's figure of each SKU with store-002 holding `storeOnHand`: the pool's available units less the buffer of 1. */
function poolFigures(storeInPool: boolean, storeOnHand: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(warehouse).map(([sku, onHand]) => [sku, onHand + (storeInPool ? storeAvailable(storeOnHand[sku]!) : 0) - 1]));
}

/** Waits until the web channel's figures and store-002's stock feed reflect `storeOnHand` (the index trails the SKU objects). */
async function readModelsHold(edge: EdgeHost, tenant: SeededStore, storeInPool: boolean, storeOnHand: Record<string, number>): Promise<void> {
  const expected = poolFigures(storeInPool, storeOnHand);
  await waitFor("the edge's read models to hold the stock", 30_000, async () => {
    const channel = await webAvailability(edge, tenant, Object.keys(expected));
    if (Object.entries(expected).some(([sku, available]) => channel.get(sku) !== available)) return undefined;
    const feed = await edgeCall<StoreFeedPage>(edge.url, "GET", `/v1/stores/${store}/feed?limit=1000`, { key: tenant.otherStoreKey });
    const stock = new Map(feed.entries.flatMap((entry) => (entry.kind === "stock" ? [[entry.stock.sku, entry.stock.onHand] as const] : [])));
    return Object.entries(storeOnHand).every(([sku, onHand]) => stock.get(sku) === onHand) ? true : undefined;
  });
}

/** Waits until the pool's remote location holds `pool`, the store's `atStoreFigures` (a SKU left out: not checked), and nothing is pending. */
async function converged(edge: EdgeHost, remote: RemoteRig, pool: Record<string, number>, atStoreFigures: Record<string, number>): Promise<void> {
  await waitFor("the pool's and the store's remote locations to hold their figures", 60_000, async () => {
    if (Object.entries(pool).some(([sku, quantity]) => remote.pool(sku) !== quantity)) return undefined;
    if (Object.entries(atStoreFigures).some(([sku, quantity]) => remote.atStore(sku) !== quantity)) return undefined;
    const status = await connectionStatus(edge, remote.tenant, connectionId);
    return status.pending.skus === 0 ? status : undefined;
  });
}

/** The scenario every remote goes through. */
async function publishesEachLocation(edge: EdgeHost, remote: RemoteRig): Promise<void> {
  const skus = Object.keys(warehouse);
  const storeOnHand = { ...atStore };
  await remote.connect(true);
  // The pool's remote location holds the channel's figure (its buffer applied), the store's its own units.
  await converged(edge, remote, poolFigures(remote.storeInPool, storeOnHand), availableAtStore(storeOnHand));
  remote.afterFirstPush?.();

  // Sales at the store: its own remote location follows (and the pool's, if the store is in it).
  Object.assign(storeOnHand, { [skus[0]!]: 1, [skus[1]!]: 9 });
  for (const sku of [skus[0]!, skus[1]!]) await setStoreStock(edge, remote.tenant, sku, storeOnHand[sku]!);
  await converged(edge, remote, poolFigures(remote.storeInPool, storeOnHand), availableAtStore(storeOnHand));
  expect([remote.atStore(skus[0]!), remote.atStore(skus[1]!)]).toEqual([0, 7]);
  const status = await connectionStatus(edge, remote.tenant, connectionId);
  expect(status.pending).toMatchObject({ skus: 0, pool: 0, byLocation: { [store]: 0 } });
  expect(status.lastError).toBeNull();

  // The store taken out of the mapping: its remote location keeps what it had and gets nothing more.
  await remote.connect(false);
  storeOnHand[skus[1]!] = 30;
  await setStoreStock(edge, remote.tenant, skus[1]!, 30);
  await readModelsHold(edge, remote.tenant, remote.storeInPool, storeOnHand);
  await converged(edge, remote, poolFigures(remote.storeInPool, storeOnHand), {});
  expect(remote.atStore(skus[1]!)).toBe(7);
  expect((await connectionStatus(edge, remote.tenant, connectionId)).pending).toEqual(expect.objectContaining({ byLocation: {} }));
  expect(remote.violations()).toBe(0);
}

describe("a connection mapping a store to a remote location of its own", () => {
  it("on Shopify, the store outside the channel's pool: one inventorySetQuantities carries both locations' quantities", async () => {
    const shop = await FakeShopifyAdmin.start();
    onTestFinished(() => shop.close());
    const tenant = await seedTenant(rig.edge, false);
    const [poolLocation, storeLocation] = [shop.addLocation("Online store"), shop.addLocation("Store 002")];
    for (const sku of Object.keys(warehouse)) shop.addVariant(sku);
    const connect = (withStore: boolean) =>
      edgeCall(rig.edge.url, "PUT", `/v1/connections/${connectionId}`, {
        key: tenant.adminKey,
        body: {
          type: "shopify",
          channel: "web",
          settings: { shopDomain: "e2e-outfitters.myshopify.com", apiVersion: "2026-04", baseUrl: shop.url },
          credentials: { accessToken: shop.accessToken },
          locations: withStore ? { pool: poolLocation, byLocation: { [store]: storeLocation } } : { pool: poolLocation },
          enabled: true,
        },
      });
    await publishesEachLocation(rig.edge, {
      tenant,
      pool: (sku) => shop.available(sku, poolLocation),
      atStore: (sku) => shop.available(sku, storeLocation),
      connect,
      violations: () => shop.stats.violations,
      storeInPool: false,
      // 12 quantities (6 SKUs at 2 locations) in one call.
      afterFirstPush: () => {
        expect(shop.stats.writes).toBe(1);
        expect(new Set(shop.adjustments[0]!.changes.map((change) => change.locationId))).toEqual(new Set([poolLocation, storeLocation]));
      },
    });
  });

  it("on Walmart: one MP_INVENTORY item lists both ship nodes, then single updates per ship node", async () => {
    const walmart = await FakeWalmart.start({ inventoryCallsPerMinute: 600, inventoryBurst: 600 });
    onTestFinished(() => walmart.close());
    walmart.addShipNode("STORE002");
    const tenant = await seedTenant(rig.edge, true);
    for (const sku of Object.keys(warehouse)) walmart.addItem(sku);
    const connect = (withStore: boolean) =>
      edgeCall(rig.edge.url, "PUT", `/v1/connections/${connectionId}`, {
        key: tenant.adminKey,
        body: {
          type: "walmart",
          channel: "web",
          // 12 rows (6 SKUs, 2 targets) go out as a feed; a sale's 2 rows as single updates.
          settings: { baseUrl: walmart.url, feedThreshold: 4, inventoryCallsPerMinute: 600, pullOrders: false },
          credentials: { clientId: walmart.clientId, clientSecret: walmart.clientSecret },
          locations: withStore ? { pool: walmart.defaultShipNode, byLocation: { [store]: "STORE002" } } : { pool: walmart.defaultShipNode },
          enabled: true,
        },
      });
    await publishesEachLocation(rig.edge, {
      tenant,
      pool: (sku) => walmart.quantity(sku, walmart.defaultShipNode),
      atStore: (sku) => walmart.quantity(sku, "STORE002"),
      connect,
      violations: () => walmart.stats.violations,
      storeInPool: true,
      afterFirstPush: () => expect(walmart.stats).toMatchObject({ feedsSubmitted: 1, itemsApplied: 6, inventoryWrites: 0 }),
    });
    // Two sales at 2 targets each, then the pool alone: 5 single updates, no other feed.
    expect(walmart.stats).toMatchObject({ feedsSubmitted: 1, inventoryWrites: 5 });
  });

  it("on Amazon: one patch or feed message per SKU carries both fulfillment channel codes", async () => {
    const amazon = await FakeAmazon.start();
    onTestFinished(() => amazon.close());
    const tenant = await seedTenant(rig.edge, true);
    const sellerId = amazon.seller.sellerId;
    for (const sku of Object.keys(warehouse)) amazon.addListing(sellerId, sku, "SHIRT");
    const connect = (withStore: boolean) =>
      edgeCall(rig.edge.url, "PUT", `/v1/connections/${connectionId}`, {
        key: tenant.adminKey,
        body: {
          type: "amazon",
          channel: "web",
          settings: { sellerId, marketplaceIds: [amazon.marketplaceId], region: "na", baseUrl: amazon.url, tokenUrl: `${amazon.url}/auth/o2/token`, feedThreshold: 4, pullOrders: false },
          credentials: { refreshToken: amazon.seller.refreshToken, clientId: amazon.seller.clientId, clientSecret: amazon.seller.clientSecret },
          locations: withStore ? { pool: "DEFAULT", byLocation: { [store]: "STORE_002" } } : { pool: "DEFAULT" },
          enabled: true,
        },
      });
    await publishesEachLocation(rig.edge, {
      tenant,
      pool: (sku) => amazon.quantity(sellerId, sku, "DEFAULT"),
      atStore: (sku) => amazon.quantity(sellerId, sku, "STORE_002"),
      connect,
      violations: () => amazon.stats.violations,
      storeInPool: true,
      // The first push: one feed, one message per SKU carrying both codes.
      afterFirstPush: () => expect(amazon.stats).toMatchObject({ feedsCreated: 1, messagesApplied: 6, patches: 0 }),
    });
    // Each sale: one patch per SKU with both codes; the last change, with the store unmapped, the pool's code alone.
    expect(amazon.stats).toMatchObject({ feedsCreated: 1, patches: 3 });
  });
});
