import { createClient } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgeCall } from "../scripts/edge-client.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { databaseFile } from "../store-agent/main.ts";
import { pairTerminalViaCli, spawnAgent, unlimitedTerminalFlags, type AgentProcess } from "../store-agent/testing/agent-process.ts";
import { bearer, sale, tempDataDir, type TerminalCredentials } from "../store-agent/testing/fixtures.ts";
import { createBenchTenant, hostLabel, machineLine, startEdgeOn } from "./harness.ts";

/**
 * A store's backlog replayed into a real local edge. The edge is set up (a
 * tenant, the store, cataloged and stocked SKUs, a store key), then stopped;
 * a real agent process starts while the edge is down and `total` sales are
 * posted to its POS API by `terminals` terminals; then the edge starts again
 * on the same state and the agent's own replayer drains the backlog. Measured:
 * the time from the edge being back to an empty backlog, and transactions/s.
 * Checked afterwards: every SKU's onHand at the store and its POS ledger
 * entries equal the sums of what was sold, nothing lost or applied twice.
 */
const total = Number(process.env.BENCH_TRANSACTIONS ?? 50_000);
const skuCount = Number(process.env.BENCH_SKUS ?? 200);
const terminals = Number(process.env.BENCH_TERMINALS ?? 8);
const port = Number(process.env.BENCH_PORT ?? 19110);
const agentPort = Number(process.env.BENCH_AGENT_PORT ?? 19111);
const startingStock = 1_000_000;
const location = "store-001";
/** Node flags for the agent process: those store-agent/bin/shelfsync-agent.js runs it with. */
const nodeArgs = (process.env.BENCH_NODE_FLAGS ?? "--max-semi-space-size=2").split(" ").filter(Boolean);

const skus = Array.from({ length: skuCount }, (_, i) => `RPL-${String(i + 1).padStart(4, "0")}`);

/** Sale n: one to three lines on SKUs spread over the catalog, 1-3 units each. */
function saleNumber(n: number): PosTransaction {
  const lineCount = 1 + (n % 3);
  const lines = Array.from({ length: lineCount }, (_, i) => ({
    sku: skus[(n * 7 + i * 31) % skuCount]!,
    qty: 1 + ((n + i) % 3),
    unitPrice: 1999,
    discount: 0,
    tax: 160,
  }));
  const amount = lines.reduce((sum, line) => sum + line.qty * (line.unitPrice + line.tax), 0);
  return sale(`R${n % terminals}-${String(n).padStart(7, "0")}`, { terminalId: `R${n % terminals}`, lines, tenders: [{ type: "card", amount }] });
}

interface Expected {
  units: Map<string, number>;
  lines: Map<string, number>;
}

function expectedSums(): Expected {
  const units = new Map<string, number>();
  const lines = new Map<string, number>();
  for (let n = 0; n < total; n++) {
    for (const line of saleNumber(n).lines) {
      units.set(line.sku, (units.get(line.sku) ?? 0) + line.qty);
      lines.set(line.sku, (lines.get(line.sku) ?? 0) + 1);
    }
  }
  return { units, lines };
}

interface Status {
  online: boolean | null;
  backlog: number;
  deadLetters: number;
  lastSequence: number;
  edgeHighWaterMark: number | null;
  edgeGaps: { from: number; to: number }[];
}

async function status(till: TerminalCredentials): Promise<Status> {
  return (await (await fetch(`${till.url}/pos/v1/status`, { headers: bearer(till.token) })).json()) as Status;
}

/** `terminals` terminals post sales 0..total-1 back to back; each is sent until it is answered 201. */
async function fill(till: TerminalCredentials): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: terminals }, async () => {
      for (let n = next++; n < total; n = next++) {
        const body = JSON.stringify(saleNumber(n));
        for (;;) {
          const response = await fetch(`${till.url}/pos/v1/transactions`, { method: "POST", headers: { "content-type": "application/json", ...bearer(till.token) }, body });
          await response.arrayBuffer();
          if (response.status === 201) break;
          if (response.status !== 500) throw new Error(`sale ${n} answered ${response.status}`);
        }
        if ((n + 1) % 10_000 === 0) process.stdout.write(`  ${n + 1} recorded\n`);
      }
    }),
  );
  return performance.now() - started;
}

async function setUp(url: string): Promise<{ admin: string; storeKey: string }> {
  const tenant = await createBenchTenant(url, `replay-${Date.now().toString(36)}`);
  await edgeCall(url, "PUT", `/v1/locations/${location}`, { key: tenant.admin, body: { type: "store" } });
  for (const sku of skus) {
    await edgeCall(url, "PUT", `/v1/catalog/items/${sku}`, { key: tenant.admin, body: { name: `Item ${sku}`, price: 1999, currency: "USD" } });
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: tenant.admin, body: { onHand: startingStock } });
  }
  const storeKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: tenant.admin, body: { role: "store", location } })).key;
  return { admin: tenant.admin, storeKey };
}

interface LedgerEntry {
  type: string;
  location: string;
  delta: number;
  idempotencyKey: string | null;
}

/** Every SKU at the edge against the sums of what was sold. */
async function verify(url: string, admin: string, expected: Expected): Promise<string[]> {
  const problems: string[] = [];
  let entries = 0;
  for (const sku of skus) {
    const inventory = await edgeCall<{ locations: { location: string; onHand: number }[] }>(url, "GET", `/v1/inventory/${sku}`, { key: admin });
    const onHand = inventory.locations.find((l) => l.location === location)?.onHand;
    const sold = expected.units.get(sku) ?? 0;
    if (onHand !== startingStock - sold) problems.push(`${sku}: onHand ${onHand}, expected ${startingStock - sold}`);
    const keys = new Set<string>();
    let units = 0;
    let cursor: string | null = null;
    do {
      const page: { entries: LedgerEntry[]; nextCursor: string | null } = await edgeCall(url, "GET", `/v1/inventory/${sku}/ledger?limit=1000${cursor ? `&cursor=${cursor}` : ""}`, { key: admin });
      for (const entry of page.entries) {
        if (entry.type !== "pos_sale") continue;
        entries += 1;
        units -= entry.delta;
        if (entry.location !== location) problems.push(`${sku}: a pos_sale at ${entry.location}`);
        if (entry.idempotencyKey) keys.add(entry.idempotencyKey);
      }
      cursor = page.entries.length > 0 ? page.nextCursor : null;
    } while (cursor);
    const lines = expected.lines.get(sku) ?? 0;
    if (keys.size !== lines || units !== sold) problems.push(`${sku}: ledger has ${keys.size} sale lines for ${units} units, expected ${lines} for ${sold}`);
  }
  const exceptions = await edgeCall<{ exceptions: unknown[] }>(url, "GET", "/v1/exceptions", { key: admin });
  if (exceptions.exceptions.length > 0) problems.push(`${exceptions.exceptions.length} exceptions at the edge`);
  process.stdout.write(`  edge: ${skus.length} SKUs, ${entries} pos_sale ledger entries checked, ${exceptions.exceptions.length} exceptions\n`);
  return problems;
}

async function outboxCounts(dataDir: string): Promise<Record<string, number>> {
  const client = createClient({ url: `file:${databaseFile(dataDir)}` });
  try {
    const rows = (await client.execute("SELECT status || '/' || coalesce(edge_status, '-') AS k, count(*) AS n FROM outbox GROUP BY k")).rows;
    return Object.fromEntries(rows.map((row) => [String(row.k), Number(row.n)]));
  } finally {
    client.close();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

process.stdout.write(
  `Store agent backlog replay: ${total} sales (1-3 lines over ${skuCount} SKUs) buffered while the edge is down, then drained into it\n` +
    `Edge by ${hostLabel}; agent: a real process, Node flags ${nodeArgs.join(" ") || "(none)"}, --max-backoff 1\n${machineLine()}\n\n`,
);

const stateDir = mkdtempSync(join(tmpdir(), "shelfsync-bench-"));
const agentDir = tempDataDir();
const url = `http://127.0.0.1:${port}`;
let agent: AgentProcess | null = null;
let edge = await startEdgeOn(port, stateDir);
try {
  const { admin, storeKey } = await setUp(url);
  await edge.stop();
  process.stdout.write(`Edge set up (tenant, ${location}, ${skuCount} cataloged SKUs with ${startingStock} each, a store key) and stopped.\n`);

  agent = await spawnAgent(
    { "edge-url": url, location, "data-dir": agentDir.dir, port: String(agentPort), host: "127.0.0.1", "max-backoff": "1", "pull-interval": "3600", ...unlimitedTerminalFlags },
    { nodeArgs, env: { SHELFSYNC_STORE_KEY: storeKey } },
  );
  const till = await pairTerminalViaCli(agent.url, agentDir.dir, "Bench till");
  process.stdout.write(`Agent up at ${agent.url}; filling the backlog through its POS API, ${terminals} terminals:\n`);
  const fillMs = await fill(till);
  const before = await status(till);
  process.stdout.write(`  ${total} sales answered 201 in ${(fillMs / 1000).toFixed(1)} s (${Math.round((total * 1000) / fillMs)}/s); backlog ${before.backlog}, online ${before.online}\n\n`);
  if (before.backlog !== total) throw new Error(`backlog ${before.backlog} after ${total} sales`);

  const expected = expectedSums();
  const logsBefore = agent.logs.length;
  const edgeStarting = performance.now();
  edge = await startEdgeOn(port, stateDir);
  const edgeUp = performance.now();
  const edgeUpAt = Date.now();
  process.stdout.write(`Edge started again on the same state in ${((edgeUp - edgeStarting) / 1000).toFixed(1)} s; draining:\n`);
  let last = before;
  let reported = total;
  while (last.backlog > 0) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await status(till);
    if (reported - last.backlog >= 10_000) {
      reported = last.backlog;
      process.stdout.write(`  backlog ${last.backlog} after ${((performance.now() - edgeUp) / 1000).toFixed(1)} s\n`);
    }
  }
  const drainedMs = performance.now() - edgeUp;
  const pushes = agent.logs.slice(logsBefore).filter((entry) => entry.event === "pushed");
  const batchMs = pushes.map((entry) => Number(entry.ms)).sort((a, b) => a - b);
  const firstPushStart = Date.parse(String(pushes[0]?.time)) - Number(pushes[0]?.ms);
  const lastPushEnd = Date.parse(String(pushes.at(-1)?.time));
  const pushingMs = lastPushEnd - firstPushStart;
  process.stdout.write(
    `\nDrained ${total} transactions in ${(drainedMs / 1000).toFixed(1)} s from the edge being back = ${Math.round((total * 1000) / drainedMs)} transactions/s\n` +
      `  the first push started ${((firstPushStart - edgeUpAt) / 1000).toFixed(2)} s after the edge was back (the replayer's backoff); first push to last answer ${(pushingMs / 1000).toFixed(1)} s = ${Math.round((total * 1000) / pushingMs)} transactions/s\n` +
      `  ${pushes.length} batches, round trip (push + edge ingest + answer) p50 ${percentile(batchMs, 50)} ms, p99 ${percentile(batchMs, 99)} ms, max ${batchMs.at(-1)} ms\n` +
      `  agent: backlog ${last.backlog}, dead letters ${last.deadLetters}, last sequence ${last.lastSequence}, edge high-water mark ${last.edgeHighWaterMark}, gaps ${JSON.stringify(last.edgeGaps)}\n\n`,
  );

  agent.child.kill("SIGTERM");
  await agent.exited;
  agent = null;
  const counts = await outboxCounts(agentDir.dir);
  process.stdout.write(`Checks:\n  agent outbox rows by status/edge answer: ${JSON.stringify(counts)}\n`);
  const problems = await verify(url, admin, expected);
  if (last.deadLetters !== 0 || last.edgeHighWaterMark !== total || last.edgeGaps.length > 0) problems.push("the agent's view of the edge is not complete");
  if ((counts["sent/accepted"] ?? 0) + (counts["sent/duplicate"] ?? 0) !== total) problems.push(`outbox: ${JSON.stringify(counts)}`);
  process.stdout.write(problems.length === 0 ? "  every SKU's onHand and POS ledger equal the sums sold: nothing lost, nothing doubled. OK\n" : `  FAILED:\n    ${problems.slice(0, 20).join("\n    ")}\n`);
  if (problems.length > 0) process.exitCode = 1;
} finally {
  if (agent) {
    agent.child.kill("SIGTERM");
    await agent.exited;
  }
  await edge.stop().catch(() => undefined);
  rmSync(stateDir, { recursive: true, force: true });
  agentDir.remove();
}
