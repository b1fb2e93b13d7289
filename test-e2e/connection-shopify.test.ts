import { onTestFinished, describe, expect, it } from "vitest";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import type { ExceptionRecord } from "../shared/schemas/exceptions.ts";
import { connectionStatus, converged as convergedOn, setStock, skusOf } from "./connection-fixtures.ts";
import { FakeShopifyAdmin, type FakeShopifyAdminOptions } from "./fakes/shopify-admin.ts";
import { location, seededRandom, seedStore, testSeed, useEdge, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";
import { shopifyId, shopifyOrder, shopifySignature, toShopifyJson } from "../test/shopify-payloads.ts";

/*
 * A connection from a real edge (Miniflare) to a Shopify test server that
 * speaks Admin GraphQL and enforces its cost bucket: Shelfsync's web channel
 * availability must end up on Shopify, within the budget, once per change.
 */

const rig = useEdge("connection-shopify");
const connectionId = "shopify-main";

interface ShopRig {
  store: SeededStore;
  shop: FakeShopifyAdmin;
  pool: string;
}

/** A tenant whose `web` channel is store-001's stock, a shop with a variant per SKU (but `without`), and a connection between them. */
async function connectedShop(edge: EdgeHost, stock: Record<string, number>, options: { shop?: FakeShopifyAdminOptions; without?: string[]; accessToken?: string } = {}): Promise<ShopRig> {
  const shop = await FakeShopifyAdmin.start(options.shop);
  onTestFinished(() => shop.close());
  const store = await seedStore(edge.url, stock);
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location], bufferUnits: 0 } });
  const pool = shop.addLocation("Online store");
  for (const sku of Object.keys(stock)) if (!options.without?.includes(sku)) shop.addVariant(sku);
  await putConnection(edge, store, shop, pool, options.accessToken ?? shop.accessToken);
  return { store, shop, pool };
}

function putConnection(edge: EdgeHost, store: SeededStore, shop: FakeShopifyAdmin, pool: string, accessToken: string) {
  return edgeCall(edge.url, "PUT", `/v1/connections/${connectionId}`, {
    key: store.adminKey,
    body: { type: "shopify", channel: "web", settings: { shopDomain: "e2e-outfitters.myshopify.com", apiVersion: "2026-04", baseUrl: shop.url }, credentials: { accessToken }, locations: { pool }, enabled: true },
  });
}

function status(edge: EdgeHost, store: SeededStore): Promise<ConnectionStatus> {
  return connectionStatus(edge, store, connectionId);
}

/** Waits until the web channel's availability of every SKU is `expected`, the shop holds the same, and nothing is pending. */
function converged({ store, shop, pool }: ShopRig, edge: EdgeHost, expected: Record<string, number>, timeoutMs = 60_000): Promise<void> {
  return convergedOn(edge, store, connectionId, expected, (sku) => shop.available(sku, pool), timeoutMs);
}

/** The tenant's Shopify webhooks bring the shop's orders onto `web`: the orders whose fulfilments the connection confirms. */
async function receiveShopifyOrders(edge: EdgeHost, store: SeededStore): Promise<string> {
  const webhookSecret = `shpss_e2e_${Date.now().toString(36)}`;
  await edgeCall(edge.url, "PUT", "/v1/integrations/shopify", { key: store.adminKey, body: { webhookSecret, channel: "web" } });
  return webhookSecret;
}

/** Delivers orders/create for `lines` as Shopify would (signed raw body); returns Shelfsync's order id. */
async function shopifyOrderArrives(edge: EdgeHost, store: SeededStore, secret: string, id: string, lines: { sku: string; quantity: number }[]): Promise<string> {
  const body = toShopifyJson(shopifyOrder({ id, lines: lines.map((line) => ({ ...line, price: "10.00" })) }));
  const response = await fetch(`${edge.url}/v1/webhooks/shopify/${store.tenantId}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-webhook-id": crypto.randomUUID(),
      "x-shopify-event-id": crypto.randomUUID(),
      "x-shopify-shop-domain": "e2e-outfitters.myshopify.com",
      "x-shopify-triggered-at": new Date().toISOString(),
      "x-shopify-hmac-sha256": await shopifySignature(secret, body),
    },
    body,
  });
  const answer = (await response.json()) as { status: string; summary: { orderId: string } };
  expect(answer.status, JSON.stringify(answer)).toBe("applied");
  return answer.summary.orderId;
}

describe("a Shopify connection", () => {
  it("publishes the channel's availability and keeps it there as stock moves, within the cost bucket", async () => {
    const started = Date.now();
    const random = seededRandom(testSeed("connection-shopify"));
    const stock = Object.fromEntries(skusOf(60, "CONV").map((sku) => [sku, Math.floor(random() * 50)]));
    const skus = Object.keys(stock);
    const rig0 = await connectedShop(rig.edge, stock);
    await converged(rig0, rig.edge, stock);
    for (let round = 0; round < 3; round++) {
      for (const sku of skus.filter(() => random() < 0.5)) {
        stock[sku] = Math.floor(random() * 50);
        await setStock(rig.edge, rig0.store, sku, stock[sku]);
      }
      await converged(rig0, rig.edge, stock);
    }
    const after = await status(rig.edge, rig0.store);
    expect(rig0.shop.stats.violations).toBe(0);
    expect(rig0.shop.violations).toEqual([]);
    expect(after).toMatchObject({ state: expect.stringMatching(/^(idle|syncing)$/), pending: { skus: 0, oldestAgeSeconds: null }, lastError: null });
    expect(after.lastHour.skusConfirmed).toBeGreaterThanOrEqual(skus.length);
    expect(after.lastHour.remoteWrites).toBe(rig0.shop.stats.writes);
    // Every confirmation is one lag sample, and no lag outlasts the test (the histogram reads at most 1/16 high).
    expect(after.syncLagMs.samples).toBe(after.lastHour.skusConfirmed);
    expect(after.syncLagMs.p50).toBeGreaterThan(0);
    expect(after.syncLagMs.p99).toBeGreaterThanOrEqual(after.syncLagMs.p50!);
    expect(after.syncLagMs.p99).toBeLessThanOrEqual(((Date.now() - started) * 17) / 16);
  });

  it("converges after two thousand random changes while Shopify fails, loses answers, hangs and sells behind its back", async () => {
    const random = seededRandom(testSeed("connection-shopify-faults"));
    const stock = Object.fromEntries(skusOf(200, "FAULT").map((sku) => [sku, Math.floor(random() * 40)]));
    const skus = Object.keys(stock);
    const shopRig = await connectedShop(rig.edge, stock);
    await converged(shopRig, rig.edge, stock);
    const faults: (() => void | Promise<void>)[] = [
      () => shopRig.shop.injectFault({ kind: "status", status: 503 }, 3),
      () => shopRig.shop.injectFault({ kind: "cut-after-apply" }),
      // Sales on the shop behind Shelfsync's back are noticed at the SKU's next write (a stale changeFromQuantity),
      // not before (no periodic read-back, decision 0015): each of those SKUs gets a new value, written before the round.
      async () => {
        const sold = skus.slice(0, 10);
        for (const sku of sold) shopRig.shop.setQuantity(sku, shopRig.pool, 99);
        for (const sku of sold) {
          stock[sku] = (stock[sku]! + 1) % 40;
          await setStock(rig.edge, shopRig.store, sku, stock[sku]);
        }
        await converged(shopRig, rig.edge, Object.fromEntries(sold.map((sku) => [sku, stock[sku]!])));
      },
      () => shopRig.shop.injectFault({ kind: "hang", apply: true }),
      () => shopRig.shop.injectFault({ kind: "status", status: 500 }, 2),
    ];
    for (const fault of faults) {
      await fault();
      const changes = Array.from({ length: 400 }, () => ({ skuIndex: Math.floor(random() * skus.length), onHand: Math.floor(random() * 40) }));
      // Eight senders, each with its own SKUs: one SKU's changes are applied in the order drawn, so the last one drawn is its value.
      const send = async (sender: number) => {
        for (const { skuIndex, onHand } of changes.filter((change) => change.skuIndex % 8 === sender)) {
          stock[skus[skuIndex]!] = onHand;
          await setStock(rig.edge, shopRig.store, skus[skuIndex]!, onHand);
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, sender) => send(sender)));
    }
    await converged(shopRig, rig.edge, stock, 120_000);
    expect(shopRig.shop.stats.violations).toBe(0);
    // A key Shopify applied once is never applied again: a resend after a lost answer is replayed, not repeated.
    const appliedKeys = shopRig.shop.idempotencyKeys.filter((use) => use.outcome === "applied").map((use) => use.key);
    expect(new Set(appliedKeys).size).toBe(appliedKeys.length);
    expect(shopRig.shop.idempotencyKeys.some((use) => use.outcome === "replayed")).toBe(true);
  });

  it("coalesces: a thousand changes of one SKU within a couple of seconds make a handful of writes", async () => {
    const shopRig = await connectedShop(rig.edge, { HOT: 500 });
    await converged(shopRig, rig.edge, { HOT: 500 });
    const writesBefore = shopRig.shop.stats.writes;
    let next = 0;
    const adjust = async () => {
      while (next < 1_000) {
        const i = next++;
        const answer = await edgeRequest(rig.edge.url, "POST", "/v1/inventory/HOT/adjustments", { key: shopRig.store.adminKey, body: { location, delta: i % 2 === 0 ? -1 : 2, reason: "count", reference: `burst-${i}` } });
        expect(answer.status).toBe(201);
      }
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 32 }, adjust));
    const burstMs = Date.now() - started;
    await converged(shopRig, rig.edge, { HOT: 1_000 });
    const writes = shopRig.shop.stats.writes - writesBefore;
    // The read model publishes at most every 200 ms and the connection waits 100 ms after a nudge: a few writes a second.
    expect(writes, `${writes} writes for 1,000 changes in ${burstMs} ms`).toBeLessThanOrEqual(Math.max(5, Math.ceil(burstMs / 100)));
    expect(shopRig.shop.stats.violations).toBe(0);
  });

  it("sends a write whose answer was lost again under the same key, and Shopify applies it once", async () => {
    const shopRig = await connectedShop(rig.edge, { LOST: 10 });
    await converged(shopRig, rig.edge, { LOST: 10 });
    shopRig.shop.injectFault({ kind: "cut-after-apply" });
    await setStock(rig.edge, shopRig.store, "LOST", 7);
    await converged(shopRig, rig.edge, { LOST: 7 });
    const uses = shopRig.shop.idempotencyKeys.filter((use) => JSON.stringify(use.input).includes('"quantity":7'));
    expect(uses.map((use) => use.outcome)).toEqual(["applied", "replayed"]);
    expect(uses[1]!.key).toBe(uses[0]!.key);
    expect(uses[1]!.input).toEqual(uses[0]!.input);
    expect(shopRig.shop.adjustments.filter((adjustment) => adjustment.idempotencyKey === uses[0]!.key)).toHaveLength(1);
  });

  it("loses nothing and applies nothing twice when the edge dies while a write is unanswered", async () => {
    const shopRig = await connectedShop(rig.edge, { CRASH: 10 });
    await converged(shopRig, rig.edge, { CRASH: 10 });
    // Shopify applies the write, and the answer never comes: the process dies waiting for it.
    shopRig.shop.injectFault({ kind: "hang", apply: true });
    await setStock(rig.edge, shopRig.store, "CRASH", 4);
    await waitFor("Shopify to apply the write", 15_000, async () => (shopRig.shop.available("CRASH", shopRig.pool) === 4 ? true : undefined));
    await rig.edge.stop();
    await rig.edge.start();
    // Nothing else changes: the connection's own alarm sends the write again.
    await converged(shopRig, rig.edge, { CRASH: 4 });
    const uses = shopRig.shop.idempotencyKeys.filter((use) => JSON.stringify(use.input).includes('"quantity":4'));
    expect(uses.map((use) => use.outcome)).toEqual(["applied", "replayed"]);
    expect(new Set(uses.map((use) => use.key)).size).toBe(1);
    expect(shopRig.shop.adjustments.filter((adjustment) => adjustment.idempotencyKey === uses[0]!.key)).toHaveLength(1);
  });

  it("reads back a quantity someone changed on Shopify (stale changeFromQuantity) and sets Shelfsync's value", async () => {
    const shopRig = await connectedShop(rig.edge, { STALE: 10 });
    await converged(shopRig, rig.edge, { STALE: 10 });
    shopRig.shop.setQuantity("STALE", shopRig.pool, 3);
    await setStock(rig.edge, shopRig.store, "STALE", 12);
    await converged(shopRig, rig.edge, { STALE: 12 });
    const outcomes = shopRig.shop.idempotencyKeys.map((use) => use.outcome);
    expect(outcomes).toContain("refused");
    expect(outcomes.at(-1)).toBe("applied");
  });

  it("turns a SKU Shopify does not have into an exception, and pushes it once the replay finds it", async () => {
    const shopRig = await connectedShop(rig.edge, { KNOWN: 5, MISSING: 8 }, { without: ["MISSING"] });
    await converged(shopRig, rig.edge, { KNOWN: 5 });
    const exception = await waitFor("the channel_sku_unmapped exception", 30_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_sku_unmapped", { key: shopRig.store.adminKey });
      return page.exceptions[0];
    });
    expect(exception).toMatchObject({ type: "channel_sku_unmapped", state: "open", payload: { connection: connectionId, sku: "MISSING", channel: "web", remote: "shopify" } });
    expect((await status(rig.edge, shopRig.store)).pending.skus).toBe(0);

    shopRig.shop.addVariant("MISSING");
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${exception.id}/replay`, { key: shopRig.store.adminKey, body: {} });
    expect(replay).toMatchObject({ outcome: "resolved" });
    expect(shopRig.shop.available("MISSING", shopRig.pool)).toBe(8);
  });

  it("stays inside a small bucket with hundreds of SKUs: zero throttled answers", async () => {
    const stock = Object.fromEntries(skusOf(300, "BUDGET").map((sku, i) => [sku, i % 17]));
    const shopRig = await connectedShop(rig.edge, stock, { shop: { maximumAvailable: 200, restoreRate: 50 } });
    await converged(shopRig, rig.edge, stock, 90_000);
    expect(shopRig.shop.stats).toMatchObject({ violations: 0, throttled: 0 });
    const budget = (await status(rig.edge, shopRig.store)).budget;
    expect(budget).toMatchObject({ limit: 200, restoreRate: 50 });
  });

  it("repopulates a shop emptied behind its back when asked to resync, and a new shop when the connection moves there", async () => {
    const stock = { MOVE_A: 6, MOVE_B: 9 };
    const shopRig = await connectedShop(rig.edge, stock);
    await converged(shopRig, rig.edge, stock);
    for (const sku of Object.keys(stock)) shopRig.shop.setQuantity(sku, shopRig.pool, 0);
    const resync = await edgeRequest(rig.edge.url, "POST", `/v1/connections/${connectionId}/resync`, { key: shopRig.store.adminKey });
    expect(resync.status).toBe(202);
    await converged(shopRig, rig.edge, stock);

    // Another shop: its own item ids, its own figures; nothing is taken for confirmed there.
    const next = await FakeShopifyAdmin.start();
    onTestFinished(() => next.close());
    const pool = next.addLocation("New store");
    // Items of its own first, so that the old shop's item ids name other items here.
    for (const sku of ["ELSEWHERE-1", "ELSEWHERE-2", "ELSEWHERE-3"]) next.addVariant(sku);
    for (const sku of Object.keys(stock)) next.addVariant(sku);
    await putConnection(rig.edge, shopRig.store, next, pool, next.accessToken);
    await converged({ ...shopRig, shop: next, pool }, rig.edge, stock);
    expect(next.stats.violations).toBe(0);
    expect(["ELSEWHERE-1", "ELSEWHERE-2", "ELSEWHERE-3"].map((sku) => next.available(sku, pool))).toEqual([0, 0, 0]);
    const unmapped = await edgeCall<{ exceptions: unknown[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_sku_unmapped", { key: shopRig.store.adminKey });
    expect(unmapped.exceptions).toEqual([]);
  });

  it("confirms each fulfilment of a Shopify order to the shop once, with carrier and tracking, though the shop's answer to one is lost", async () => {
    const shopRig = await connectedShop(rig.edge, { SHIP: 10 });
    const { shop, store } = shopRig;
    const secret = await receiveShopifyOrders(rig.edge, store);
    const remoteId = shopifyId();
    shop.orders.add(remoteId, [{ sku: "SHIP", qty: 3 }]);
    const orderId = await shopifyOrderArrives(rig.edge, store, secret, remoteId, [{ sku: "SHIP", quantity: 3 }]);

    // Shopify ships the first fulfilment, and its answer never arrives (the connection is cut after it applied).
    shop.injectFault({ kind: "cut-after-apply" }, 1, /fulfillmentCreate/);
    const fulfil = (qty: number, tracking: string) =>
      edgeCall(rig.edge.url, "POST", `/v1/orders/${orderId}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku: "SHIP", qty }], carrier: "UPS", tracking } });
    await fulfil(1, "1Z999AA10123456784");
    await fulfil(1, "1Z999AA10123456785");
    // Confirmations go out in the order they were recorded: the second is sent only once the first is settled.
    await waitFor("both fulfilments on Shopify", 30_000, async () => (shop.orders.fulfillments.some((f) => f.number === "1Z999AA10123456785") ? true : undefined));
    expect(shop.orders.fulfillments.map(({ lines, company, number, notifyCustomer }) => ({ lines, company, number, notifyCustomer }))).toEqual([
      { lines: [{ sku: "SHIP", qty: 1 }], company: "UPS", number: "1Z999AA10123456784", notifyCustomer: true },
      { lines: [{ sku: "SHIP", qty: 1 }], company: "UPS", number: "1Z999AA10123456785", notifyCustomer: true },
    ]);
    // Shipped once each: a unit is still to ship.
    expect(shop.orders.remaining(remoteId, "SHIP")).toBe(1);
    // The cut answer was seen (a failure on record), and the retry recognised the fulfilment as landed.
    expect((await status(rig.edge, store)).lastError?.message).toMatch(/no answer from Shopify/);

    // An order the shop does not know: not confirmed, the connection says why, and a person gets an exception.
    const stranger = shopifyId();
    const strangerId = await shopifyOrderArrives(rig.edge, store, secret, stranger, [{ sku: "SHIP", quantity: 1 }]);
    await edgeCall(rig.edge.url, "POST", `/v1/orders/${strangerId}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku: "SHIP", qty: 1 }], carrier: "UPS", tracking: "1Z999AA10123456786" } });
    const exception = await waitFor("the channel_shipment_refused exception", 30_000, async () => {
      const page = await edgeCall<{ exceptions: ExceptionRecord[] }>(rig.edge.url, "GET", "/v1/exceptions?type=channel_shipment_refused", { key: store.adminKey });
      return page.exceptions[0];
    });
    expect(exception).toMatchObject({ state: "open", correlationId: stranger, payload: { connection: connectionId, remote: "shopify", channel: "web", externalId: stranger, reason: `Shopify has no order ${stranger}` } });
    expect((await status(rig.edge, store)).lastError?.message).toMatch(/not confirmed: Shopify has no order/);
    expect(shop.orders.fulfillments).toHaveLength(2);

    // The order exists on Shopify now: the replay sends the confirmation, and Shopify takes it.
    shop.orders.add(stranger, [{ sku: "SHIP", qty: 1 }]);
    const replay = await edgeCall<{ outcome: string }>(rig.edge.url, "POST", `/v1/exceptions/${exception.id}/replay`, { key: store.adminKey, body: {} });
    expect(replay, JSON.stringify(replay)).toMatchObject({ outcome: "resolved" });
    expect(shop.orders.remaining(stranger, "SHIP")).toBe(0);
    expect(shop.orders.fulfillments.at(-1)).toMatchObject({ number: "1Z999AA10123456786", lines: [{ sku: "SHIP", qty: 1 }] });
    expect(shop.stats.violations).toBe(0);
  });

  it("stops and says why when Shopify refuses the token, and resumes with new credentials", async () => {
    const shopRig = await connectedShop(rig.edge, { CRED: 4 }, { accessToken: "shpat_revoked_00000000" });
    const refused = await waitFor("the connection to report the refusal", 30_000, async () => {
      const current = await status(rig.edge, shopRig.store);
      return current.state === "credentials_rejected" ? current : undefined;
    });
    expect(refused.lastError?.message).toMatch(/access token/);
    expect(shopRig.shop.stats.writes).toBe(0);
    await putConnection(rig.edge, shopRig.store, shopRig.shop, shopRig.pool, shopRig.shop.accessToken);
    await converged(shopRig, rig.edge, { CRED: 4 });
  });
});
