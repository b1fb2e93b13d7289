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
}

const locations = [
  { id: "wh-east", type: "warehouse", name: "East DC" },
  { id: "store-001", type: "store", name: "Downtown" },
  { id: "store-002", type: "store", name: "Riverside Mall" },
] as const;

const skus = [
  { sku: "TSHIRT-RED-M", stock: { "wh-east": 120, "store-001": 14, "store-002": 9 } },
  { sku: "TSHIRT-RED-L", stock: { "wh-east": 80, "store-001": 6, "store-002": 0 } },
  { sku: "JEANS-SLIM-32", stock: { "wh-east": 40, "store-001": 3, "store-002": 5 } },
  { sku: "SNEAKER-WHT-42", stock: { "wh-east": 0, "store-001": 2, "store-002": 1 } },
  { sku: "CAP-BLK", stock: { "wh-east": 300, "store-001": 25, "store-002": 18 } },
];

/**
 * Creates the demo tenant (locations, channels, keys, stock) unless the keys
 * file says it exists and its admin key still works. Returns the keys.
 */
export async function seedDemo(url: string, platformKey: string, keysFile: string): Promise<DemoKeys> {
  if (existsSync(keysFile)) {
    const keys = JSON.parse(readFileSync(keysFile, "utf8")) as DemoKeys;
    const check = await edgeRequest(url, "GET", "/v1/tenant", { key: keys.admin });
    if (check.status === 200) return keys;
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
  };
  for (const { sku, stock } of skus) {
    for (const [location, onHand] of Object.entries(stock)) {
      await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: keys.erp, body: { onHand, safetyStock: location === "wh-east" ? 5 : 1 } });
    }
  }
  await edgeCall(url, "POST", "/v1/inventory/TSHIRT-RED-M/reservations", { key: keys.web, body: { qty: 2, channel: "web", reference: "web-order-1001" } });
  await edgeCall(url, "POST", "/v1/inventory/CAP-BLK/reservations", { key: keys.web, body: { qty: 1, channel: "web", location: "store-001", reference: "click-collect-1002", ttlSeconds: 86_400 } });
  writeFileSync(keysFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}
