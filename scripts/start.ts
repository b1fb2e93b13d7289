import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChannelAvailability } from "../shared/schemas/availability.ts";
import { edgeCall } from "./edge-client.ts";
import { demoErpConnection, financeStore, seedDemoFinance, startNetSuiteSandbox, type DemoFinance } from "./demo-finance.ts";
import { demoLoyaltyCustomer, seedDemoLoyalty, type DemoLoyalty } from "./demo-loyalty.ts";
import { demoConnection, demoPartnerHost, demoStore, seedDemo, startDemoShop, type Demo } from "./demo-seed.ts";
import { startLocalAgent, type LocalAgent } from "./local-agent.ts";
import { buildConsole } from "./console-build.ts";
import { projectRoot, startLocalEdge } from "./local-edge.ts";

/**
 * `npm start`: the edge in local workerd with state persisted under
 * .wrangler/state, a Shopify sandbox (the Admin API test server) with its
 * stock saved beside it, the demo tenant, its orders and its connection to
 * the sandbox if not there yet, a store agent for the demo store with its
 * libSQL file beside the edge's state, a NetSuite sandbox (the REST test
 * server, its journals saved beside the stock) that receives the demo
 * tenant's journals of a closed day and a matched Stripe payout
 * (scripts/demo-finance.ts), customers with points and a sale at the
 * agent's till that earns some (scripts/demo-loyalty.ts), the console built
 * from console/, and the URLs and keys. Ctrl-C stops the agent,
 * the edge, then the sandboxes.
 */
const port = Number(process.env.SHELFSYNC_EDGE_PORT ?? 8787);
const agentPort = Number(process.env.SHELFSYNC_AGENT_PORT ?? 8788);
const shopPort = Number(process.env.SHELFSYNC_SHOP_PORT ?? 8789);
const netsuitePort = Number(process.env.SHELFSYNC_NETSUITE_PORT ?? 8790);
const stateDir = join(projectRoot, ".wrangler", "state");
const agentDir = join(stateDir, `agent-${demoStore}`);
const shopState = join(stateDir, "shopify-sandbox.json");
const netsuiteState = join(stateDir, "netsuite-sandbox.json");
const devVars = join(projectRoot, ".dev.vars");

function platformKey(): string {
  if (!existsSync(devVars)) {
    writeFileSync(devVars, `PLATFORM_ADMIN_KEY=${randomBytes(24).toString("hex")}\n`, { mode: 0o600 });
  }
  // The key that seals connection credentials, added to a .dev.vars made before connections existed.
  if (!/^CONNECTION_CREDENTIALS_KEY=/m.test(readFileSync(devVars, "utf8"))) {
    appendFileSync(devVars, `CONNECTION_CREDENTIALS_KEY=${randomBytes(32).toString("base64")}\n`);
  }
  const match = /^PLATFORM_ADMIN_KEY=(.+)$/m.exec(readFileSync(devVars, "utf8"));
  if (!match) throw new Error(`${devVars} has no PLATFORM_ADMIN_KEY line; see .dev.vars.example`);
  return match[1]!.trim();
}

const key = platformKey();
mkdirSync(stateDir, { recursive: true });
// The console from its sources as they are now (npm install built it once; an edit since then shows).
await buildConsole();
// Before the edge, so that the connection never wakes to find its shop missing.
const shop = await startDemoShop(shopPort, shopState, (line) => process.stdout.write(`[shopify sandbox] set available: ${line}\n`));
const netsuite = await startNetSuiteSandbox(netsuitePort, netsuiteState, (line) => process.stdout.write(`[netsuite sandbox] ${line}\n`)).catch(async (error: unknown) => {
  await shop.stop();
  throw error;
});
const edge = await startLocalEdge({ port, persistTo: stateDir, secretsFile: devVars, output: "inherit", logLevel: "warn" }).catch(async (error: unknown) => {
  await netsuite.stop();
  await shop.stop();
  throw error;
});
let agent: LocalAgent | null = null;
let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  await agent?.stop();
  await edge.stop();
  // Last, so that they save every write the connections made before the edge stopped.
  await netsuite.stop();
  await shop.stop();
  process.exit(code);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());

let demo: Demo;
let finance: DemoFinance;
let loyalty: DemoLoyalty;
try {
  demo = await seedDemo(edge.url, key, join(stateDir, "shelfsync-demo-keys.json"), shop);
  // A new tenant's store expects sequence 1 first: the agent file of an earlier tenant goes aside.
  if (demo.createdTenant && existsSync(agentDir)) renameSync(agentDir, `${agentDir}.old-${Date.now()}`);
  agent = await startLocalAgent({
    edgeUrl: edge.url,
    storeKey: demo.keys.store,
    location: demoStore,
    dataDir: agentDir,
    port: agentPort,
    logFile: join(agentDir, "agent.log"),
  });
  finance = await seedDemoFinance(edge.url, demo.keys, demo.orders, netsuite, join(stateDir, "finance-demo.json"));
  loyalty = await seedDemoLoyalty(edge.url, demo.keys, { url: agent.url, token: agent.terminalToken }, join(stateDir, "loyalty-demo.json"));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
  throw error;
}
const { keys, orders } = demo;
const pos = `${agent.url}/pos/v1`;
const width = Math.max(...orders.map((o) => o.status.length));
const watched = "TSHIRT-RED-M";
const web = await edgeCall<ChannelAvailability>(edge.url, "GET", `/v1/availability/${watched}?channel=web`, { key: keys.web });
const connectionStatus = `${edge.url}/v1/connections/${demoConnection}/status`;
const connectionNote = {
  created: "created now",
  updated: "PUT again: it pointed elsewhere",
  found: shop.restored ? "found as it was" : "found as it was, but the sandbox started empty: a SKU goes out again when its availability next changes",
}[demo.connection];
const { payout } = finance;
const nameWidth = Math.max(...loyalty.customers.map((c) => c.name.length));
const earned =
  loyalty.sale.points === null
    ? "its points are not there yet (the edge applies them about a second after the agent pushes the sale)"
    : `earned ${loyalty.sale.points} points`;
const charge = payout.lines.find((line) => line.kind === "charge");
const financeBlock = `
Finance (books in UTC, a day closes at 00:00 the next day)
  NetSuite sandbox ${netsuite.url}   (a test server speaking NetSuite's REST journal entries; journals kept in ${netsuiteState})
    holds        ${netsuite.journals().length} journals; ${finance.journals.length} of ${finance.day} (${financeStore}'s POS sales: ${finance.posAccepted} sent now, ${finance.posDuplicates} already there; the payout's)
  ERP connection ${demoErpConnection} → the sandbox (${finance.connection === "found" ? "found as it was" : finance.connection}); account mapping ${finance.accounts === "found" ? "found as it was" : finance.accounts}
  Payout         ${payout.id}  ${payout.status}  deposit ${(payout.deposit / 100).toFixed(2)} ${payout.currency} on ${payout.depositDate.slice(0, 10)}  (${finance.payoutReplayed ? "replayed: imported before" : "imported now"})
    matched      ${charge?.reference ?? "-"} → ${charge?.matched?.orderId ?? "no order"}   (charge ${((charge?.amount ?? 0) / 100).toFixed(2)}, fee ${((charge?.fee ?? 0) / 100).toFixed(2)})

  curl -s "${edge.url}/v1/finance/journals?date=${finance.day}" -H "Authorization: Bearer ${keys.admin}"
  curl -s ${edge.url}/v1/finance/payouts/${payout.id} -H "Authorization: Bearer ${keys.admin}"`;
const partnerUrl = new URL(edge.url);
partnerUrl.hostname = demoPartnerHost;
const partnerConsole = `${partnerUrl.origin}/console`;
const consoleLine = keys.partnerKey
  ? `${partnerConsole}   (the demo partner's brand; sign in with its key below, then open the demo tenant)
                 ${edge.url}/console   (unbranded; any key below)`
  : `${edge.url}/console   (sign in with the demo tenant's admin key below)`;
const partnerLines = keys.partnerKey ? `
  Demo partner   ${keys.partner}   (Northwind Retail Ops: runs the demo tenant)
    partner key  ${keys.partnerKey}` : "";
process.stdout.write(`
Shelfsync is running.

  Console        ${consoleLine}
  API            ${edge.url}/v1
  API docs       ${edge.url}/v1/docs
  OpenAPI        ${edge.url}/v1/openapi.json
  State          ${stateDir}

  Platform key   ${key}   (from .dev.vars)${partnerLines}
  Demo tenant    ${keys.tenant}
    admin        ${keys.admin}
    web channel  ${keys.web}
    amazon       ${keys.amazon}
    erp          ${keys.erp}
    readonly     ${keys.readonly}
    store-001    ${keys.store}   (the store agent's key)

  Store agent    ${demoStore}
    POS API      ${pos}   (127.0.0.1 only)
    terminal     ${agent.terminalToken}   (the demo till's token; pair another: npx shelfsync-agent terminals pair --name "Till 2" --data-dir ${agentDir})
    status       ${pos}/status
    POS OpenAPI  ${pos}/openapi.json
    data         ${agentDir}   (agent.db, agent.log)

  Demo orders (web)
${orders.map((o) => `    ${o.externalId}    ${o.status.padEnd(width)}  ${o.id}`).join("\n")}

  Loyalty customers (points)
${loyalty.customers.map((c) => `    ${c.id}    ${c.name.padEnd(nameWidth)}  ${c.balance}`).join("\n")}
    till sale    ${loyalty.sale.transactionId} at ${demoStore} by loyalty card LOY-1001 (${loyalty.sale.recorded === "now" ? "sold now" : "sold on an earlier run"}): ${earned}

  Shopify sandbox  ${shop.url}   (a test server speaking Shopify's Admin GraphQL API)
    location     ${shop.pool}   (receives the web channel's availability)
    access token ${shop.accessToken}
    stock        ${shopState}   (kept across runs, like a real shop's)
    ${watched} ${shop.available(watched)} available now; the web channel may sell ${web.available}
  Connection     ${demoConnection}: channel web → the sandbox (${connectionNote})
    status       ${connectionStatus}

Try:
  curl -s ${edge.url}/v1/inventory/TSHIRT-RED-M -H "Authorization: Bearer ${keys.readonly}"
  curl -s "${edge.url}/v1/availability/TSHIRT-RED-M?channel=web" -H "Authorization: Bearer ${keys.web}"
  curl -s ${edge.url}/v1/orders -H "Authorization: Bearer ${keys.admin}"
  curl -s ${pos}/status -H "Authorization: Bearer ${agent.terminalToken}"
  curl -s ${pos}/items/TSHIRT-RED-M -H "Authorization: Bearer ${agent.terminalToken}"
  curl -s ${connectionStatus} -H "Authorization: Bearer ${keys.admin}"
  curl -s ${edge.url}/v1/customers/${demoLoyaltyCustomer}/loyalty -H "Authorization: Bearer ${keys.readonly}"   (a customer's points: balance, lots, ledger)
  curl -s "${shop.url}/sandbox/levels?sku=${watched}"
${financeBlock}

Each write the connection makes to the sandbox is logged below as "[shopify sandbox] set available: …",
each journal the ERP connection posts as "[netsuite sandbox] journal …".
Ctrl-C stops the agent, the edge and the sandboxes; state stays in ${stateDir}.
SHELFSYNC_EDGE_PORT, SHELFSYNC_AGENT_PORT, SHELFSYNC_SHOP_PORT and SHELFSYNC_NETSUITE_PORT change the ports.
`);
