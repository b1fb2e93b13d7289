import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { LocalEdge } from "../scripts/local-edge.ts";
import { startMiniflareEdge } from "../scripts/miniflare-edge.ts";
import type { InventoryView, LedgerEntry } from "../shared/schemas/inventory.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { AgentStatus, PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import { pairTerminalViaCli, setManagerFromCli, spawnAgent, unlimitedTerminalFlags, type AgentProcess } from "../store-agent/testing/agent-process.ts";
import { bearer, unusedPort, type TerminalCredentials } from "../store-agent/testing/fixtures.ts";

/*
 * Shared setup of the end-to-end tests: the real Worker in wrangler's
 * Miniflare (state persisted in a temp dir), a tenant made through the API,
 * the real agent as a child process with its libSQL file in a temp dir, and
 * terminals speaking HTTP to it. Every port is one the OS chose, so files
 * can run side by side; randomized tests take their seed from testSeed().
 */

export const platformKey = "e2e-platform-key-0123456789";
/** Seals connection credentials at the edge under test (32 bytes, base64). */
export const credentialsKey = "ZTJlLWNyZWRlbnRpYWxzLWtleS0zMi1ieXRlcyEhISE=";
export const location = "store-001";
export const otherLocation = "store-002";

export interface TempDir {
  dir: string;
  remove: () => void;
}

/** A temp dir removed by `remove()`. */
export function tempDir(label: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `shelfsync-e2e-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The edge with its Durable Object state in `stateDir`, on a port the OS
 * chose at its first start; it can be stopped and started again on the same
 * port and state (an outage), so an agent's edge URL stays valid.
 */
export class EdgeHost {
  readonly stateDir: string;
  /** Worker variables over wrangler.toml's, e.g. a smaller application budget for a test. */
  readonly #vars: Record<string, string>;
  #port: number | null = null;
  #edge: LocalEdge | null = null;

  constructor(stateDir: string, vars: Record<string, string> = {}) {
    this.stateDir = stateDir;
    this.#vars = vars;
  }

  get port(): number {
    if (this.#port === null) throw new Error("the edge has no port before its first start");
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#edge !== null;
  }

  async start(): Promise<void> {
    if (this.#edge) return;
    if (this.#port !== null) {
      this.#edge = await this.#startOn(this.#port);
      return;
    }
    // workerd cannot listen on port 0 and tell Miniflare's caller the port; so a free one, asked of the OS just before.
    for (let attempt = 1; ; attempt++) {
      const port = await unusedPort();
      try {
        this.#edge = await this.#startOn(port);
        this.#port = port;
        return;
      } catch (error) {
        // Another process took the port between the question and the listen.
        if (attempt >= 3 || !/address already in use|EADDRINUSE/i.test(String(error))) throw error;
      }
    }
  }

  #startOn(port: number): Promise<LocalEdge> {
    return startMiniflareEdge({ port, persistTo: this.stateDir, platformKey, vars: { CONNECTION_CREDENTIALS_KEY: credentialsKey, CONNECTION_CATCH_UP_SECONDS: "2", ...this.#vars }, output: process.env.E2E_EDGE_LOG ? "inherit" : "ignore", logLevel: process.env.E2E_EDGE_LOG ? "info" : "none" });
  }

  async stop(): Promise<void> {
    const edge = this.#edge;
    this.#edge = null;
    await edge?.stop();
  }
}

export interface SeededStore {
  tenantId: string;
  adminKey: string;
  /** A store key bound to `location`. */
  storeKey: string;
  /** A store key bound to `otherLocation`. */
  otherStoreKey: string;
  /** onHand at `location` when seeded, per SKU. */
  initial: Record<string, number>;
}

let tenantsSeeded = 0;

/**
 * Through the edge API, as an operator would: a tenant (platform key), two
 * store locations, each SKU in the catalog with `onHand` at `location`, and
 * a store key per location.
 */
export async function seedStore(url: string, stock: Record<string, number>): Promise<SeededStore> {
  const tenantId = `e2e-${Date.now().toString(36)}-${++tenantsSeeded}`;
  const created = await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: platformKey, body: { id: tenantId, name: "E2E Outfitters" } });
  const adminKey = created.adminKey.key;
  for (const id of [location, otherLocation]) await edgeCall(url, "PUT", `/v1/locations/${id}`, { key: adminKey, body: { type: "store", name: id } });
  for (const [sku, onHand] of Object.entries(stock)) {
    await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: adminKey, body: { name: `Item ${sku}`, barcodes: [], price: 1999, currency: "USD" } });
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: adminKey, body: { onHand, safetyStock: 0 } });
  }
  const storeKeyFor = async (at: string) => (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: adminKey, body: { role: "store", location: at, name: `agent ${at}` } })).key;
  return { tenantId, adminKey, storeKey: await storeKeyFor(location), otherStoreKey: await storeKeyFor(otherLocation), initial: { ...stock } };
}

/**
 * Checks that every customer's points at the edge are what their
 * acknowledged sales earn, once each: a sale with a customerId earns
 * floor(paid in dollars) at the default programme (1 point a dollar). The
 * edge moves points about a second after a batch is accepted, so this waits
 * up to `timeoutMs` for the balances, then compares them.
 */
export async function expectPointsEarnedExactlyOnce(url: string, store: SeededStore, acknowledged: Iterable<Pick<PosTransaction, "type" | "lines" | "customerId">>, timeoutMs = 15_000): Promise<void> {
  const expected = new Map<string, number>();
  for (const transaction of acknowledged) {
    if (transaction.type !== "sale" || transaction.customerId === undefined) continue;
    const paid = transaction.lines.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount, 0);
    expected.set(transaction.customerId, (expected.get(transaction.customerId) ?? 0) + Math.floor(paid / 100));
  }
  expect(expected.size, "sales with a customer").toBeGreaterThan(0);
  const balances = async () => Object.fromEntries(await Promise.all([...expected.keys()].map(async (id) => [id, (await edgeCall<{ balance: number }>(url, "GET", `/v1/customers/${id}/loyalty?limit=1`, { key: store.adminKey })).balance] as const)));
  const want = Object.fromEntries(expected);
  const deadline = Date.now() + timeoutMs;
  let seen = await balances().catch(() => ({}));
  while (JSON.stringify(seen) !== JSON.stringify(want) && Date.now() < deadline) {
    await sleep(250);
    seen = await balances().catch(() => seen);
  }
  expect(seen, "each customer's points").toEqual(want);
}

/** onHand of `sku` at `at`, as the edge reports it. */
export async function edgeOnHand(url: string, adminKey: string, sku: string, at = location): Promise<number | undefined> {
  const inventory = await edgeCall<InventoryView>(url, "GET", `/v1/inventory/${sku}`, { key: adminKey });
  return inventory.locations.find((stock) => stock.location === at)?.onHand;
}

/** Every ledger entry of `sku`, all pages. */
export async function edgeLedger(url: string, adminKey: string, sku: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let cursor: string | null = null;
  do {
    const page: { entries: LedgerEntry[]; nextCursor: string | null } = await edgeCall(url, "GET", `/v1/inventory/${sku}/ledger?limit=1000${cursor ? `&cursor=${cursor}` : ""}`, { key: adminKey });
    entries.push(...page.entries);
    cursor = page.entries.length === 0 ? null : page.nextCursor;
  } while (cursor);
  return entries;
}

/** The POS entries of `sku`'s ledger (sales, returns, voids). */
export async function edgePosEntries(url: string, adminKey: string, sku: string): Promise<LedgerEntry[]> {
  return (await edgeLedger(url, adminKey, sku)).filter((entry) => entry.type.startsWith("pos_"));
}

export interface ExceptionRecord {
  id: string;
  type: string;
  subject: string;
  correlationId: string | null;
  payload: Record<string, unknown>;
}

export async function edgeExceptions(url: string, adminKey: string): Promise<ExceptionRecord[]> {
  return (await edgeCall<{ exceptions: ExceptionRecord[] }>(url, "GET", "/v1/exceptions?limit=100", { key: adminKey })).exceptions;
}

/** A seeded PRNG (mulberry32): the same seed gives the same schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The seed of every randomized end-to-end test unless SHELFSYNC_E2E_SEED says otherwise: a run is repeatable by default. */
export const defaultSeed = 20261201;

/**
 * SHELFSYNC_E2E_SEED from the environment (an integer), or the fixed
 * default; printed, so that a failure names the seed that replays it.
 * Timing (kills, delays) still varies from run to run; the choices do not.
 */
export function testSeed(label: string): number {
  const given = process.env.SHELFSYNC_E2E_SEED?.trim();
  if (given && !/^-?\d+$/.test(given)) throw new Error(`SHELFSYNC_E2E_SEED must be an integer, not ${JSON.stringify(given)}`);
  const seed = given ? Number(given) : defaultSeed;
  process.stdout.write(`[${label}] seed ${seed}${given ? " (from SHELFSYNC_E2E_SEED)" : " (the default; SHELFSYNC_E2E_SEED=<integer> to try another)"}\n`);
  return seed;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(everyMs);
  }
}

export interface Line {
  sku: string;
  qty: number;
}

/** The manager every end-to-end agent has, who approves the terminals' returns (they have no receipt: blind). */
export const e2eManager = { id: "mgr-e2e", name: "E2E manager", pin: "271828" };

/**
 * A POS transaction as a terminal sends it. A return refunds the card with no
 * original sale, so it carries the manager's approval (the agent stores the
 * manager id and the reasons, not the PIN).
 */
export function posTransaction(transactionId: string, terminalId: string, lines: Line[], type: PosTransaction["type"] = "sale"): PosTransactionRequest {
  const total = lines.reduce((sum, line) => sum + line.qty * 1999, 0);
  return {
    transactionId,
    terminalId,
    type,
    currency: "USD",
    lines: lines.map((line) => ({ ...line, unitPrice: 1999, discount: 0, tax: 0 })),
    tenders: [{ type: "card", amount: type === "sale" ? total : -total }],
    occurredAt: new Date().toISOString(),
    ...(type === "sale" ? {} : { approval: { managerId: e2eManager.id, pin: e2eManager.pin } }),
  };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  contentType: string | null;
  body: T;
}

/** POSTs raw text or a JSON value; the body comes back parsed. */
export async function post<T = Record<string, unknown>>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), body: (text ? JSON.parse(text) : null) as T };
}

export interface Receipt {
  transactionId: string;
  receiptNumber: string;
  sequence: number;
  recordedAt: string;
}

/** What a paired terminal does: POST /pos/v1/transactions with its token. */
export function recordAtTerminal(terminal: TerminalCredentials, transaction: PosTransactionRequest | unknown): Promise<Answer<Receipt>> {
  return post<Receipt>(`${terminal.url}/pos/v1/transactions`, transaction, bearer(terminal.token));
}

export async function agentStatus(terminal: TerminalCredentials): Promise<AgentStatus> {
  const response = await fetch(`${terminal.url}/pos/v1/status`, { headers: bearer(terminal.token) });
  expect(response.status).toBe(200);
  return (await response.json()) as AgentStatus;
}

/** A running agent and the terminal paired with its data dir (`url` and `token`: what recordAtTerminal needs). */
export interface AgentHandle extends TerminalCredentials {
  process: AgentProcess;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

export interface AgentFlags {
  edgeUrl: string;
  storeKey: string;
  dataDir: string;
  /** 0 (the default): one the OS chooses; a crash test restarts the agent on the port it had. */
  port?: number;
  maxBackoffSeconds?: number;
  /** The agent's --edge-timeout (30 s when unset). */
  edgeTimeoutSeconds?: number;
  /** The agent's --health-interval (30 s when unset). */
  healthIntervalSeconds?: number;
}

/** Tokens of the terminal paired with each data dir: a restarted agent keeps its terminals, so a test pairs once. */
const pairedTokens = new Map<string, string>();

/**
 * `shelfsync-agent start` as a child process (store-agent/testing/agent-process.ts),
 * the store key in its environment; resolved once it listens. The first start
 * on a data dir pairs a terminal and sets up e2eManager through the CLI, as a
 * store admin would. The rate limit is lifted: the terminals of these tests
 * sell far faster than a till.
 */
export async function startAgentProcess(flags: AgentFlags): Promise<AgentHandle> {
  const agent = await spawnAgent(
    {
      "edge-url": flags.edgeUrl,
      location,
      "data-dir": flags.dataDir,
      port: String(flags.port ?? 0),
      host: "127.0.0.1",
      "max-backoff": String(flags.maxBackoffSeconds ?? 1),
      "pull-interval": "5",
      ...(flags.edgeTimeoutSeconds === undefined ? {} : { "edge-timeout": String(flags.edgeTimeoutSeconds) }),
      ...(flags.healthIntervalSeconds === undefined ? {} : { "health-interval": String(flags.healthIntervalSeconds) }),
      ...unlimitedTerminalFlags,
    },
    // As the shelfsync-agent launcher runs it.
    { nodeArgs: ["--max-semi-space-size=2"], env: { SHELFSYNC_STORE_KEY: flags.storeKey } },
  );
  const end = async (signal: NodeJS.Signals) => {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
    agent.child.kill(signal);
    await agent.exited;
  };
  let token = pairedTokens.get(flags.dataDir);
  if (!token) {
    try {
      await setManagerFromCli(flags.dataDir, e2eManager);
      token = (await pairTerminalViaCli(agent.url, flags.dataDir, "E2E till")).token;
    } catch (error) {
      await end("SIGTERM");
      throw error;
    }
    pairedTokens.set(flags.dataDir, token);
  }
  return { process: agent, url: agent.url, token, stop: () => end("SIGTERM"), kill: () => end("SIGKILL") };
}

export interface EdgeAndAgent {
  edge: EdgeHost;
  store: SeededStore;
  agent: AgentHandle;
}

/**
 * Registers the file's beforeAll and afterAll: an edge on its own temporary
 * state, the store seeded with `stock`, and an agent process with its own data
 * dir, stopped and removed afterwards. With `edgeDownFirst` the edge stops
 * before the agent starts: the store is offline from its first sale.
 * The returned object is filled in by beforeAll.
 */
export function useEdgeAndAgent(label: string, options: { stock: Record<string, number>; edgeDownFirst?: boolean }): EdgeAndAgent {
  const rig = {} as EdgeAndAgent;
  let edgeDir: TempDir | undefined;
  let agentDir: TempDir | undefined;
  beforeAll(async () => {
    edgeDir = tempDir(`${label}-edge`);
    agentDir = tempDir(`${label}-agent`);
    rig.edge = new EdgeHost(edgeDir.dir);
    await rig.edge.start();
    rig.store = await seedStore(rig.edge.url, options.stock);
    // The link goes down: the edge stops; its Durable Object state stays in edgeDir.
    if (options.edgeDownFirst) await rig.edge.stop();
    rig.agent = await startAgentProcess({ edgeUrl: rig.edge.url, storeKey: rig.store.storeKey, dataDir: agentDir.dir });
  });
  afterAll(async () => {
    try {
      await rig.agent?.stop();
      await rig.edge?.stop();
    } finally {
      edgeDir?.remove();
      agentDir?.remove();
    }
  });
  return rig;
}

/**
 * Registers the file's beforeAll and afterAll: one edge on its own temporary
 * state, for tests that each make their own store on it (storeWithAgent).
 * The returned object is filled in by beforeAll.
 */
export function useEdge(label: string, vars: Record<string, string> = {}): { edge: EdgeHost } {
  const host = {} as { edge: EdgeHost };
  let edgeDir: TempDir | undefined;
  beforeAll(async () => {
    edgeDir = tempDir(`${label}-edge`);
    host.edge = new EdgeHost(edgeDir.dir, vars);
    await host.edge.start();
  });
  afterAll(async () => {
    try {
      await host.edge?.stop();
    } finally {
      edgeDir?.remove();
    }
  });
  return host;
}

/**
 * Within a test: a store of its own at `edge` (a new tenant, seeded with
 * `stock`) and an agent process with a data dir of its own, stopped and
 * removed when the test ends. Nothing is left for the next test.
 */
export async function storeWithAgent(edge: EdgeHost, label: string, stock: Record<string, number>): Promise<{ store: SeededStore; agent: AgentHandle }> {
  const store = await seedStore(edge.url, stock);
  const agentDir = tempDir(`${label}-agent`);
  let agent: AgentHandle | undefined;
  onTestFinished(async () => {
    try {
      await agent?.stop();
    } finally {
      agentDir.remove();
    }
  });
  agent = await startAgentProcess({ edgeUrl: edge.url, storeKey: store.storeKey, dataDir: agentDir.dir });
  return { store, agent };
}

/** Waits until the agent reports nothing pending, and returns that status. */
export function waitForDrain(terminal: TerminalCredentials, timeoutMs: number): Promise<AgentStatus> {
  return waitFor("the agent's backlog to drain", timeoutMs, async () => {
    const status = await agentStatus(terminal);
    return status.backlog === 0 ? status : undefined;
  });
}

/**
 * Checks the edge against what the terminals were acknowledged: for every
 * SKU, the POS ledger entries are exactly one per acknowledged line
 * (reference `pos:<transactionId>:<line>`, the right type and delta), and
 * onHand is the seeded figure moved by exactly those lines.
 */
export async function expectAppliedExactlyOnce(url: string, store: SeededStore, acknowledged: Iterable<Pick<PosTransaction, "transactionId" | "type" | "lines">>): Promise<void> {
  const expected = new Map<string, { reference: string; type: string; delta: number }[]>();
  for (const sku of Object.keys(store.initial)) expected.set(sku, []);
  for (const transaction of acknowledged) {
    transaction.lines.forEach((line, index) => {
      const list = expected.get(line.sku) ?? [];
      list.push({ reference: `pos:${transaction.transactionId}:${index + 1}`, type: `pos_${transaction.type}`, delta: transaction.type === "sale" ? -line.qty : line.qty });
      expected.set(line.sku, list);
    });
  }
  const byReference = (a: { reference: string }, b: { reference: string }) => (a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0);
  for (const [sku, lines] of expected) {
    const entries = await edgePosEntries(url, store.adminKey, sku);
    const actual = entries.map((entry) => ({ reference: entry.reference ?? "", type: entry.type, delta: entry.delta })).sort(byReference);
    const references = actual.map((entry) => entry.reference);
    const doubled = references.filter((reference, i) => references.indexOf(reference) !== i);
    expect(doubled, `${sku}: ledger references applied more than once`).toEqual([]);
    const want = new Set(lines.map((line) => line.reference));
    expect(references.filter((reference) => !want.has(reference)), `${sku}: ledger entries of unacknowledged lines`).toEqual([]);
    const have = new Set(references);
    expect(lines.filter((line) => !have.has(line.reference)).map((line) => line.reference), `${sku}: acknowledged lines missing at the edge`).toEqual([]);
    expect(actual, `${sku}: ledger entries`).toEqual([...lines].sort(byReference));
    const moved = lines.reduce((sum, line) => sum + line.delta, 0);
    expect(await edgeOnHand(url, store.adminKey, sku), `${sku}: onHand`).toBe((store.initial[sku] ?? 0) + moved);
  }
}
