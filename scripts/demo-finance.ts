import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { sampleInternalIds, withSettlementAccounts } from "../fixtures/chart-of-accounts.ts";
import type { ErpConnection, ErpConnectionStatus } from "../shared/schemas/erp-connections.ts";
import type { FinanceSettings, JournalPage } from "../shared/schemas/finance.ts";
import type { ImportedPayout, Payout } from "../shared/schemas/settlements.ts";
import type { StoreTransactionBatchResult } from "../shared/schemas/store-transactions.ts";
import { maskSecret } from "../shared/signatures.ts";
import { FakeNetSuite, type NetSuiteJournal } from "../test-e2e/fakes/netsuite.ts";
import type { DemoKeys, DemoOrder } from "./demo-seed.ts";
import { edgeCall, edgeRequest } from "./edge-client.ts";

/** The demo's ERP connection: the tenant's posted journals, upserted into the NetSuite sandbox. */
export const demoErpConnection = "netsuite-demo";
/** The store whose past day the demo books; not the agent's store-001, whose sequence numbers are the agent's. */
export const financeStore = "store-002";
/** The web order the demo payout's charge pays for (CAP-BLK × 1, fulfilled by the demo seed). */
const paidOrder = { externalId: "DEMO-1003", amount: 1500, fee: 74 };
const payoutId = "po_ShelfsyncDemo0001";

/** The demo's chart of accounts, every kind of line mapped (settlements' bank, reserves and adjustments too), and their internal ids in the sandbox. */
const accounts = withSettlementAccounts;
const internalIds = sampleInternalIds;
/** UTC with a midnight cut-off: yesterday has closed whenever the demo starts. */
const books = { timeZone: "UTC", cutoff: "00:00" };

export interface NetSuiteSandbox {
  url: string;
  accountId: string;
  clientId: string;
  certificateId: string;
  privateKey: string;
  /** False when it started empty, for want of a state file. */
  restored: boolean;
  journals(): NetSuiteJournal[];
  stop(): Promise<void>;
}

interface SandboxState {
  clientId: string;
  certificateId: string;
  privateKey: string;
  journals: NetSuiteJournal[];
}

/**
 * The ERP of `npm start`: the NetSuite test server on a loopback port, with
 * the demo's accounts. Its integration record (client id, certificate and
 * key) and the journals it holds are saved to `stateFile`, as a real account
 * keeps them, so that the connection's credentials stay valid and a re-run
 * shows what earlier runs posted. `onJournal` hears of each journal received
 * (created, or upserted again).
 */
export async function startNetSuiteSandbox(port: number, stateFile: string, onJournal: (line: string) => void): Promise<NetSuiteSandbox> {
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as SandboxState) : null;
  const identity = saved ?? newIdentity();
  let fake: FakeNetSuite;
  try {
    fake = await FakeNetSuite.start({ accounts: Object.values(internalIds) }, { port, ...identity });
  } catch (error) {
    throw new Error(`the NetSuite sandbox cannot listen on 127.0.0.1:${port} (${String(error)}); set SHELFSYNC_NETSUITE_PORT`);
  }
  const save = () => {
    const state: SandboxState = { clientId: fake.clientId, certificateId: fake.certificateId, privateKey: fake.privateKey, journals: fake.journals() };
    writeFileSync(`${stateFile}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  save();
  const writes = new Map(fake.journals().map((journal) => [journal.externalId, journal.writes]));
  const watch = setInterval(() => {
    const changed = fake.journals().filter((journal) => writes.get(journal.externalId) !== journal.writes);
    if (changed.length === 0) return;
    for (const journal of changed) {
      onJournal(describeJournal(journal));
      writes.set(journal.externalId, journal.writes);
    }
    save();
  }, 250);
  return {
    url: fake.url,
    accountId: fake.accountId,
    clientId: fake.clientId,
    certificateId: fake.certificateId,
    privateKey: fake.privateKey,
    restored: saved !== null,
    journals: () => fake.journals(),
    stop: async () => {
      clearInterval(watch);
      save();
      await fake.close();
    },
  };
}

function newIdentity(): SandboxState {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return { clientId: `ns-client-${randomUUID()}`, certificateId: `ns-cert-${randomUUID().slice(0, 18)}`, privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), journals: [] };
}

/** `JE-demo-2026-12-01-store-002-pos-0 (2026-12-01) debits 93.56 credits 93.56`, and which write it was when not the first. */
function describeJournal(journal: NetSuiteJournal): string {
  const sum = (pick: (line: NetSuiteJournal["lines"][number]) => number) => (journal.lines.reduce((total, line) => total + Math.round(pick(line) * 100), 0) / 100).toFixed(2);
  const again = journal.writes > 1 ? ` (upserted again: write ${journal.writes})` : "";
  return `journal ${journal.externalId} (${journal.tranDate}) debits ${sum((l) => l.debit)} credits ${sum((l) => l.credit)}${again}`;
}

export interface DemoFinance {
  /** The past business day the demo's POS sales are on (chosen once per tenant). */
  day: string;
  /** What this run did to the account mapping and to the ERP connection. */
  accounts: "created" | "updated" | "found";
  connection: "created" | "updated" | "found";
  /** How many of the day's POS transactions were applied now (0 on a re-run: all duplicates). */
  posAccepted: number;
  posDuplicates: number;
  /** The journals of the day (and the payout's, once posted) in Shelfsync's books. */
  journals: string[];
  payout: Payout;
  payoutReplayed: boolean;
}

interface FinanceDemoState {
  tenant: string;
  day: string;
}

/**
 * The demo tenant's finance, created where missing and left alone where
 * present: the account mapping (UTC, midnight cut-off), the connection
 * `netsuite-demo` to the sandbox, a few POS sales at store-002 on a past day
 * (yesterday on the tenant's first run, kept in `stateFile` so that a re-run
 * sends the same transactions, which are duplicates), and a Stripe payout
 * whose charge pays DEMO-1003. Waits until the sandbox holds the day's
 * journals. Safe to run at every start.
 */
export async function seedDemoFinance(url: string, keys: DemoKeys, orders: DemoOrder[], sandbox: NetSuiteSandbox, stateFile: string): Promise<DemoFinance> {
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as FinanceDemoState) : null;
  const day = saved?.tenant === keys.tenant ? saved.day : new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  writeFileSync(stateFile, `${JSON.stringify({ tenant: keys.tenant, day } satisfies FinanceDemoState, null, 2)}\n`);

  const mapping = await financeAccounts(url, keys.admin);
  const connection = await netsuiteConnection(url, keys.admin, sandbox);
  const sent = await edgeCall<StoreTransactionBatchResult>(url, "POST", `/v1/stores/${financeStore}/transactions`, { key: keys.admin, body: { transactions: posDay(day) } });
  const rejected = sent.results.filter((result) => result.status === "rejected");
  if (rejected.length > 0) throw new Error(`the demo's POS sales were rejected: ${JSON.stringify(rejected)}`);

  const order = orders.find((o) => o.externalId === paidOrder.externalId);
  if (!order) throw new Error(`the demo has no order ${paidOrder.externalId} to pay out`);
  const imported = await edgeRequest<ImportedPayout>(url, "POST", "/v1/finance/settlements?source=stripe&channel=web", { key: keys.admin, body: stripePayout(day) });
  if (imported.status !== 200 && imported.status !== 201) throw new Error(`importing the demo payout answered ${imported.status}: ${JSON.stringify(imported.body)}`);
  const payout = await edgeCall<Payout>(url, "GET", `/v1/finance/payouts/stripe:${payoutId}`, { key: keys.admin });

  const journals = await postedToSandbox(url, keys.admin, day, sandbox);
  return {
    day,
    accounts: mapping,
    connection,
    posAccepted: sent.results.filter((result) => result.status === "accepted").length,
    posDuplicates: sent.results.filter((result) => result.status === "duplicate").length,
    journals,
    payout,
    payoutReplayed: imported.body.replayed,
  };
}

/** The mapping, PUT when missing or different; found as wanted, it is left alone. */
async function financeAccounts(url: string, admin: string): Promise<DemoFinance["accounts"]> {
  const found = await edgeRequest<FinanceSettings>(url, "GET", "/v1/finance/accounts", { key: admin });
  if (found.status !== 200 && found.status !== 404) throw new Error(`GET /v1/finance/accounts answered ${found.status}: ${JSON.stringify(found.body)}`);
  const current = found.status === 200 ? found.body : null;
  if (current && current.timeZone === books.timeZone && current.cutoff === books.cutoff && canonical(current.accounts) === canonical(accounts)) return "found";
  await edgeCall(url, "PUT", "/v1/finance/accounts", { key: admin, body: { ...books, accounts } });
  return current ? "updated" : "created";
}

/** The connection, PUT when missing or pointing elsewhere than this sandbox (URL, integration record, accounts); found as wanted, left alone. */
async function netsuiteConnection(url: string, admin: string, sandbox: NetSuiteSandbox): Promise<DemoFinance["connection"]> {
  const path = `/v1/erp/connections/${demoErpConnection}`;
  const found = await edgeRequest<ErpConnection>(url, "GET", path, { key: admin });
  if (found.status !== 200 && found.status !== 404) throw new Error(`GET ${path} answered ${found.status}: ${JSON.stringify(found.body)}`);
  const current = found.status === 200 ? found.body : null;
  const settings = { accountId: sandbox.accountId, baseUrl: sandbox.url, subsidiary: "1", accounts: internalIds, concurrency: 5 };
  if (
    current?.type === "netsuite" &&
    current.settings.accountId === settings.accountId &&
    current.settings.baseUrl === settings.baseUrl &&
    current.settings.subsidiary === settings.subsidiary &&
    canonical(current.settings.accounts) === canonical(settings.accounts) &&
    current.credentials.clientId === maskSecret(sandbox.clientId) &&
    current.credentials.certificateId === maskSecret(sandbox.certificateId) &&
    current.credentials.privateKey === maskSecret(sandbox.privateKey)
  ) {
    return "found";
  }
  const credentials = { clientId: sandbox.clientId, certificateId: sandbox.certificateId, privateKey: sandbox.privateKey };
  await edgeCall(url, "PUT", path, { key: admin, body: { type: "netsuite", settings, credentials, enabled: current?.enabled ?? true } });
  return current ? "updated" : "created";
}

/** Three sales at store-002 on `day`, card and cash, with fixed ids and sequence numbers 1–3: sent again, they are duplicates. */
function posDay(day: string) {
  const sales: { lines: [string, number, number][]; tender: "card" | "cash"; at: string }[] = [
    { lines: [["TSHIRT-RED-M", 1, 1999], ["CAP-BLK", 1, 1500]], tender: "card", at: "10:15" },
    { lines: [["JEANS-SLIM-32", 1, 5900]], tender: "cash", at: "13:40" },
    { lines: [["CAP-BLK", 2, 1500]], tender: "card", at: "17:05" },
  ];
  return sales.map((sale, i) => {
    const lines = sale.lines.map(([sku, qty, unitPrice]) => ({ sku, qty, unitPrice, tax: Math.round(qty * unitPrice * 0.08) }));
    const total = lines.reduce((sum, line) => sum + line.qty * line.unitPrice + line.tax, 0);
    return {
      sequence: i + 1,
      transaction: { transactionId: `DEMO-${financeStore}-T01-${i + 1}`, terminalId: "T01", type: "sale", lines, tenders: [{ type: sale.tender, amount: total }], occurredAt: `${day}T${sale.at}:00.000Z` },
    };
  });
}

/** A Stripe payout (the shape of fixtures/settlements/stripe-payout.json) of one charge for DEMO-1003 less its fee, deposited at the end of `day`. */
function stripePayout(day: string) {
  const midnight = Date.parse(`${day}T00:00:00Z`) / 1000;
  const net = paidOrder.amount - paidOrder.fee;
  const chargeId = "ch_ShelfsyncDemo0001";
  return {
    payout: { id: payoutId, object: "payout", amount: net, arrival_date: midnight, created: midnight + 20 * 3600, currency: "usd", description: "STRIPE PAYOUT", method: "standard", status: "paid", type: "bank_account" },
    balance_transactions: {
      object: "list",
      has_more: false,
      data: [
        {
          id: "txn_ShelfsyncDemo0001",
          object: "balance_transaction",
          amount: paidOrder.amount,
          fee: paidOrder.fee,
          fee_details: [{ amount: paidOrder.fee, currency: "usd", description: "Stripe processing fees", type: "stripe_fee" }],
          net,
          currency: "usd",
          created: midnight + 9 * 3600,
          description: `Order ${paidOrder.externalId}`,
          reporting_category: "charge",
          source: { id: chargeId, object: "charge", amount: paidOrder.amount, currency: "usd", metadata: { order_id: paidOrder.externalId }, paid: true, refunded: false },
          status: "available",
          type: "charge",
        },
        {
          id: "txn_ShelfsyncDemo0002",
          object: "balance_transaction",
          amount: -net,
          fee: 0,
          fee_details: [],
          net: -net,
          currency: "usd",
          created: midnight + 20 * 3600,
          description: "STRIPE PAYOUT",
          reporting_category: "payout",
          source: payoutId,
          status: "available",
          type: "payout",
        },
      ],
    },
  };
}

/** Waits until the ledger has posted the day's journals (POS and the payout's) and the sandbox holds each of them. */
async function postedToSandbox(url: string, admin: string, day: string, sandbox: NetSuiteSandbox): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const page = await edgeCall<JournalPage>(url, "GET", `/v1/finance/journals?date=${day}&limit=500`, { key: admin });
    const ids = page.journals.map((journal) => journal.id);
    const held = new Set(sandbox.journals().map((journal) => journal.externalId));
    const status = await edgeCall<ErpConnectionStatus>(url, "GET", `/v1/erp/connections/${demoErpConnection}/status`, { key: admin });
    const settled = ids.some((id) => id.includes("-settlements-"));
    if (settled && ids.some((id) => id.includes(`-${financeStore}-`)) && ids.every((id) => held.has(id)) && status.pending.journals === 0) return ids;
    if (Date.now() > deadline) {
      throw new Error(`the NetSuite sandbox holds ${ids.filter((id) => held.has(id)).length} of the ${ids.length} journals of ${day} after 60 s; connection status: ${JSON.stringify(status)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** JSON with sorted keys, to compare a stored object with the wanted one. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}
