import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoyaltyAccount } from "../shared/schemas/loyalty.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { DemoKeys } from "./demo-seed.ts";
import { edgeCall } from "./edge-client.ts";

/** The customer whose points the demo's POS sale earns, and the curl line points at. */
export const demoLoyaltyCustomer = "cust-1001";

/** Customers with a welcome balance (a manual adjustment); the first one shops at store-001 by their loyalty card. */
const customers = [
  { id: demoLoyaltyCustomer, body: { name: "Jane Doe", email: "jane.doe@example.com", loyaltyId: "LOY-1001" }, welcome: 500 },
  { id: "cust-1002", body: { name: "Ravi Patel", phone: "+44 20 7946 0958", loyaltyId: "LOY-1002" }, welcome: 250 },
  { id: "cust-1003", body: { name: "Mia Chen", email: "mia.chen@example.com" }, welcome: 1_250 },
];
const welcomeReason = "Welcome bonus (demo)";
/** How long the demo waits for the sale's points: the agent pushes it at once, the edge applies points about a second later. */
const earnTimeoutMs = 15_000;

export interface DemoLoyalty {
  customers: { id: string; name: string; balance: number }[];
  sale: { transactionId: string; points: number | null; recorded: "now" | "before" };
}

interface LoyaltyDemoState {
  tenant: string;
  occurredAt: string;
}

/**
 * The demo tenant's loyalty, created where missing and left alone where
 * present: three customers (PUT, which changes nothing when they are as
 * wanted), each given a welcome balance once (an adjustment, made only while
 * the customer's ledger has none: Idempotency-Key records last a day, the
 * demo's state longer), and a sale at the store agent's till by Jane Doe's
 * loyalty card, with a fixed id and the time of the tenant's first run (kept
 * in `stateFile`), so that a re-run sends the same sale and the agent answers
 * with its first receipt. The agent replays it to the edge, whose store
 * ingest earns its points a second later (docs/decisions/0038); waits up to
 * 15 s for them, and answers null points if they have not arrived.
 */
export async function seedDemoLoyalty(url: string, keys: DemoKeys, till: { url: string; token: string }, stateFile: string): Promise<DemoLoyalty> {
  for (const customer of customers) {
    await edgeCall(url, "PUT", `/v1/customers/${customer.id}`, { key: keys.admin, body: customer.body });
    const account = await edgeCall<LoyaltyAccount>(url, "GET", `/v1/customers/${customer.id}/loyalty?limit=500`, { key: keys.admin });
    if (!account.ledger.entries.some((entry) => entry.type === "adjust" && entry.reference === welcomeReason)) {
      await edgeCall(url, "POST", `/v1/customers/${customer.id}/loyalty/adjustments`, {
        key: keys.admin,
        body: { points: customer.welcome, reason: welcomeReason },
        idempotencyKey: `demo-welcome-${keys.tenant}-${customer.id}`,
      });
    }
  }

  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as LoyaltyDemoState) : null;
  const occurredAt = saved?.tenant === keys.tenant ? saved.occurredAt : new Date().toISOString();
  writeFileSync(stateFile, `${JSON.stringify({ tenant: keys.tenant, occurredAt } satisfies LoyaltyDemoState, null, 2)}\n`);
  const sale = loyaltySale(occurredAt);
  const response = await fetch(`${till.url}/pos/v1/transactions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${till.token}` },
    body: JSON.stringify(sale),
  });
  const receipt = await response.text();
  // 409: the agent holds this sale with another time (the state file was removed, the agent's file kept): it is there all the same.
  if (response.status !== 201 && response.status !== 200 && response.status !== 409) throw new Error(`the demo's loyalty sale answered ${response.status}: ${receipt}`);

  const points = await earnedBy(url, keys.readonly, sale.transactionId);
  const balances = [];
  for (const customer of customers) {
    const account = await edgeCall<LoyaltyAccount>(url, "GET", `/v1/customers/${customer.id}/loyalty?limit=1`, { key: keys.readonly });
    balances.push({ id: customer.id, name: customer.body.name, balance: account.balance });
  }
  return { customers: balances, sale: { transactionId: sale.transactionId, points, recorded: response.status === 201 ? "now" : "before" } };
}

/** A T-shirt and a cap, 34.99 paid, by the card LOY-1001: 34 points at the default 1 point per dollar. */
function loyaltySale(occurredAt: string): PosTransaction {
  const lines = [
    { sku: "TSHIRT-RED-M", qty: 1, unitPrice: 1999, discount: 0, tax: 160 },
    { sku: "CAP-BLK", qty: 1, unitPrice: 1500, discount: 0, tax: 120 },
  ];
  const total = lines.reduce((sum, line) => sum + line.qty * line.unitPrice + line.tax, 0);
  return {
    transactionId: "DEMO-LOYALTY-0001",
    terminalId: "DEMO-TILL",
    type: "sale",
    currency: "USD",
    lines,
    tenders: [{ type: "card", amount: total }],
    customerId: "LOY-1001",
    occurredAt,
  };
}

/** The points the sale's earn entry gave the customer, once the edge applied them; null if not within the timeout. */
async function earnedBy(url: string, key: string, transactionId: string): Promise<number | null> {
  const deadline = Date.now() + earnTimeoutMs;
  for (;;) {
    const account = await edgeCall<LoyaltyAccount>(url, "GET", `/v1/customers/${demoLoyaltyCustomer}/loyalty?limit=500`, { key });
    const earned = account.ledger.entries.find((entry) => entry.type === "earn" && entry.reference === transactionId);
    if (earned) return earned.balanceDelta;
    if (Date.now() > deadline) return null;
    await sleep(250);
  }
}
