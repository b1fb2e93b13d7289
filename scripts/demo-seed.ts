import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { edgeCall, edgeRequest } from "./edge-client.ts";

export interface DemoKeys {
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
}

/** The demo store that gets a store agent. */
export const demoStore = "store-001";

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
 * the SKUs; a few orders in different states. Safe to run at every start.
 */
export async function seedDemo(url: string, platformKey: string, keysFile: string): Promise<Demo> {
  const { keys, createdTenant } = await demoTenant(url, platformKey, keysFile);
  for (const { sku, name, barcode, price } of skus) {
    // A PUT that changes nothing keeps the item's place in the store feed.
    await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: keys.erp, body: { name, barcodes: [barcode], price, currency: "USD" } });
  }
  const placed: DemoOrder[] = [];
  for (const plan of orders) placed.push(await demoOrder(url, keys.web, plan));
  return { keys, createdTenant, orders: placed };
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
  // "demo", unless an earlier run created it and its keys file is gone.
  let tenantId = "demo";
  let created = await edgeRequest<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: platformKey, body: { id: tenantId, name: "Demo Outfitters" } });
  if (created.status === 409) {
    tenantId = `demo-${randomBytes(3).toString("hex")}`;
    created = await edgeRequest(url, "POST", "/v1/tenants", { key: platformKey, body: { id: tenantId, name: "Demo Outfitters" } });
  }
  if (created.status !== 201) throw new Error(`creating the demo tenant answered ${created.status}: ${JSON.stringify(created.body)}`);
  const admin = created.body.adminKey.key;
  for (const location of locations) await edgeCall(url, "PUT", `/v1/locations/${location.id}`, { key: admin, body: { type: location.type, name: location.name } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: ["wh-east", "store-001", "store-002"], bufferUnits: 2 } });
  await edgeCall(url, "PUT", "/v1/channels/amazon", { key: admin, body: { locations: ["wh-east"], maxPercent: 50 } });
  const key = async (body: Record<string, string>) => (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body })).key;
  const keys: DemoKeys = {
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
