import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import { forEachLimited } from "../shared/for-each-limited.ts";
import type { LoyaltyAccount, LoyaltyEntry } from "../shared/schemas/loyalty.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { pairTerminalViaCli, spawnAgent, unlimitedTerminalFlags, type AgentProcess } from "../store-agent/testing/agent-process.ts";
import { bearer, sale, tempDataDir, unusedPort, type TerminalCredentials } from "../store-agent/testing/fixtures.ts";
import { createBenchTenant, hostLabel, machineLine, median, reservationLoad, runLoad, startBenchEdge, workerdCpuMs, type BenchTenant, type LoadFigures } from "./harness.ts";
import { printTop, profileTimes, saveProfile, sourceFileOfLine, startProfile } from "./profiler.ts";

/**
 * Loyalty under load (issue 14, docs/decisions/0038-loyalty.md), on one local edge:
 *
 * 1. Redemptions on one customer at `connections` connections: each round a
 *    fresh customer gets `seedPoints` by an adjustment, then autocannon sends
 *    `redemptionCount` redemptions of `redeemPoints` with the web channel's
 *    key (as a checkout does), each with its own Idempotency-Key. Checked: only
 *    201 and 409 answers; Σ granted = seeded − final balance; balance ≥ 0;
 *    nothing held; the ledger's entries sum to the balance and hold exactly
 *    one redeem entry per 201; once points run short, 409 insufficient_points.
 *    Beside each round, for scale, the same number of 1-unit reservations of
 *    one SKU (bench:reserve's load) and, once, the HTTP floor (GET /health).
 *
 * 2. Earn throughput through store replay: the same `transactions` sales
 *    (1-3 lines over `skuCount` SKUs) buffered by a real agent while its
 *    edge address leads nowhere, then replayed by the agent's own replayer
 *    into the edge when it starts again with the edge's address; once
 *    without customers ("plain") and once with each sale's customerId one of
 *    `customerCount` customers ("loyalty"), each run on a store of its own,
 *    the order alternating by round. Measured: the replay (first push to last
 *    answer, from the agent's log) and, with loyalty, the time from the first
 *    push until every point is on the customers' balances (polled once the
 *    backlog is empty). Checked afterwards: every SKU's onHand at every
 *    store, each customer's balance, and each sale's earn entry in its
 *    customer's ledger exactly once with the points it should earn; no
 *    exceptions. Any failed check exits 1; the 20 % goal is only reported.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seedPoints = Number(process.env.BENCH_POINTS ?? 10_000);
const redeemPoints = Number(process.env.BENCH_REDEEM_POINTS ?? 7);
/**
 * Redemptions sent a round: half again as many as the points allow, so that about a third are refused.
 * A count, not a duration: autocannon drops the answers still in flight when a duration ends, and those
 * redemptions would be spent without being counted.
 */
const redemptionCount = Number(process.env.BENCH_REDEMPTIONS ?? Math.ceil((seedPoints / redeemPoints) * 1.5));
const transactions = Number(process.env.BENCH_TRANSACTIONS ?? 10_000);
const warmUpTransactions = Number(process.env.BENCH_WARMUP ?? 1_000);
const customerCount = Number(process.env.BENCH_CUSTOMERS ?? 200);
const skuCount = Number(process.env.BENCH_SKUS ?? 200);
const terminals = Number(process.env.BENCH_TERMINALS ?? 8);
const port = Number(process.env.BENCH_PORT ?? 19120);
const agentPort = Number(process.env.BENCH_AGENT_PORT ?? 19121);
/** Node flags for the agent process: those store-agent/bin/shelfsync-agent.js runs it with. */
const nodeArgs = ["--max-semi-space-size=2"];
const startingStock = 10_000_000;
const pointsTimeoutMs = 15 * 60_000;
/**
 * BENCH_PROFILE=1: a CPU profile of workerd's isolate over each replay run (after the warm-up), printed
 * per sale. The profiler costs CPU: its runs' rates are not the bench's figures.
 */
const profiling = process.env.BENCH_PROFILE === "1";
const inspectorPort = Number(process.env.BENCH_INSPECTOR_PORT ?? 9241);
if (profiling) process.env.BENCH_INSPECTOR_PORT = String(inspectorPort);
/** After a plain replay, for the finance hand-off of its last batches to finish before the next run. */
const settleMs = 5_000;

const skus = Array.from({ length: skuCount }, (_, i) => `LOY-SKU-${String(i + 1).padStart(4, "0")}`);
const customers = Array.from({ length: customerCount }, (_, i) => `bench-cust-${String(i + 1).padStart(4, "0")}`);
const problems: string[] = [];
const check = (ok: boolean, problem: string) => {
  if (!ok) problems.push(problem);
  return ok;
};
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const format = (value: number) => Math.round(value).toLocaleString("en-US");
/**
 * autocannon's sample interval for the counted loads: a run ends at the tick after its last answer, so
 * a 100 ms tick keeps `requests / seconds` within about 1 % of the true rate over a run of 7 s or more.
 */
const sampleInt = 100;
/** Requests a second over the whole run; autocannon's own average is of its samples. */
const rateOfLoad = (load: LoadFigures) => load.requests / load.seconds;
const loadAverage = () => loadavg().map((load) => load.toFixed(1)).join(" ");

/** A customer's whole ledger, page by page. */
async function ledgerOf(url: string, admin: string, customerId: string): Promise<{ account: LoyaltyAccount; entries: LoyaltyEntry[] }> {
  const entries: LoyaltyEntry[] = [];
  let cursor: string | null = null;
  let account: LoyaltyAccount;
  do {
    account = await edgeCall<LoyaltyAccount>(url, "GET", `/v1/customers/${customerId}/loyalty?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key: admin });
    entries.push(...account.ledger.entries);
    cursor = account.ledger.entries.length > 0 ? account.ledger.nextCursor : null;
  } while (cursor);
  return { account, entries };
}

// ---- 1. Redemptions on one customer ----

interface RedemptionRound {
  load: LoadFigures;
  granted: number;
  refused: number;
  balance: number;
  ok: boolean;
}

function redemptionLoad(url: string, key: string, customerId: string, amount: number): Promise<LoadFigures> {
  return runLoad({
    url,
    connections,
    amount,
    sampleInt,
    requests: [
      {
        method: "POST",
        path: `/v1/customers/${customerId}/loyalty/redemptions`,
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ points: redeemPoints, reference: "bench-checkout" }),
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, "idempotency-key": randomUUID() } }),
      },
    ],
  });
}

async function seededCustomer(url: string, tenant: BenchTenant, customerId: string, points: number): Promise<void> {
  await edgeCall(url, "PUT", `/v1/customers/${customerId}`, { key: tenant.admin, body: { name: `Bench ${customerId}` } });
  await edgeCall(url, "POST", `/v1/customers/${customerId}/loyalty/adjustments`, { key: tenant.admin, body: { points, reason: "bench seed" } });
}

async function redemptionRound(url: string, tenant: BenchTenant, round: number): Promise<RedemptionRound> {
  const customerId = `bench-redeem-${round}`;
  await seededCustomer(url, tenant, customerId, seedPoints);
  const load = await redemptionLoad(url, tenant.channelKey, customerId, redemptionCount);
  const granted = load.statuses["201"] ?? 0;
  const refused = load.statuses["409"] ?? 0;
  const { account, entries } = await ledgerOf(url, tenant.admin, customerId);
  const sum = (pick: (entry: LoyaltyEntry) => number, of = entries) => of.reduce((total, entry) => total + pick(entry), 0);
  const redeems = entries.filter((entry) => entry.type === "redeem");
  const label = `redemptions round ${round}`;
  let ok = check(granted + refused === load.requests && load.errors === 0, `${label}: answers other than 201/409 or errors: ${JSON.stringify(load.statuses)}, ${load.errors} errors`);
  ok = check(account.balance === seedPoints - granted * redeemPoints, `${label}: balance ${account.balance}, but ${seedPoints} seeded − ${granted} × ${redeemPoints} granted = ${seedPoints - granted * redeemPoints}`) && ok;
  ok = check(account.balance >= 0 && account.held === 0 && account.available === account.balance, `${label}: balance ${account.balance}, held ${account.held}, available ${account.available}`) && ok;
  ok = check(sum((e) => e.balanceDelta) === account.balance && sum((e) => e.heldDelta) === 0, `${label}: the ledger sums to ${sum((e) => e.balanceDelta)} (held ${sum((e) => e.heldDelta)}), the balance is ${account.balance}`) && ok;
  ok = check(redeems.length === granted && sum((e) => e.balanceDelta, redeems) === -granted * redeemPoints, `${label}: ${redeems.length} redeem entries for ${-sum((e) => e.balanceDelta, redeems)} points, ${granted} answered 201`) && ok;
  if (account.available < redeemPoints) {
    const refusal = await edgeRequest<{ code?: string }>(url, "POST", `/v1/customers/${customerId}/loyalty/redemptions`, { key: tenant.channelKey, body: { points: redeemPoints, reference: "bench-after" } });
    ok = check(refusal.status === 409 && refusal.body.code === "insufficient_points", `${label}: a redemption beyond the balance answered ${refusal.status} ${JSON.stringify(refusal.body)}`) && ok;
  }
  process.stdout.write(
    `  round ${round}: ${format(rateOfLoad(load))} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms; ${granted} × 201 (${granted * redeemPoints} points), ${refused} × 409; ` +
      `balance ${account.balance}, ledger ${entries.length} entries: ${ok ? "OK" : "FAILED"}\n`,
  );
  return { load, granted, refused, balance: account.balance, ok };
}

// ---- 2. Earn throughput through store replay ----

type Variant = "plain" | "loyalty";

interface ReplayRun {
  variant: Variant;
  location: string;
  count: number;
  /** First push started → last answer, from the agent's log. */
  replayMs: number;
  batches: number[];
  /** First push started → every point on the balances (loyalty only). */
  pointsMs: number | null;
  /** Share of the run's points already on the balances when the backlog was empty (loyalty only). */
  pointsAtDrain: number | null;
  points: number;
  /** workerd's CPU from the agent's start to the end of the run (every point applied, or the plain run settled). */
  cpuMs: number;
}

/** Sale n of a run: 1-3 lines over the SKUs, 1-3 units a line, and with loyalty one of the customers. */
function saleOf(prefix: string, n: number, variant: Variant): PosTransaction {
  const terminalId = `T${n % terminals}`;
  const lines = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ sku: skus[(n * 7 + i * 31) % skuCount]!, qty: 1 + ((n + i) % 3), unitPrice: 1999, discount: 0, tax: 160 }));
  const amount = lines.reduce((sum, line) => sum + line.qty * (line.unitPrice + line.tax), 0);
  return sale(`${prefix}-${terminalId}-${String(n).padStart(7, "0")}`, {
    terminalId,
    lines,
    tenders: [{ type: "card", amount }],
    ...(variant === "loyalty" ? { customerId: customers[n % customerCount]! } : {}),
  });
}

/** What a sale earns at 1 point per dollar, worked out here rather than by shared/loyalty-earning.ts, which it checks. */
const pointsOf = (transaction: PosTransaction) => Math.floor(transaction.lines.reduce((sum, line) => sum + line.qty * line.unitPrice - line.discount, 0) / 100);

interface Expected {
  units: Map<string, Map<string, number>>;
  balances: Map<string, number>;
  /** transactionId → [customer, points] of every sale with a customer. */
  earnings: Map<string, [string, number]>;
}

const expected: Expected = { units: new Map(), balances: new Map(customers.map((id) => [id, 0])), earnings: new Map() };

async function agentStatus(till: TerminalCredentials): Promise<{ backlog: number; deadLetters: number; edgeHighWaterMark: number | null; edgeGaps: unknown[] }> {
  return (await (await fetch(`${till.url}/pos/v1/status`, { headers: bearer(till.token) })).json()) as never;
}

async function stopAgent(agent: AgentProcess): Promise<void> {
  agent.child.kill("SIGTERM");
  await agent.exited;
}

function startAgent(edgeUrl: string, location: string, dataDir: string, storeKey: string): Promise<AgentProcess> {
  const flags = { "edge-url": edgeUrl, location, "data-dir": dataDir, port: String(agentPort), host: "127.0.0.1", "max-backoff": "1", "pull-interval": "3600", ...unlimitedTerminalFlags };
  return spawnAgent(flags, { nodeArgs, env: { SHELFSYNC_STORE_KEY: storeKey } });
}

/** A store with every SKU stocked, and its key. */
async function benchStore(url: string, admin: string, location: string): Promise<string> {
  await edgeCall(url, "PUT", `/v1/locations/${location}`, { key: admin, body: { type: "store" } });
  await forEachLimited(skus, 8, async (sku) => {
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: admin, body: { onHand: startingStock } });
  });
  return (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body: { role: "store", location } })).key;
}

/** Runs the store's agent against an address where nothing listens and sells `count` sales through its POS API. */
async function fillBacklog(location: string, storeKey: string, dataDir: string, sales: PosTransaction[]): Promise<TerminalCredentials> {
  const agent = await startAgent(`http://127.0.0.1:${await unusedPort()}`, location, dataDir, storeKey);
  try {
    const till = await pairTerminalViaCli(agent.url, dataDir, "Bench till");
    let next = 0;
    await Promise.all(
      Array.from({ length: terminals }, async () => {
        for (let n = next++; n < sales.length; n = next++) {
          const response = await fetch(`${till.url}/pos/v1/transactions`, { method: "POST", headers: { "content-type": "application/json", ...bearer(till.token) }, body: JSON.stringify(sales[n]) });
          await response.arrayBuffer();
          if (response.status !== 201) throw new Error(`${location}: sale ${n} answered ${response.status}`);
        }
      }),
    );
    const { backlog } = await agentStatus(till);
    if (backlog !== sales.length) throw new Error(`${location}: backlog ${backlog} after ${sales.length} sales`);
    return till;
  } finally {
    await stopAgent(agent);
  }
}

/** Σ the customers' balances, read a few at a time. */
async function balanceSum(url: string, admin: string): Promise<number> {
  const balances: number[] = [];
  await forEachLimited(customers, 8, async (customerId) => {
    balances.push((await edgeCall<LoyaltyAccount>(url, "GET", `/v1/customers/${customerId}/loyalty?limit=1`, { key: admin })).balance);
  });
  return balances.reduce((sum, balance) => sum + balance, 0);
}

async function replayRun(url: string, tenant: BenchTenant, variant: Variant, label: string, count: number): Promise<ReplayRun> {
  const location = `store-${label}-${variant}`;
  const storeKey = await benchStore(url, tenant.admin, location);
  const sales = Array.from({ length: count }, (_, n) => saleOf(`${label}${variant[0]}`, n, variant));
  const units = new Map<string, number>();
  for (const transaction of sales) for (const line of transaction.lines) units.set(line.sku, (units.get(line.sku) ?? 0) + line.qty);
  expected.units.set(location, units);
  const points = variant === "loyalty" ? sales.reduce((sum, transaction) => sum + pointsOf(transaction), 0) : 0;
  const dataDir = tempDataDir();
  try {
    const till = await fillBacklog(location, storeKey, dataDir.dir, sales);
    const pointsBefore = variant === "loyalty" ? await balanceSum(url, tenant.admin) : 0;
    const profiler = profiling && label !== "w" ? await startProfile(inspectorPort, 200) : null;
    const cpuBefore = workerdCpuMs();
    const agent = await startAgent(url, location, dataDir.dir, storeKey);
    try {
      let status = await agentStatus(till);
      while (status.backlog > 0) {
        await sleep(100);
        status = await agentStatus(till);
      }
      let pointsMs: number | null = null;
      let pointsAtDrain: number | null = null;
      const pushes = agent.logs.filter((entry) => entry.event === "pushed");
      const firstPushStart = Date.parse(String(pushes[0]?.time)) - Number(pushes[0]?.ms);
      const replayMs = Date.parse(String(pushes.at(-1)?.time)) - firstPushStart;
      if (variant === "loyalty") {
        const wanted = pointsBefore + points;
        let sum = await balanceSum(url, tenant.admin);
        pointsAtDrain = (sum - pointsBefore) / points;
        let reported = Date.now();
        while (sum < wanted && Date.now() - firstPushStart < pointsTimeoutMs) {
          await sleep(250);
          sum = await balanceSum(url, tenant.admin);
          if (Date.now() - reported > 10_000) {
            reported = Date.now();
            process.stdout.write(`    ${location}: ${sum - pointsBefore} of ${points} points applied after ${((Date.now() - firstPushStart) / 1000).toFixed(0)} s\n`);
          }
        }
        pointsMs = Date.now() - firstPushStart;
        check(sum === wanted, `${location}: the customers hold ${sum - pointsBefore} points from this run, ${points} expected${sum < wanted ? ` (after ${pointsTimeoutMs / 1000} s)` : ""}`);
        for (const transaction of sales) {
          expected.earnings.set(transaction.transactionId, [transaction.customerId!, pointsOf(transaction)]);
          expected.balances.set(transaction.customerId!, expected.balances.get(transaction.customerId!)! + pointsOf(transaction));
        }
      } else {
        await sleep(settleMs);
      }
      check(status.deadLetters === 0 && status.edgeHighWaterMark === count && status.edgeGaps.length === 0, `${location}: the agent's view of the edge is not complete: ${JSON.stringify(status)}`);
      const batches = pushes.map((entry) => Number(entry.ms)).sort((a, b) => a - b);
      const cpuMs = workerdCpuMs() - cpuBefore;
      if (profiler) printProfile(location, await profiler.stop(), count);
      return { variant, location, count, replayMs, batches, pointsMs, pointsAtDrain, points, cpuMs };
    } finally {
      await stopAgent(agent);
    }
  } finally {
    dataDir.remove();
  }
}

let bundle = "";

function printProfile(location: string, profile: Parameters<typeof saveProfile>[1], sales: number): void {
  const { byFile, byFunction, inclusive, total, idle } = profileTimes(profile, sourceFileOfLine(bundle));
  process.stdout.write(`\n  CPU profile of ${location}: isolate idle ${((idle / total) * 100).toFixed(0)} %, busy ${((total - idle) / sales).toFixed(0)} µs a sale (sampled)\n`);
  printTop("  Self time by source file:", byFile, sales, total, "sale", 20);
  printTop("  Busiest functions (self time):", byFunction, sales, total, "sale", 20);
  printTop("  Functions by inclusive time:", inclusive, sales, total, "sale", 40);
  process.stdout.write(`  Profile written to ${saveProfile(location, profile)}\n\n`);
}

function describeRun(run: ReplayRun): string {
  const rate = (run.count * 1000) / run.replayMs;
  const base =
    `  ${run.location}: ${run.count} sales replayed in ${(run.replayMs / 1000).toFixed(1)} s = ${format(rate)} tx/s, batch p50 ${percentile(run.batches, 50)} ms p99 ${percentile(run.batches, 99)} ms, ` +
    `workerd CPU ${((run.cpuMs * 1000) / run.count).toFixed(0)} µs a sale`;
  if (run.pointsMs === null) return `${base}\n`;
  return `${base}; ${run.points} points all applied ${(run.pointsMs / 1000).toFixed(1)} s after the first push = ${format((run.count * 1000) / run.pointsMs)} earnings/s, ${format((run.points * 1000) / run.pointsMs)} points/s (${Math.round(run.pointsAtDrain! * 100)} % on the balances when the backlog emptied)\n`;
}

/** Every SKU at every bench store, and every sale's earning in its customer's ledger once. */
async function verifyReplays(url: string, admin: string): Promise<void> {
  await forEachLimited(skus, 8, async (sku) => {
    const inventory = await edgeCall<{ locations: { location: string; onHand: number }[] }>(url, "GET", `/v1/inventory/${sku}`, { key: admin });
    for (const [location, units] of expected.units) {
      const onHand = inventory.locations.find((l) => l.location === location)?.onHand;
      check(onHand === startingStock - (units.get(sku) ?? 0), `${sku} at ${location}: onHand ${onHand}, expected ${startingStock - (units.get(sku) ?? 0)}`);
    }
  });
  const seen = new Set<string>();
  await forEachLimited(customers, 8, async (customerId) => {
    const { account, entries } = await ledgerOf(url, admin, customerId);
    check(account.balance === expected.balances.get(customerId), `${customerId}: balance ${account.balance}, expected ${expected.balances.get(customerId)}`);
    for (const entry of entries.filter((e) => e.type !== "earn")) problems.push(`${customerId}: an unexpected ${entry.type} entry`);
    for (const entry of entries.filter((e) => e.type === "earn")) {
      const [owner, points] = expected.earnings.get(entry.reference) ?? [];
      check(!seen.has(entry.reference), `${entry.reference}: earned twice`);
      check(owner === customerId && points === entry.balanceDelta, `${customerId}: earn entry ${entry.reference} of ${entry.balanceDelta} points, expected ${points} for ${owner}`);
      seen.add(entry.reference);
    }
  });
  check(seen.size === expected.earnings.size, `${seen.size} of ${expected.earnings.size} sales earned`);
  const exceptions = await edgeCall<{ exceptions: unknown[] }>(url, "GET", "/v1/exceptions", { key: admin });
  check(exceptions.exceptions.length === 0, `${exceptions.exceptions.length} exceptions at the edge`);
  const storeCount = expected.units.size;
  process.stdout.write(`  ${skus.length} SKUs × ${storeCount} stores' onHand, ${customers.length} customers' balances and ${seen.size} earn entries checked\n`);
}

// ---- the run ----

process.stdout.write(
  `Loyalty: redemptions on one customer (${connections} connections, ${rounds} rounds of ${redemptionCount} redemptions of ${redeemPoints} points against ${seedPoints} seeded), ` +
    `then earn through store replay (${transactions} sales × ${rounds} rounds, with and without ${customerCount} customers)\n` +
    `Edge by ${hostLabel}; agents: real processes, Node flags ${nodeArgs.join(" ")}, --max-backoff 1\nMachine: ${machineLine()}, load average ${loadAverage()}\n\n`,
);
const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  bundle = bench.edge.script ?? "";
  const tenant = await createBenchTenant(url, `loyalty-${Date.now().toString(36)}`);
  await edgeCall(url, "PUT", "/v1/loyalty/settings", { key: tenant.admin, body: { pointsPerUnit: 1 } });

  process.stdout.write("Redemptions on one customer:\n");
  await seededCustomer(url, tenant, "bench-redeem-warm-up", 1_000_000);
  await redemptionLoad(url, tenant.channelKey, "bench-redeem-warm-up", 1_000);
  await edgeCall(url, "PUT", "/v1/inventory/LOY-RESERVE/locations/wh-1", { key: tenant.admin, body: { onHand: 100_000_000 } });
  await reservationLoad(url, tenant.channelKey, "LOY-RESERVE", { amount: 1_000 }, connections);
  const redemptions: RedemptionRound[] = [];
  const reservations: LoadFigures[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    redemptions.push(await redemptionRound(url, tenant, round));
    const reserved = await reservationLoad(url, tenant.channelKey, "LOY-RESERVE", { amount: redemptionCount }, connections, { sampleInt });
    reservations.push(reserved);
    process.stdout.write(`  round ${round}, for scale: ${redemptionCount} reservations of one SKU: ${format(rateOfLoad(reserved))} req/s, p50 ${reserved.p50} ms, p99 ${reserved.p99} ms\n`);
  }
  const floor = await runLoad({ url, connections, duration: 5, requests: [{ method: "GET", path: "/health" }] });
  process.stdout.write(`  HTTP floor (GET /health, 5 s): ${format(rateOfLoad(floor))} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms\n`);

  process.stdout.write("\nEarn through store replay:\n");
  for (const sku of skus) await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: tenant.admin, body: { name: `Item ${sku}`, price: 1999, currency: "USD" } });
  await forEachLimited(customers, 8, async (id) => {
    await edgeCall(url, "PUT", `/v1/customers/${id}`, { key: tenant.admin, body: { name: `Bench ${id}` } });
  });
  process.stdout.write(`  ${skuCount} SKUs cataloged, ${customerCount} customers; warm-up of ${warmUpTransactions} sales each:\n`);
  for (const variant of ["plain", "loyalty"] as const) process.stdout.write(describeRun(await replayRun(url, tenant, variant, "w", warmUpTransactions)));
  const runs: ReplayRun[] = [];
  for (let round = 1; round <= rounds; round += 1) {
    // Alternating, so that the machine's noise and any drift fall on both.
    const order: Variant[] = round % 2 === 1 ? ["plain", "loyalty"] : ["loyalty", "plain"];
    for (const variant of order) {
      const run = await replayRun(url, tenant, variant, `r${round}`, transactions);
      runs.push(run);
      process.stdout.write(describeRun(run));
    }
  }
  process.stdout.write("\nChecks:\n");
  await verifyReplays(url, tenant.admin);

  const rateOf = (variant: Variant, pick: (run: ReplayRun) => number) => median(runs.filter((run) => run.variant === variant).map(pick));
  const plainRate = rateOf("plain", (run) => (run.count * 1000) / run.replayMs);
  const loyaltyReplayRate = rateOf("loyalty", (run) => (run.count * 1000) / run.replayMs);
  const earnRate = rateOf("loyalty", (run) => (run.count * 1000) / run.pointsMs!);
  const pointsRate = rateOf("loyalty", (run) => (run.points * 1000) / run.pointsMs!);
  const cpuOf = (variant: Variant) => rateOf(variant, (run) => (run.cpuMs * 1000) / run.count);
  const goalMet = earnRate >= 0.8 * plainRate;
  const fig = (pick: (f: LoadFigures) => number) => median(redemptions.map((round) => pick(round.load)));
  const reserveFig = (pick: (f: LoadFigures) => number) => median(reservations.map(pick));
  process.stdout.write(
    `\nSummary (medians of ${rounds} rounds)\n` +
      `| redemptions, one customer, ${connections} conn. | req/s | p50 | p99 | 201 | 409 | no double spend |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n` +
      redemptions.map((r, i) => `| round ${i + 1} | ${format(rateOfLoad(r.load))} | ${r.load.p50} ms | ${r.load.p99} ms | ${r.granted} | ${r.refused} | ${r.ok ? "OK" : "FAILED"} |\n`).join("") +
      `| **median** | **${format(fig(rateOfLoad))}** | **${fig((f) => f.p50)} ms** | **${fig((f) => f.p99)} ms** | | | |\n` +
      `| for scale: reservations of one SKU, same count (median) | ${format(reserveFig(rateOfLoad))} | ${reserveFig((f) => f.p50)} ms | ${reserveFig((f) => f.p99)} ms | | | |\n` +
      `| for scale: HTTP floor, GET /health | ${format(rateOfLoad(floor))} | ${floor.p50} ms | ${floor.p99} ms | | | |\n\n` +
      `| store replay, ${transactions} sales | tx/s | ratio to plain | workerd CPU a sale |\n| --- | ---: | ---: | ---: |\n` +
      `| plain (no customers): replay | ${format(plainRate)} | 1.00 | ${format(cpuOf("plain"))} µs |\n` +
      `| with loyalty: replay (stock movements) | ${format(loyaltyReplayRate)} | ${(loyaltyReplayRate / plainRate).toFixed(2)} | |\n` +
      `| with loyalty: first push → every point applied | ${format(earnRate)} (${format(pointsRate)} points/s) | **${(earnRate / plainRate).toFixed(2)}** | ${format(cpuOf("loyalty"))} µs |\n\n` +
      `Goal (earning no slower than replay without loyalty by more than 20 %): ${goalMet ? "met" : "NOT met"} (${(earnRate / plainRate).toFixed(2)} of the plain rate).\n` +
      `Load average at the end: ${loadAverage()}\n`,
  );
  process.stdout.write(problems.length === 0 ? "Every check passed: no double spend, every sale's points earned once, every SKU's onHand right.\n" : `FAILED:\n  ${problems.slice(0, 30).join("\n  ")}\n`);
  if (problems.length > 0) process.exitCode = 1;
} finally {
  await bench.close();
}
