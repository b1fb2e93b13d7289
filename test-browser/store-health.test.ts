import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { LoyaltyAccount } from "../shared/schemas/loyalty.ts";
import type { Order } from "../shared/schemas/orders.ts";
import type { StoreList } from "../shared/schemas/store-health.ts";
import type { PosTransactionReceipt } from "../shared/schemas/store-transactions.ts";
import type { Trace } from "../shared/schemas/traces.ts";
import { bearer } from "../store-agent/testing/fixtures.ts";
import {
  EdgeHost,
  location,
  otherLocation,
  post,
  posTransaction,
  seedStore,
  startAgentProcess,
  tempDir,
  waitFor,
  waitForDrain,
  type AgentHandle,
  type SeededStore,
  type TempDir,
} from "../test-e2e/harness.ts";
import { expectAccessible, launchChromium, screenshot } from "./browser.ts";

/*
 * The overview and store detail screens against a real edge and a real store
 * agent process: the page, refreshing itself, shows the store go offline
 * after its agent is killed. Silent for 3 s is offline here (90 s in
 * production), and the agent reports every second.
 *
 * The same edge and tenant then feed the order, inventory, customer and
 * trace screens (one edge start for the file): a trace needs a sale through
 * a real agent, which this file already runs.
 */

let edgeDir: TempDir;
let agentDir: TempDir;
let edge: EdgeHost;
let store: SeededStore;
let agent: AgentHandle | null = null;
let browser: Browser;

beforeAll(async () => {
  edgeDir = tempDir("console-health-edge");
  agentDir = tempDir("console-health-agent");
  edge = new EdgeHost(edgeDir.dir, { STORE_OFFLINE_AFTER_MS: "3000" });
  await edge.start();
  store = await seedStore(edge.url, { "TEE-RED-M": 1 });
  // An order for three of the one there is: backordered, an open exception on the overview.
  await edgeCall(edge.url, "PUT", "/v1/channels/web", { key: store.adminKey, body: { locations: [location] } });
  await edgeCall(edge.url, "POST", "/v1/orders", {
    key: store.adminKey,
    body: { channel: "web", externalId: "ORD-1", currency: "USD", lines: [{ sku: "TEE-RED-M", qty: 3, unitPrice: 1999 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
  });
  browser = await launchChromium([]);
});

afterAll(async () => {
  try {
    await browser?.close();
    await agent?.stop();
    await edge?.stop();
  } finally {
    edgeDir?.remove();
    agentDir?.remove();
  }
});

/** The store's status badge in its overview row. */
const overviewStatus = (page: Page, at: string) => page.locator(`tr[data-location="${at}"]`).getByTestId("store-status").textContent();

it("shows a store online on the overview, offline once its agent is killed (without a reload), and its history on the store's screen", async () => {
  agent = await startAgentProcess({ edgeUrl: edge.url, storeKey: store.storeKey, dataDir: agentDir.dir, healthIntervalSeconds: 1 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${edge.url}/console`);
  await page.getByLabel("API key").fill(store.adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect.poll(() => page.url()).toBe(`${edge.url}/console/overview`);

  await expect.poll(() => overviewStatus(page, location), { timeout: 20_000 }).toBe("online");
  // The other store location never reported.
  expect(await overviewStatus(page, otherLocation)).toBe("unknown");
  await expect.poll(() => page.getByRole("row", { name: /^backorder/ }).textContent()).toBe("backorder1");
  await expectAccessible(page, "overview");
  await screenshot(page, "overview");

  await agent.kill();
  const killedAt = Date.now();
  agent = null;
  // The page reads the stores again every 5 s: no reload, no click.
  await expect.poll(() => overviewStatus(page, location), { timeout: 20_000, interval: 250 }).toBe("offline");
  const list = await edgeCall<StoreList>(edge.url, "GET", "/v1/stores", { key: store.adminKey });
  const offline = list.stores.find((entry) => entry.location === location)!;
  expect(offline.status).toBe("offline");
  expect(Date.parse(offline.offlineSince!)).toBeLessThanOrEqual(killedAt);
  await expect.poll(() => page.getByTestId("store-counts").textContent()).toMatch(/^0 online · 1 offline · 1 never reported/);
  await screenshot(page, "overview-offline");

  await page.getByRole("link", { name: location, exact: true }).click();
  await expect.poll(() => page.url()).toBe(`${edge.url}/console/stores/${location}`);
  await page.getByRole("heading", { name: `Store ${location}` }).waitFor();
  await expect.poll(() => page.getByTestId("store-status").textContent()).toBe("offline");
  // The chart is drawn (uPlot's canvas), and the same samples are in the table: online, then offline.
  await page.locator(".chart canvas").waitFor();
  const history = page.getByRole("table", { name: "The last 24 hours" });
  await expect.poll(async () => (await history.locator("tbody tr td:first-of-type").allTextContents())).toEqual(["online", "offline"]);
  await expectAccessible(page, "store detail");
  await screenshot(page, "store-detail");
  await context.close();
});

it("shows an order's timeline and allocations, its SKU's figures and ledger, a customer's points, and a till sale's trace", async () => {
  const sku = "CAP-BLUE";
  const customerId = "cust-jane";
  const email = "jane.doe@example.com";
  await edgeCall(edge.url, "PUT", `/v1/catalog/items/${sku}`, { key: store.adminKey, body: { name: "Blue cap", barcodes: [], price: 1500, currency: "USD" } });
  await edgeCall(edge.url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: store.adminKey, body: { onHand: 20, safetyStock: 0 } });
  await edgeCall(edge.url, "PUT", `/v1/customers/${customerId}`, { key: store.adminKey, body: { email, name: "Jane Doe", loyaltyId: "LOY-0042" } });
  await edgeCall(edge.url, "POST", `/v1/customers/${customerId}/loyalty/adjustments`, { key: store.adminKey, body: { points: 250, reason: "welcome bonus" } });
  const created = await edgeCall<Order>(edge.url, "POST", "/v1/orders", {
    key: store.adminKey,
    body: { channel: "web", externalId: "ORD-CONSOLE", currency: "USD", customer: { email }, lines: [{ sku, qty: 3, unitPrice: 1500 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
  });
  expect(created.status).toBe("reserved");
  await edgeCall(edge.url, "POST", `/v1/orders/${created.id}/fulfillments`, { key: store.adminKey, body: { location, lines: [{ sku, qty: 1 }] } });
  // The fulfilment links the order to the customer (by email) and earns 15 points, a moment later (the event queue).
  await waitFor("the order linked to its customer", 20_000, async () => ((await edgeCall<Order>(edge.url, "GET", `/v1/orders/${created.id}`, { key: store.adminKey })).customerId === customerId ? true : undefined));
  const account = await waitFor("the fulfilment's points", 20_000, async () => {
    const read = await edgeCall<LoyaltyAccount>(edge.url, "GET", `/v1/customers/${customerId}/loyalty`, { key: store.adminKey });
    return read.ledger.entries.some((entry) => entry.source === "order") ? read : undefined;
  });
  expect(account.balance).toBe(265);

  // A sale at the till, traced by the terminal: the agent sends it on with the trace, and the edge records its hops.
  agent = await startAgentProcess({ edgeUrl: edge.url, storeKey: store.storeKey, dataDir: agentDir.dir, healthIntervalSeconds: 1 });
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const sale = await post<PosTransactionReceipt>(`${agent.url}/pos/v1/transactions`, posTransaction("T01-TRACE-1", "T01", [{ sku: "TEE-RED-M", qty: 1 }]), { ...bearer(agent.token), traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
  expect(sale.status).toBe(201);
  expect(sale.body.traceId).toBe(traceId);
  await waitForDrain(agent, 20_000);
  const trace = await waitFor("the sale's hops at the edge", 20_000, async () => {
    const read = await fetch(`${edge.url}/v1/traces/${traceId}`, { headers: bearer(store.adminKey) });
    const body = read.ok ? ((await read.json()) as Trace) : null;
    // The books hear of the sale from the store's ingest a moment after its stock moved.
    return body && body.hops.some((hop) => hop.hop === "finance.booked") ? body : undefined;
  });

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${edge.url}/console`);
  await page.getByLabel("API key").fill(store.adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  const nav = page.getByRole("navigation", { name: "Console sections" });
  await nav.waitFor();

  // The overview's throughput: the tenant's orders, counted from the order index (exact), tabled and drawn by uPlot.
  const orders = (await edgeCall<{ orders: unknown[] }>(edge.url, "GET", "/v1/orders?limit=500", { key: store.adminKey })).orders.length;
  expect(orders).toBeGreaterThan(0);
  const throughput = page.getByRole("table", { name: "Throughput, last 24 hours" });
  await expect.poll(() => throughput.locator('tr[data-metric="orders"] td').first().textContent(), { timeout: 15_000 }).toBe(String(orders));
  await page.locator(".chart canvas").waitFor();
  await expectAccessible(page, "overview with throughput");

  // Orders: the list, filtered by status, then the order.
  await nav.getByRole("link", { name: "Orders" }).click();
  await page.getByRole("link", { name: created.id }).waitFor();
  await page.getByLabel("Status").selectOption("partially_fulfilled");
  await expect.poll(() => page.getByRole("table").getByRole("row").count()).toBe(2);
  await page.getByRole("link", { name: created.id }).waitFor();
  await expectAccessible(page, "orders");
  await screenshot(page, "orders");
  await page.getByRole("link", { name: created.id }).click();
  await expect.poll(() => page.getByTestId("order-status").textContent()).toBe("partially_fulfilled");
  const allocations = page.getByRole("table", { name: /^Allocations/ });
  expect(await allocations.locator("tbody tr").first().locator("th, td").allTextContents()).toEqual([location, sku, "3", "2", expect.stringMatching(/./)]);
  expect(await page.getByRole("table", { name: "Fulfilled units" }).locator("tbody tr").first().locator("th, td").allTextContents()).toEqual([location, sku, "1"]);
  const timeline = page.getByRole("table", { name: /^Timeline/ });
  const transitions = await timeline.locator("tbody tr td:nth-of-type(2)").allTextContents();
  expect(transitions[0]).toBe("new → received");
  expect(transitions).toContain("reserved → partially_fulfilled");
  await page.getByRole("link", { name: customerId }).waitFor();
  await expectAccessible(page, "order");
  await screenshot(page, "order");

  // The order's trace, from its screen: receipt, reservation, fulfilment (recorded as its events are handled).
  await page.getByRole("link", { name: created.traceId! }).click();
  const orderHops = page.getByRole("table", { name: `Hops of trace ${created.traceId}, oldest first` });
  await expect
    .poll(
      async () => {
        await page.reload();
        await orderHops.or(page.getByRole("alert")).first().waitFor();
        return orderHops.locator("tbody th").allTextContents();
      },
      { timeout: 20_000 },
    )
    .toEqual(expect.arrayContaining(["order.created", "order.reserved", "order.fulfilled"]));
  await page.goBack();
  await expect.poll(() => page.getByTestId("order-status").textContent()).toBe("partially_fulfilled");

  // Inventory lookup, from the order's allocation: figures per location, each channel's availability, the ledger.
  await allocations.getByRole("link", { name: sku }).click();
  await page.getByRole("heading", { name: `Inventory of ${sku}` }).waitFor();
  const stock = page.getByRole("table", { name: /^Stock of CAP-BLUE/ });
  await expect.poll(() => stock.locator(`tr[data-location="${location}"] td`).allTextContents()).toEqual(["19", "0", "2", "0", "17"]);
  await expect.poll(() => page.getByRole("table", { name: "Availability by channel" }).getByRole("row", { name: /^web/ }).locator("td").first().textContent()).toBe("17");
  const ledger = page.getByRole("table", { name: /^Movements of CAP-BLUE/ });
  await expect.poll(() => ledger.locator("tbody tr td:nth-of-type(2)").allTextContents()).toEqual(["snapshot", "reservation", "commit"]);
  // The order's reservation still holds the 2 units not yet shipped.
  const held = page.getByRole("table", { name: /^Active reservations of CAP-BLUE/ });
  await expect.poll(() => held.locator("tbody tr td").allTextContents()).toEqual(["web", "2", `${location} × 2`, `order:${created.id}`, expect.any(String), expect.any(String)]);
  await expectAccessible(page, "inventory");
  await screenshot(page, "inventory");
  // The lookup form finds another SKU.
  await page.getByLabel("SKU", { exact: true }).fill("TEE-RED-M");
  await page.getByRole("button", { name: "Look up" }).click();
  await expect.poll(() => page.url()).toBe(`${edge.url}/console/inventory/TEE-RED-M`);
  await expect.poll(() => page.getByRole("table", { name: /^Movements of TEE-RED-M/ }).locator("tbody tr td:nth-of-type(2)").allTextContents()).toContain("pos_sale");
  // The till's sale is in its trace: the ledger links its movement there.
  await expect.poll(() => page.getByRole("table", { name: /^Movements of TEE-RED-M/ }).locator(`a[href="/console/traces/${traceId}"]`).count()).toBe(1);

  // Customers: found by email, then the points.
  await nav.getByRole("link", { name: "Customers" }).click();
  await page.getByLabel("Find by").selectOption("email");
  await page.getByLabel("Value").fill("Jane.Doe@Example.com");
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("link", { name: customerId }).waitFor();
  expect(await page.getByRole("row", { name: new RegExp(customerId) }).textContent()).toContain(email);
  await expectAccessible(page, "customers");
  await screenshot(page, "customers");
  await page.getByRole("link", { name: customerId }).click();
  await expect.poll(() => page.getByTestId("loyalty-balance").textContent()).toBe("265");
  expect(await page.getByTestId("loyalty-available").textContent()).toBe("265");
  await expect.poll(() => page.getByRole("table", { name: /^Points ledger/ }).locator("tbody tr td:nth-of-type(2)").allTextContents()).toEqual(["adjust", "earn"]);
  expect(await page.getByRole("table", { name: /^Lots/ }).locator("tbody tr").count()).toBe(2);
  await expectAccessible(page, "customer");
  await screenshot(page, "customer");

  // Traces: the sale's hops, in time order, with the time between them.
  await nav.getByRole("link", { name: "Traces" }).click();
  await page.getByLabel("Trace id").fill(traceId);
  await page.getByRole("button", { name: "Follow" }).click();
  const hops = page.getByRole("table", { name: `Hops of trace ${traceId}, oldest first` });
  await expect.poll(() => hops.locator("tbody th").allTextContents()).toEqual(trace.hops.map((hop) => hop.hop));
  expect(trace.hops.map((hop) => hop.hop)).toEqual(["pos.occurred", "agent.recorded", "edge.received", "inventory.applied", "finance.booked"]);
  const sinceStart = await hops.locator("tbody tr td:nth-of-type(3)").allTextContents();
  expect(sinceStart[0]).toBe("+0 ms");
  for (const gap of sinceStart.slice(1)) expect(gap).toMatch(/^\+\d/);
  expect(await page.getByTestId("trace-summary").textContent()).toMatch(/^5 hops over .+, from pos\.occurred at store-001\/T01 to finance\.booked at ledger\.$/);
  await expectAccessible(page, "trace");
  await screenshot(page, "trace");
  await context.close();

  // A readonly key reads the customer's contact masked, as the API answers it, and is offered no keys screen.
  const readonlyKey = (await edgeCall<{ key: string }>(edge.url, "POST", "/v1/keys", { key: store.adminKey, body: { role: "readonly", name: "auditor" } })).key;
  const readonly = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const auditor = await readonly.newPage();
  await auditor.goto(`${edge.url}/console`);
  await auditor.getByLabel("API key").fill(readonlyKey);
  await auditor.getByRole("button", { name: "Sign in" }).click();
  await auditor.getByRole("navigation", { name: "Console sections" }).getByRole("link", { name: "Customers" }).click();
  await auditor.getByLabel("Find by").selectOption("loyaltyId");
  await auditor.getByLabel("Value").fill("LOY-0042");
  await auditor.getByRole("button", { name: "Find" }).click();
  await auditor.getByRole("link", { name: customerId }).click();
  await auditor.getByText("j***@example.com").waitFor();
  expect(await auditor.getByText(email).count()).toBe(0);
  await expect.poll(() => auditor.getByTestId("loyalty-balance").textContent()).toBe("265");
  await readonly.close();
});
