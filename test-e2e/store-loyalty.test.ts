import { afterAll, beforeAll, expect, it } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { LoyaltyAccount } from "../shared/schemas/loyalty.ts";
import type { PosCustomer } from "../shared/schemas/store-agent.ts";
import { bearer } from "../store-agent/testing/fixtures.ts";
import { FlakyProxy } from "./flaky-proxy.ts";
import {
  edgeExceptions,
  EdgeHost,
  location,
  posTransaction,
  recordAtTerminal,
  seedStore,
  startAgentProcess,
  tempDir,
  waitFor,
  type AgentHandle,
  type SeededStore,
  type TempDir,
} from "./harness.ts";

/*
 * The store's loyalty allowance against the real edge: a lookup at the till
 * holds points at the edge, the store redeems from that hold while its link
 * is down, the customer spends the rest online meanwhile, and the replay
 * spends the store's redemption from its hold: nothing twice, nothing short.
 */

const sku = "TEE-RED-M";
let edgeDir: TempDir;
let agentDir: TempDir;
let edge: EdgeHost;
let store: SeededStore;
let proxy: FlakyProxy;
let agent: AgentHandle;
/** While true the proxy drops every call of the agent's: the store is offline, the edge is not. */
let linkDown = false;

beforeAll(async () => {
  edgeDir = tempDir("loyalty-edge");
  agentDir = tempDir("loyalty-agent");
  edge = new EdgeHost(edgeDir.dir);
  await edge.start();
  store = await seedStore(edge.url, { [sku]: 50 });
  await edgeCall(edge.url, "PUT", "/v1/customers/cust-e2e", { key: store.adminKey, body: { name: "Jane Doe", loyaltyId: "LOY-E2E", email: "jane.e2e@example.com" } });
  await edgeCall(edge.url, "POST", "/v1/customers/cust-e2e/loyalty/adjustments", { key: store.adminKey, body: { points: 1000, reason: "welcome points" } });
  proxy = await FlakyProxy.start({ target: edge.url, schedule: () => ({ action: linkDown ? "drop" : "pass" }) });
  agent = await startAgentProcess({ edgeUrl: proxy.url, storeKey: store.storeKey, dataDir: agentDir.dir });
});

afterAll(async () => {
  try {
    await agent?.stop();
    await proxy?.close();
    await edge?.stop();
  } finally {
    edgeDir?.remove();
    agentDir?.remove();
  }
});

/** By loyalty id or customer id, or by contact (`?email=…`). */
async function lookUp(key: string): Promise<PosCustomer> {
  const response = await fetch(`${agent.url}/pos/v1/customers${key.startsWith("?") ? "" : "/"}${key}`, { headers: bearer(agent.token) });
  expect(response.status).toBe(200);
  return (await response.json()) as PosCustomer;
}

const account = () => edgeCall<LoyaltyAccount>(edge.url, "GET", "/v1/customers/cust-e2e/loyalty?limit=100", { key: store.adminKey });

it("redeems offline from the hold placed at lookup while the customer spends the rest online: nothing spent twice, nothing short", async () => {
  expect(await lookUp("LOY-E2E")).toMatchObject({ customerId: "cust-e2e", name: "Jane Doe", balance: 1000, redeemableOffline: 500, source: "edge" });
  // By email too, at the real edge: the same customer, the same hold.
  expect(await lookUp("?email=Jane.E2E@Example.com")).toMatchObject({ customerId: "cust-e2e", redeemableOffline: 500, source: "edge" });
  const held = await account();
  expect(held).toMatchObject({ balance: 1000, held: 500, available: 500, holds: [{ points: 500, status: "active", reference: `pos-lookup:${location}` }] });
  const holdId = held.holds[0]!.id;

  linkDown = true;
  expect(await lookUp("LOY-E2E")).toMatchObject({ redeemableOffline: 500, source: "cache" });
  expect(await lookUp("?email=jane.e2e@example.com")).toMatchObject({ customerId: "cust-e2e", redeemableOffline: 500, source: "cache" });
  const redeeming = { ...posTransaction("T01-000001", "T01", [{ sku, qty: 1 }]), customerId: "LOY-E2E", loyalty: { redeem: { points: 300 } } };
  expect((await recordAtTerminal(agent, redeeming)).status).toBe(201);
  const more = { ...posTransaction("T01-000002", "T01", [{ sku, qty: 1 }]), customerId: "LOY-E2E", loyalty: { redeem: { points: 100 } } };
  expect((await recordAtTerminal(agent, more)).body).toMatchObject({ code: "redemption_not_covered", redeemableOffline: 0 });
  const { loyalty: _refused, ...withoutRedemption } = more;
  expect((await recordAtTerminal(agent, withoutRedemption)).status).toBe(201);

  // Meanwhile, online, the customer spends every point the store does not hold.
  await edgeCall(edge.url, "POST", "/v1/customers/cust-e2e/loyalty/redemptions", { key: store.adminKey, body: { points: 500, reference: "web-order-1" } });

  linkDown = false;
  const settled = await waitFor("both sales' points applied", 60_000, async () => {
    const current = await account();
    return current.ledger.entries.filter((entry) => entry.type === "earn" && entry.source === "pos").length === 2 ? current : undefined;
  });
  const redemptions = settled.ledger.entries.filter((entry) => entry.type === "redeem").map((entry) => ({ points: -entry.balanceDelta, holdId: entry.holdId, reference: entry.reference }));
  expect(redemptions).toEqual([
    { points: 500, holdId: null, reference: "web-order-1" },
    { points: 300, holdId, reference: "T01-000001" },
  ]);
  const earned = settled.ledger.entries.filter((entry) => entry.type === "earn" && entry.source === "pos").reduce((sum, entry) => sum + entry.balanceDelta, 0);
  expect(earned).toBe(2 * 19);
  expect(settled).toMatchObject({ balance: 1000 - 500 - 300 + earned, held: 0, available: 1000 - 500 - 300 + earned, holds: [] });
  expect((await edgeExceptions(edge.url, store.adminKey)).filter((exception) => exception.type === "loyalty_short")).toEqual([]);

  // Back online, the next lookup holds again, from what there is now.
  expect(await lookUp("LOY-E2E")).toMatchObject({ balance: settled.balance, redeemableOffline: settled.available, source: "edge" });
});
