import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import { EdgeHost, platformKey, tempDir, type TempDir } from "../test-e2e/harness.ts";
import { expectAccessible, launchChromium, screenshot } from "./browser.ts";

/*
 * The console in Debian's chromium against the real Worker (wrangler's
 * Miniflare, as the end-to-end tests run it): one browser for the file, one
 * seeded partner with one tenant, a fresh browser context (cookie jar) per
 * sign-in. Everything the page shows comes from the public API.
 */

const partnerId = "northwind";
const partnerHost = "ops.northwind.test";
const tenantId = "acme";
const brandPrimary = "#0b3d2e";

interface Seeded {
  partnerKey: string;
  adminKey: string;
  readonlyKey: string;
  /** Exception ids by the external id of the order that is backordered. */
  exceptions: Record<string, string>;
}

let state: TempDir;
let edge: EdgeHost;
let browser: Browser;
let seeded: Seeded;

async function seed(url: string): Promise<Seeded> {
  const partner = await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/partners", { key: platformKey, body: { id: partnerId, name: "Northwind Integrations" } });
  const partnerKey = partner.adminKey.key;
  await edgeCall(url, "PUT", `/v1/partners/${partnerId}/branding`, {
    key: partnerKey,
    body: { displayName: "Northwind Ops", colors: { primary: brandPrimary, text: "#ffffff" }, support: { email: "help@northwind.example" }, hosts: [partnerHost] },
  });
  const tenant = await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: partnerKey, body: { id: tenantId, name: "Acme Retail" } });
  const adminKey = tenant.adminKey.key;
  await edgeCall(url, "PUT", "/v1/locations/wh-1", { key: adminKey, body: { type: "warehouse" } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: adminKey, body: { locations: ["wh-1"] } });
  await edgeCall(url, "PUT", "/v1/inventory/SKU-1/locations/wh-1", { key: adminKey, body: { onHand: 1, safetyStock: 0 } });
  // Three units wanted, one there: each order is backordered, and its backorder is an open exception.
  for (const externalId of ["ORD-1", "ORD-2"]) {
    await edgeCall(url, "POST", "/v1/orders", {
      key: adminKey,
      body: { channel: "web", externalId, currency: "USD", lines: [{ sku: "SKU-1", qty: 3, unitPrice: 1000 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
    });
  }
  const listed = await edgeCall<{ exceptions: { id: string; type: string; correlationId: string | null }[] }>(url, "GET", "/v1/exceptions?state=open", { key: adminKey });
  const exceptions = Object.fromEntries(listed.exceptions.filter((e) => e.type === "backorder").map((e) => [e.correlationId, e.id]));
  expect(Object.keys(exceptions).sort()).toEqual(["ORD-1", "ORD-2"]);
  const readonlyKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: adminKey, body: { role: "readonly", name: "auditor" } })).key;
  return { partnerKey, adminKey, readonlyKey, exceptions };
}

async function exceptionOf(id: string): Promise<{ state: string; transitions: { to: string; note: string | null }[] }> {
  return edgeCall(edge.url, "GET", `/v1/exceptions/${id}`, { key: seeded.adminKey });
}

/** A new cookie jar on `origin`, signed in with `key` through the sign-in page. */
async function signedIn(key: string, origin = edge.url): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${origin}/console`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Console sections" }).waitFor();
  return { context, page };
}

beforeAll(async () => {
  state = tempDir("console");
  edge = new EdgeHost(state.dir);
  await edge.start();
  browser = await launchChromium([partnerHost]);
  seeded = await seed(edge.url);
});

afterAll(async () => {
  await browser?.close();
  await edge?.stop();
  state?.remove();
});

describe("the console with a tenant key", () => {
  it("signs in, shows the open exceptions, replays one until it is resolved and ignores another with a note", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${edge.url}/console`);
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/sign-in`);
    await expect.poll(() => page.title()).toBe("Shelfsync console");
    await expectAccessible(page, "sign-in");
    await screenshot(page, "sign-in");

    await page.getByLabel("API key").fill("ssk_acme_not-a-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("unauthorized");

    await page.getByLabel("API key").fill(seeded.adminKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    // The tenant's home: no store locations here, and the two backorders counted by type.
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/overview`);
    await expect.poll(() => page.getByRole("row", { name: /^backorder/ }).textContent()).toBe("backorder2");
    await page.getByText("No store locations yet.").waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Exceptions" }).click();
    const first = seeded.exceptions["ORD-1"]!;
    const second = seeded.exceptions["ORD-2"]!;
    await page.getByRole("link", { name: first }).waitFor();
    await page.getByRole("link", { name: second }).waitFor();
    await expectAccessible(page, "exceptions");
    await screenshot(page, "exceptions");

    await page.getByRole("link", { name: first }).click();
    await expect.poll(() => page.getByTestId("exception-state").textContent()).toBe("open");
    await expect.poll(() => page.locator(".payload").textContent()).toContain('"externalId": "ORD-1"');
    await expectAccessible(page, "exception");
    // Still one unit for three: the replay fails and says why; the exception stays open.
    await page.getByRole("button", { name: "Replay" }).click();
    await expect.poll(() => page.getByRole("status").first().textContent()).toMatch(/^Replay failed/);
    expect((await exceptionOf(first)).state).toBe("open");

    await edgeCall(edge.url, "PUT", "/v1/inventory/SKU-1/locations/wh-1", { key: seeded.adminKey, body: { onHand: 10, safetyStock: 0 } });
    await page.getByLabel("Note").fill("stock arrived");
    await page.getByRole("button", { name: "Replay" }).click();
    await expect.poll(() => page.getByTestId("exception-state").textContent()).toBe("resolved");
    await screenshot(page, "exception");
    const replayed = await exceptionOf(first);
    expect(replayed.state).toBe("resolved");
    expect(replayed.transitions.map((t) => t.note)).toContain("stock arrived");

    await page.getByRole("link", { name: "← All exceptions" }).click();
    await page.getByRole("link", { name: second }).click();
    await page.getByLabel("Note").fill("duplicate of ORD-1, customer told");
    await page.getByLabel("ignored").check();
    await page.getByRole("button", { name: "Close with note" }).click();
    await expect.poll(() => page.getByTestId("exception-state").textContent()).toBe("ignored");
    const ignored = await exceptionOf(second);
    expect(ignored.state).toBe("ignored");
    expect(ignored.transitions.at(-1)).toMatchObject({ to: "ignored", note: "duplicate of ORD-1, customer told" });

    // Filters: the ignored one is not open; it is listed under "ignored".
    await page.getByRole("navigation").getByRole("link", { name: "Exceptions" }).click();
    await page.getByText("No exceptions match.").waitFor();
    await page.getByLabel("State").selectOption("ignored");
    await page.getByRole("link", { name: second }).waitFor();
    expect(await page.getByRole("link", { name: first }).count()).toBe(0);
    await context.close();
  });

  it("replays the selected exceptions, a few at a time, says what each replay did and reads the list again", async () => {
    // Two orders for a SKU with none in stock: two backorders; then stock arrives, so each replay resolves its exception.
    await edgeCall(edge.url, "PUT", "/v1/inventory/SKU-2/locations/wh-1", { key: seeded.adminKey, body: { onHand: 0, safetyStock: 0 } });
    for (const externalId of ["ORD-4", "ORD-5"]) {
      await edgeCall(edge.url, "POST", "/v1/orders", {
        key: seeded.adminKey,
        body: { channel: "web", externalId, currency: "USD", lines: [{ sku: "SKU-2", qty: 2, unitPrice: 500 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
      });
    }
    const listed = await edgeCall<{ exceptions: { id: string; correlationId: string | null }[] }>(edge.url, "GET", "/v1/exceptions?state=open&type=backorder", { key: seeded.adminKey });
    const backordered = listed.exceptions.filter((e) => e.correlationId === "ORD-4" || e.correlationId === "ORD-5").map((e) => e.id);
    expect(backordered).toHaveLength(2);
    await edgeCall(edge.url, "PUT", "/v1/inventory/SKU-2/locations/wh-1", { key: seeded.adminKey, body: { onHand: 10, safetyStock: 0 } });

    const { context, page } = await signedIn(seeded.adminKey);
    await page.getByRole("navigation").getByRole("link", { name: "Exceptions" }).click();
    for (const id of backordered) await page.getByRole("link", { name: id }).waitFor();
    expect(await page.getByRole("button", { name: "Replay selected" }).isDisabled()).toBe(true);
    // Keyboard: the page's checkbox is reached by focus and ticked with Space; the button pressed with Enter.
    await page.getByRole("checkbox", { name: "Select all on this page" }).focus();
    await page.keyboard.press("Space");
    for (const id of backordered) expect(await page.getByRole("checkbox", { name: `Select exception ${id}` }).isChecked()).toBe(true);
    await page.getByRole("button", { name: "Replay selected (2)" }).focus();
    await page.keyboard.press("Enter");
    const outcomes = page.locator(".replay-outcomes");
    await expect.poll(() => outcomes.locator("caption").textContent()).toBe("Replayed 2: 2 resolved");
    for (const id of backordered) expect(await outcomes.locator(`tr[data-exception="${id}"]`).getByTestId("replay-outcome").textContent()).toBe("resolved");
    // The list was read again: neither is open any more.
    await page.getByText("No exceptions match.").waitFor();
    for (const id of backordered) expect((await exceptionOf(id)).state).toBe("resolved");
    await expectAccessible(page, "exceptions after a bulk replay");
    await screenshot(page, "exceptions-bulk-replay");

    // One picked by hand, already closed: its replay runs nothing and says so.
    await page.getByLabel("State").selectOption("ignored");
    const ignored = seeded.exceptions["ORD-2"]!;
    await page.getByRole("checkbox", { name: `Select exception ${ignored}` }).check();
    await page.getByRole("button", { name: "Replay selected (1)" }).click();
    await expect.poll(() => outcomes.locator(`tr[data-exception="${ignored}"]`).getByTestId("replay-outcome").textContent()).toBe("already closed");
    expect((await exceptionOf(ignored)).state).toBe("ignored");
    await context.close();
  });

  it("creates a key shown once and revokes it, on the keys screen", async () => {
    const { context, page } = await signedIn(seeded.adminKey);
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByRole("table").waitFor();
    await page.getByLabel("Name").fill("till reports");
    await page.getByLabel("Role").selectOption("readonly");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByRole("status").locator("output");
    await expect.poll(() => secret.textContent()).toMatch(/^ssk_acme_[0-9a-z]{40}$/);
    const key = (await secret.textContent())!;
    expect((await edgeRequest(edge.url, "GET", "/v1/tenant", { key })).status).toBe(200);
    await expectAccessible(page, "keys");
    await screenshot(page, "keys");

    const keyId = (await edgeCall<{ keys: { id: string; name: string | null }[] }>(edge.url, "GET", "/v1/keys", { key: seeded.adminKey })).keys.find((k) => k.name === "till reports")!.id;
    await page.getByRole("button", { name: `Revoke key ${keyId}` }).click();
    await page.getByRole("button", { name: `Confirm revoking ${keyId}` }).click();
    await expect.poll(() => page.getByRole("row", { name: new RegExp(keyId) }).textContent()).toContain("revoked");
    expect((await edgeRequest(edge.url, "GET", "/v1/tenant", { key })).status).toBe(401);

    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "shelfsync_session", httpOnly: true, sameSite: "Strict", path: "/v1" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    // Signed out on the server too: the old cookie no longer works.
    const after = await fetch(`${edge.url}/v1/tenant`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect(after.status).toBe(401);
    await context.close();
  });

  it("lists the tenant's writes on the audit screen, filtered, with a caller's trace id linked to the trace screen", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const traced = await fetch(`${edge.url}/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${seeded.adminKey}`, "content-type": "application/json", "idempotency-key": "audit-traced-key", traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ role: "readonly", name: "traced" }),
    });
    expect(traced.status).toBe(201);
    const keys = (await edgeCall<{ keys: { id: string; name: string | null }[] }>(edge.url, "GET", "/v1/keys", { key: seeded.adminKey })).keys;
    const tillReports = keys.find((k) => k.name === "till reports")!.id;
    const tracedKey = keys.find((k) => k.name === "traced")!.id;

    const { context, page } = await signedIn(seeded.adminKey);
    await page.getByRole("navigation").getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("table").waitFor();
    await page.getByLabel("Route").fill("/v1/keys");
    await page.getByLabel("Kind").selectOption("write");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const created = page.getByRole("row").filter({ hasText: tillReports });
    await expect.poll(() => created.textContent()).toContain("POST /v1/keys");
    expect(await created.textContent()).toContain("201 ok");
    expect(await created.textContent()).toContain("(admin)");
    // Only the route asked for: the revocation (DELETE /v1/keys/:id) is not on it.
    expect(await page.getByRole("cell", { name: /^DELETE / }).count()).toBe(0);
    await expectAccessible(page, "audit log");
    await screenshot(page, "audit");

    await page.getByRole("row").filter({ hasText: tracedKey }).getByRole("link", { name: traceId }).click();
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/traces/${traceId}`);
    await context.close();
  });

  it("shows a readonly key no action it could not take", async () => {
    const { context, page } = await signedIn(seeded.readonlyKey);
    await page.getByRole("navigation").getByRole("link", { name: "Exceptions" }).click();
    await page.getByLabel("State").selectOption("");
    await page.getByRole("link", { name: seeded.exceptions["ORD-1"]! }).waitFor();
    expect(await page.getByRole("checkbox").count()).toBe(0);
    expect(await page.getByRole("button", { name: "Replay selected" }).count()).toBe(0);
    await page.getByRole("link", { name: seeded.exceptions["ORD-1"]! }).click();
    await page.locator(".payload").waitFor();
    expect(await page.getByRole("button", { name: "Replay" }).count()).toBe(0);
    // Keys are for admins: no link to them, and the page itself says what the API said.
    expect(await page.getByRole("navigation").getByRole("link", { name: "Keys" }).count()).toBe(0);
    await page.goto(`${edge.url}/console/keys`);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("(forbidden)");
    expect(await page.getByRole("button", { name: "Create key" }).count()).toBe(0);
    await context.close();
  });
});

/**
 * The partner's second tenant, with a store that never reported; and on acme
 * an order for more than there is (an open backorder) and a Shopify
 * connection whose shop refuses every call (the port is closed): it fails,
 * and says why.
 */
async function troubleForThePartner(): Promise<void> {
  const globex = await edgeCall<{ adminKey: { key: string } }>(edge.url, "POST", "/v1/tenants", { key: seeded.partnerKey, body: { id: "globex", name: "Globex Stores" } });
  await edgeCall(edge.url, "PUT", "/v1/locations/store-9", { key: globex.adminKey.key, body: { type: "store" } });
  await edgeCall(edge.url, "POST", "/v1/orders", {
    key: seeded.adminKey,
    body: { channel: "web", externalId: "ORD-3", currency: "USD", lines: [{ sku: "SKU-1", qty: 500, unitPrice: 1000 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
  });
  await edgeCall(edge.url, "PUT", "/v1/connections/shop-main", {
    key: seeded.adminKey,
    body: {
      type: "shopify",
      channel: "web",
      settings: { shopDomain: "acme-retail.myshopify.com", baseUrl: "http://127.0.0.1:9" },
      credentials: { accessToken: "shpat_0123456789abcdef0123456789abcdef" },
      locations: { pool: "gid://shopify/Location/68231790836" },
    },
  });
}

describe("the console with a partner key", () => {
  it("shows the partner's tenants with their health, opens one, and its overview lists its connections: the screens then act on it", async () => {
    await troubleForThePartner();
    const { context, page } = await signedIn(seeded.partnerKey);
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/tenants`);
    await page.getByRole("rowheader", { name: /Acme Retail/ }).waitFor();
    const globex = page.locator('tr[data-tenant="globex"]');
    await expect.poll(() => globex.getByTestId("stores-badge").textContent()).toBe("1 never reported of 1");
    const acme = page.locator(`tr[data-tenant="${tenantId}"]`);
    await expect.poll(() => acme.getByTestId("exceptions-badge").textContent()).toMatch(/^[1-9]\d* open$/);
    expect(await acme.textContent()).toContain("backorder");
    await expect.poll(() => acme.getByTestId("connections-badge").textContent(), { timeout: 20_000 }).toMatch(/^1 of 1 failing/);
    await expectAccessible(page, "partner overview");
    await screenshot(page, "tenants");
    // Keyboard: the tenant's Open button is reached with Tab and pressed with Enter.
    await page.getByRole("button", { name: `Open tenant ${tenantId}` }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/overview`);
    const connection = page.locator('tr[data-connection="shop-main"]');
    await expect.poll(() => connection.textContent()).toContain("shopify");
    expect(await connection.textContent()).toContain("web");
    await expect.poll(() => connection.getByTestId("connection-state").textContent(), { timeout: 20_000 }).toBe("failing");
    expect(await connection.locator("td.message").textContent()).not.toBe("—");
    await expectAccessible(page, "overview with connections");
    await screenshot(page, "overview-connections");
    await page.getByRole("navigation").getByRole("link", { name: "Exceptions" }).click();
    await page.getByLabel("State").selectOption("");
    await page.getByRole("link", { name: seeded.exceptions["ORD-1"]! }).waitFor();
    await expect.poll(() => page.locator(".who").textContent()).toContain(`acting on ${tenantId}`);
    // Acting on the tenant as its admin, the partner reads its audit trail too; its own keys and usage wait until it acts on none.
    await page.getByRole("navigation").getByRole("link", { name: "Audit log" }).click();
    await expect.poll(() => page.getByRole("table").locator("caption").textContent()).toBe("Audit records, oldest first");
    expect(await page.getByRole("navigation").getByRole("link", { name: "Partner keys" }).count()).toBe(0);
    await context.close();
  });

  it("switches back from a tenant to all the partner's tenants, by the banner's button or the nav, without signing in again", async () => {
    const { context, page } = await signedIn(seeded.partnerKey);
    const nav = page.getByRole("navigation");
    const banner = page.getByRole("banner");
    const tenantHeaders: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/tenants/health")) tenantHeaders.push(request.headers()["x-shelfsync-tenant"]);
    });

    await page.getByRole("button", { name: `Open tenant ${tenantId}` }).click();
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/overview`);
    await expect.poll(() => banner.textContent()).toContain(`acting on ${tenantId}`);
    expect(await nav.getByRole("link", { name: "Partner keys" }).count()).toBe(0);
    // Keyboard: the banner's button is reached by focus and pressed with Enter.
    await banner.getByRole("button", { name: "Back to all tenants" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toBe(`${edge.url}/console/tenants`);
    await page.getByRole("rowheader", { name: /Acme Retail/ }).waitFor();
    await nav.getByRole("link", { name: "Partner keys" }).waitFor();
    await nav.getByRole("link", { name: "Usage" }).waitFor();
    expect(await nav.getByRole("link", { name: "Overview", exact: true }).count()).toBe(0);
    expect(await banner.textContent()).not.toContain("acting on");
    expect(await banner.getByRole("button", { name: "Back to all tenants" }).count()).toBe(0);
    // The overview's next read goes out without the tenant.
    tenantHeaders.length = 0;
    await page.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => tenantHeaders.length).toBeGreaterThan(0);
    expect(tenantHeaders.filter((header) => header !== undefined)).toEqual([]);
    await expectAccessible(page, "partner overview after leaving a tenant");

    // The nav's "Partner overview" leaves the tenant too, and a reload stays on the partner's own screens.
    await page.getByRole("button", { name: `Open tenant ${tenantId}` }).click();
    await nav.getByRole("link", { name: "Overview", exact: true }).waitFor();
    await nav.getByRole("link", { name: "Partner overview" }).click();
    await nav.getByRole("link", { name: "Partner keys" }).waitFor();
    expect(await nav.getByRole("link", { name: "Overview", exact: true }).count()).toBe(0);
    expect(await banner.textContent()).not.toContain("acting on");
    await page.reload();
    await nav.getByRole("link", { name: "Partner keys" }).click();
    await page.getByRole("table").waitFor();
    expect(await banner.textContent()).not.toContain("acting on");
    await context.close();
  });

  it("manages the partner's own keys (the secret shown once) and shows its usage per tenant, with the CSV", async () => {
    const { context, page } = await signedIn(seeded.partnerKey);
    const nav = page.getByRole("navigation");
    await nav.getByRole("link", { name: "Partner keys" }).click();
    await page.getByRole("table").waitFor();
    await page.getByLabel("Name").fill("billing export");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByRole("status").locator("output");
    await expect.poll(() => secret.textContent()).toMatch(new RegExp(`^ssp_${partnerId}_[0-9a-z]{40}$`));
    const key = (await secret.textContent())!;
    expect((await edgeRequest(edge.url, "GET", `/v1/partners/${partnerId}/keys`, { key })).status).toBe(200);
    const row = page.getByRole("row").filter({ hasText: "billing export" });
    await expect.poll(() => row.textContent()).toContain("active");
    await expectAccessible(page, "partner keys");
    await screenshot(page, "partner-keys");
    await page.getByRole("button", { name: "Done" }).click();
    expect(await page.getByRole("status").locator("output").count()).toBe(0);
    const keyId = (await row.locator("td").first().textContent())!;
    await page.getByRole("button", { name: `Revoke key ${keyId}` }).click();
    await page.getByRole("button", { name: `Confirm revoking ${keyId}` }).click();
    await expect.poll(() => row.textContent()).toContain("revoked");
    expect((await edgeRequest(edge.url, "GET", `/v1/partners/${partnerId}/keys`, { key })).status).toBe(401);

    await nav.getByRole("link", { name: "Usage" }).click();
    const month = new Date().toISOString().slice(0, 7);
    const acme = page.locator(`tr[data-tenant="${tenantId}"]`);
    await expect.poll(() => acme.locator("td").nth(1).textContent()).toMatch(/^[1-9]\d*$/);
    await page.locator('tr[data-tenant="globex"]').waitFor();
    await expectAccessible(page, "usage");
    await screenshot(page, "usage");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: `Download CSV of ${month}` }).click()]);
    expect(download.suggestedFilename()).toBe(`usage-${partnerId}-${month}.csv`);
    const csv = readFileSync((await download.path())!, "utf8");
    expect(csv.split("\n")[0]).toContain("tenant");
    expect(csv).toContain(`\n${tenantId},`);
    expect(csv).toContain("\nglobex,");
    // Another month: the same tenants, with what they did then.
    await page.getByLabel("Month (UTC)").fill("2020-01");
    await expect.poll(() => page.getByRole("table").locator("caption").textContent()).toContain("2020-01");
    expect(await acme.locator("td").nth(1).textContent()).toBe("0");
    await context.close();
  });

  it("wears the partner's brand on the partner's host name", async () => {
    const origin = `http://${partnerHost}:${edge.port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${origin}/console`);
    await page.getByRole("heading", { name: "Sign in to the Northwind Ops console" }).waitFor();
    await expect.poll(() => page.title()).toBe("Northwind Ops console");
    await expectAccessible(page, "sign-in on the partner's host");
    await screenshot(page, "sign-in-partner-host");

    await page.getByLabel("API key").fill(seeded.partnerKey);
    await page.getByRole("button", { name: "Sign in" }).click();
    const banner = page.getByRole("banner");
    await expect.poll(() => banner.locator(".brand").getAttribute("data-partner")).toBe(partnerId);
    expect(await banner.textContent()).toContain("Northwind Ops");
    expect(await banner.evaluate((element) => (globalThis as unknown as { getComputedStyle(element: unknown): { backgroundColor: string } }).getComputedStyle(element).backgroundColor)).toBe("rgb(11, 61, 46)");
    await page.getByRole("contentinfo").getByRole("link", { name: "help@northwind.example" }).waitFor();
    await expectAccessible(page, "tenants on the partner's host");
    await screenshot(page, "tenants-partner-host");
    await context.close();
  });
});
