import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Connection } from "../shared/schemas/connections.ts";
import { maskSecret } from "../shared/signatures.ts";
import { FakeShopifyAdmin, type AppliedAdjustment } from "../test-e2e/fakes/shopify-admin.ts";
import { edgeCall, edgeRequest } from "./edge-client.ts";

export interface DemoKeys {
  /** The demo partner that runs the demo tenant, and its admin key (absent from keys files written before the demo had a partner). */
  partner?: string;
  partnerKey?: string;
  tenant: string;
  admin: string;
  web: string;
  amazon: string;
  erp: string;
  readonly: string;
  /** The store agent's key, bound to store-001 (absent from keys files written before the demo had an agent). */
  store: string;
}

export interface DemoOrder {
  id: string;
  externalId: string;
  status: string;
}

export interface Demo {
  keys: DemoKeys;
  /** True when this run created the tenant (a fresh state, or a keys file that was gone). */
  createdTenant: boolean;
  orders: DemoOrder[];
  /** What this run did to the demo connection: created it, PUT it again because it pointed elsewhere, or found it as wanted. */
  connection: "created" | "updated" | "found";
}

/** The demo store that gets a store agent. */
export const demoStore = "store-001";
/** The demo's connection: the web channel's availability, pushed to the sandbox shop. */
export const demoConnection = "shopify-demo";
/** Fixed, so that a re-run finds the connection's credentials unchanged. */
const sandboxToken = "shpat_shelfsync_demo_sandbox";

const locations = [
  { id: "wh-east", type: "warehouse", name: "East DC" },
  { id: "store-001", type: "store", name: "Downtown" },
  { id: "store-002", type: "store", name: "Riverside Mall" },
] as const;

const skus = [
  { sku: "TSHIRT-RED-M", name: "T-shirt, red, M", barcode: "2000000000015", price: 1999, stock: { "wh-east": 120, "store-001": 14, "store-002": 9 } },
  { sku: "TSHIRT-RED-L", name: "T-shirt, red, L", barcode: "2000000000022", price: 1999, stock: { "wh-east": 80, "store-001": 6, "store-002": 0 } },
  { sku: "JEANS-SLIM-32", name: "Slim jeans, 32", barcode: "2000000000039", price: 5900, stock: { "wh-east": 40, "store-001": 3, "store-002": 5 } },
  { sku: "SNEAKER-WHT-42", name: "Sneaker, white, 42", barcode: "2000000000046", price: 8900, stock: { "wh-east": 0, "store-001": 2, "store-002": 1 } },
  { sku: "CAP-BLK", name: "Cap, black", barcode: "2000000000053", price: 1500, stock: { "wh-east": 300, "store-001": 25, "store-002": 18 } },
];

/**
 * Web orders that end in different states. What follows the order is done
 * only while the order is still as placed (`reserved`), so a re-run, which
 * gets the same order back by its externalId, changes nothing.
 */
const orders: { externalId: string; lines: [string, number][]; then?: "fulfil" | "fulfil first line" | "cancel" }[] = [
  { externalId: "DEMO-1001", lines: [["TSHIRT-RED-M", 1], ["CAP-BLK", 2]] },
  { externalId: "DEMO-1002", lines: [["JEANS-SLIM-32", 1], ["TSHIRT-RED-L", 2]], then: "fulfil first line" },
  { externalId: "DEMO-1003", lines: [["CAP-BLK", 1]], then: "fulfil" },
  { externalId: "DEMO-1004", lines: [["TSHIRT-RED-L", 1]], then: "cancel" },
  // More sneakers than the web channel may sell anywhere: backordered.
  { externalId: "DEMO-1005", lines: [["SNEAKER-WHT-42", 5]] },
];

/**
 * The demo, created where missing and left alone where present: the tenant
 * (locations, channels, keys, stock) unless the keys file says it exists and
 * its admin key still works; a store key for the agent; catalog items for
 * the SKUs; a few orders in different states; the connection of the web
 * channel to the sandbox `shop`. Safe to run at every start.
 */
export async function seedDemo(url: string, platformKey: string, keysFile: string, shop: DemoShop): Promise<Demo> {
  const { keys, createdTenant } = await demoTenant(url, platformKey, keysFile);
  for (const { sku, name, barcode, price } of skus) {
    // A PUT that changes nothing keeps the item's place in the store feed.
    await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: keys.erp, body: { name, barcodes: [barcode], price, currency: "USD" } });
  }
  const placed: DemoOrder[] = [];
  for (const plan of orders) placed.push(await demoOrder(url, keys.web, plan));
  return { keys, createdTenant, orders: placed, connection: await demoShopConnection(url, keys.admin, shop) };
}

/**
 * The demo connection, PUT when it is missing or points elsewhere than this
 * sandbox (another port, location or token); found as wanted, it is left
 * alone, enabled or not, so that a re-run changes nothing.
 */
async function demoShopConnection(url: string, admin: string, shop: DemoShop): Promise<Demo["connection"]> {
  const path = `/v1/connections/${demoConnection}`;
  const found = await edgeRequest<Connection>(url, "GET", path, { key: admin });
  if (found.status !== 200 && found.status !== 404) throw new Error(`GET ${path} answered ${found.status}: ${JSON.stringify(found.body)}`);
  const current = found.status === 200 ? found.body : null;
  const wanted = {
    type: "shopify" as const,
    channel: "web",
    settings: { shopDomain: "shelfsync-demo.myshopify.com", apiVersion: "2026-04", baseUrl: shop.url },
    credentials: { accessToken: shop.accessToken },
    locations: { pool: shop.pool },
    enabled: current?.enabled ?? true,
  };
  if (
    current?.type === "shopify" &&
    current.channel === wanted.channel &&
    current.settings.shopDomain === wanted.settings.shopDomain &&
    current.settings.apiVersion === wanted.settings.apiVersion &&
    current.settings.baseUrl === wanted.settings.baseUrl &&
    current.credentials.accessToken === maskSecret(shop.accessToken) &&
    current.locations.pool === wanted.locations.pool
  ) {
    return "found";
  }
  await edgeCall(url, "PUT", path, { key: admin, body: wanted });
  return current ? "updated" : "created";
}

export interface DemoShop {
  /** The connection's `baseUrl`. */
  url: string;
  accessToken: string;
  /** The sandbox location that receives the web channel's availability. */
  pool: string;
  /** False when the shop started empty, for want of a state file. */
  restored: boolean;
  /** The shop's `available` for a SKU at the pool. */
  available(sku: string): number;
  /** Stops the server, its stock saved. */
  stop(): Promise<void>;
}

interface DemoShopState {
  pool: string;
  items: Record<string, { inventoryItemId: string; available: number }>;
}

/**
 * The sandbox marketplace of `npm start`: the Shopify Admin test server on a
 * loopback port, with one location and a variant per demo SKU. Its stock is
 * saved to `stateFile` after every write and when it stops, as a real shop
 * keeps its inventory: after a restart it holds what the demo connection last
 * confirmed there, and the connection, which sends only what differs from
 * that, is right to send nothing. `onWrite` hears of every write applied.
 */
export async function startDemoShop(port: number, stateFile: string, onWrite: (line: string) => void): Promise<DemoShop> {
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as DemoShopState) : null;
  let shop: FakeShopifyAdmin;
  try {
    shop = await FakeShopifyAdmin.start({ port, accessToken: sandboxToken });
  } catch (error) {
    throw new Error(`the Shopify sandbox cannot listen on 127.0.0.1:${port} (${String(error)}); set SHELFSYNC_SHOP_PORT`);
  }
  // The test server numbers its ids in creation order: the same order gives the same ids, which the connection has stored.
  const pool = shop.addLocation("Shelfsync demo");
  const order = [...Object.keys(saved?.items ?? {}), ...skus.map((s) => s.sku).filter((sku) => !saved?.items[sku])];
  const items = new Map(order.map((sku) => [sku, shop.addVariant(sku)]));
  const mismatch = saved && (saved.pool !== pool || Object.entries(saved.items).some(([sku, item]) => items.get(sku) !== item.inventoryItemId));
  if (mismatch) {
    await shop.close();
    throw new Error(`${stateFile} names other ids than the sandbox gives; remove it to start the sandbox empty`);
  }
  for (const [sku, item] of Object.entries(saved?.items ?? {})) shop.setQuantity(sku, pool, item.available);
  const skuOf = new Map([...items].map(([sku, item]) => [item, sku]));
  const save = () => {
    const state: DemoShopState = { pool, items: Object.fromEntries([...items].map(([sku, inventoryItemId]) => [sku, { inventoryItemId, available: shop.available(sku, pool) }])) };
    writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  save();
  let seen = 0;
  const watch = setInterval(() => {
    const adjustments = shop.adjustments;
    if (adjustments.length === seen) return;
    for (const adjustment of adjustments.slice(seen)) onWrite(describeWrite(adjustment, skuOf));
    seen = adjustments.length;
    save();
  }, 250);
  return {
    url: shop.url,
    accessToken: shop.accessToken,
    pool,
    restored: saved !== null,
    available: (sku) => shop.available(sku, pool),
    stop: async () => {
      clearInterval(watch);
      save();
      await shop.close();
    },
  };
}

/** `TSHIRT-RED-M 0 → 124, CAP-BLK 0 → 290`: the `available` quantities one write set. */
function describeWrite(adjustment: AppliedAdjustment, skuOf: Map<string, string>): string {
  const changes = adjustment.changes.filter((c) => c.name === "available");
  const shown = changes.slice(0, 5).map((c) => `${skuOf.get(c.inventoryItemId) ?? c.inventoryItemId} ${c.quantityAfterChange - c.delta} → ${c.quantityAfterChange}`);
  return `${shown.join(", ")}${changes.length > 5 ? `, and ${changes.length - 5} more` : ""}`;
}

/** The host name the demo partner's brand is served on (browsers and curl send *.localhost to this machine). */
export const demoPartnerHost = "northwind.localhost";

/**
 * The demo partner, "Northwind Retail Ops", with its brand on
 * `demoPartnerHost`: "demo-partner", unless an earlier run made it and the
 * keys file with its key is gone.
 */
async function demoPartner(url: string, platformKey: string): Promise<{ id: string; key: string }> {
  let id = "demo-partner";
  const create = () => edgeRequest<{ adminKey: { key: string } }>(url, "POST", "/v1/partners", { key: platformKey, idempotencyKey: `demo-partner-${randomBytes(6).toString("hex")}`, body: { id, name: "Northwind Retail Ops" } });
  let created = await create();
  if (created.status === 409) {
    id = `demo-partner-${randomBytes(3).toString("hex")}`;
    created = await create();
  }
  if (created.status !== 201) throw new Error(`creating the demo partner answered ${created.status}: ${JSON.stringify(created.body)}`);
  const key = created.body.adminKey.key;
  // The host belongs to one partner: a partner of an earlier run may hold it, and then keeps it.
  await edgeRequest(url, "PUT", `/v1/partners/${id}/branding`, {
    key,
    body: { displayName: "Northwind Retail Ops", colors: { primary: "#1f4e79", accent: "#f2a900" }, support: { email: "support@northwind.example" }, hosts: [demoPartnerHost] },
  });
  return { id, key };
}

async function demoTenant(url: string, platformKey: string, keysFile: string): Promise<{ keys: DemoKeys; createdTenant: boolean }> {
  if (existsSync(keysFile)) {
    const keys = JSON.parse(readFileSync(keysFile, "utf8")) as Partial<DemoKeys> & Omit<DemoKeys, "store">;
    const check = await edgeRequest(url, "GET", "/v1/tenant", { key: keys.admin });
    if (check.status === 200) {
      if (keys.store) return { keys: { ...keys, store: keys.store }, createdTenant: false };
      const withStore = { ...keys, store: await storeKey(url, keys.admin) };
      writeFileSync(keysFile, `${JSON.stringify(withStore, null, 2)}\n`, { mode: 0o600 });
      return { keys: withStore, createdTenant: false };
    }
  }
  // The demo tenant belongs to a demo partner, as a retailer's tenant belongs to the integrator that runs it.
  const partner = await demoPartner(url, platformKey);
  // "demo", unless an earlier run created it and its keys file is gone.
  let tenantId = "demo";
  let created = await edgeRequest<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: partner.key, body: { id: tenantId, name: "Demo Outfitters" } });
  if (created.status === 409) {
    tenantId = `demo-${randomBytes(3).toString("hex")}`;
    created = await edgeRequest(url, "POST", "/v1/tenants", { key: partner.key, body: { id: tenantId, name: "Demo Outfitters" } });
  }
  if (created.status !== 201) throw new Error(`creating the demo tenant answered ${created.status}: ${JSON.stringify(created.body)}`);
  const admin = created.body.adminKey.key;
  for (const location of locations) await edgeCall(url, "PUT", `/v1/locations/${location.id}`, { key: admin, body: { type: location.type, name: location.name } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: ["wh-east", "store-001", "store-002"], bufferUnits: 2 } });
  await edgeCall(url, "PUT", "/v1/channels/amazon", { key: admin, body: { locations: ["wh-east"], maxPercent: 50 } });
  const key = async (body: Record<string, string>) => (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body })).key;
  const keys: DemoKeys = {
    partner: partner.id,
    partnerKey: partner.key,
    tenant: tenantId,
    admin,
    web: await key({ role: "channel", channel: "web", name: "Web shop" }),
    amazon: await key({ role: "channel", channel: "amazon", name: "Amazon poller" }),
    erp: await key({ role: "erp", name: "ERP feed" }),
    readonly: await key({ role: "readonly", name: "Dashboard" }),
    store: await storeKey(url, admin),
  };
  for (const { sku, stock } of skus) {
    for (const [location, onHand] of Object.entries(stock)) {
      await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: keys.erp, body: { onHand, safetyStock: location === "wh-east" ? 5 : 1 } });
    }
  }
  await edgeCall(url, "POST", "/v1/inventory/TSHIRT-RED-M/reservations", { key: keys.web, body: { qty: 2, channel: "web", reference: "web-order-1001" } });
  await edgeCall(url, "POST", "/v1/inventory/CAP-BLK/reservations", { key: keys.web, body: { qty: 1, channel: "web", location: "store-001", reference: "click-collect-1002", ttlSeconds: 86_400 } });
  writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return { keys, createdTenant: true };
}

async function storeKey(url: string, admin: string): Promise<string> {
  return (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body: { role: "store", location: demoStore, name: `Store agent ${demoStore}` } })).key;
}

interface PlacedOrder {
  id: string;
  status: string;
  allocations: { sku: string; location: string; held: number }[];
}

/** Places the order (or gets it back by its externalId) and, if it is still as placed, takes it to its demo state. */
async function demoOrder(url: string, key: string, plan: (typeof orders)[number]): Promise<DemoOrder> {
  const body = {
    channel: "web",
    externalId: plan.externalId,
    currency: "USD",
    lines: plan.lines.map(([sku, qty]) => ({ sku, qty, unitPrice: skus.find((s) => s.sku === sku)!.price })),
    delivery: { type: "ship", address: { name: "Demo Customer", line1: "1 Main St", city: "Springfield", country: "US" } },
  };
  let order = await edgeCall<PlacedOrder>(url, "POST", "/v1/orders", { key, body, idempotencyKey: `demo-order-${plan.externalId}` });
  if (order.status === "reserved" && plan.then) {
    const path = `/v1/orders/${order.id}`;
    const idempotencyKey = `demo-${plan.then.replaceAll(" ", "-")}-${plan.externalId}`;
    if (plan.then === "cancel") {
      order = await edgeCall(url, "POST", `${path}/cancel`, { key, body: { reason: "customer changed their mind" }, idempotencyKey });
    } else {
      const [firstSku] = plan.lines[0]!;
      const held = order.allocations.filter((a) => a.held > 0 && (plan.then === "fulfil" || a.sku === firstSku));
      // One fulfilment per location the order was routed to.
      for (const location of new Set(held.map((a) => a.location))) {
        const lines = held.filter((a) => a.location === location).map((a) => ({ sku: a.sku, qty: a.held }));
        order = await edgeCall(url, "POST", `${path}/fulfillments`, { key, body: { location, lines, carrier: "UPS" }, idempotencyKey: `${idempotencyKey}-${location}` });
      }
    }
  }
  return { id: order.id, externalId: plan.externalId, status: order.status };
}
