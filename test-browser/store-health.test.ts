import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { StoreList } from "../shared/schemas/store-health.ts";
import { EdgeHost, location, otherLocation, seedStore, startAgentProcess, tempDir, type AgentHandle, type SeededStore, type TempDir } from "../test-e2e/harness.ts";
import { expectAccessible, launchChromium, screenshot } from "./browser.ts";

/*
 * The overview and store detail screens against a real edge and a real store
 * agent process: the page, refreshing itself, shows the store go offline
 * after its agent is killed. Silent for 3 s is offline here (90 s in
 * production), and the agent reports every second.
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
