import autocannon from "autocannon";
import { createClient } from "@libsql/client";
import { databaseFile } from "../store-agent/main.ts";
import { pairTerminalViaCli, spawnAgent, unlimitedTerminalFlags, type AgentProcess } from "../store-agent/testing/agent-process.ts";
import { FakeEdge } from "../store-agent/testing/fake-edge.ts";
import { bearer, location, sale, storeKey, tempDataDir, unusedPort, type TerminalCredentials } from "../store-agent/testing/fixtures.ts";
import { machineLine } from "./harness.ts";

/** Node flags for the agent process: by default those store-agent/bin/shelfsync-agent.js runs it with; BENCH_NODE_FLAGS="" for V8's defaults. */
const nodeArgs = (process.env.BENCH_NODE_FLAGS ?? "--max-semi-space-size=2").split(" ").filter(Boolean);

/**
 * POS commit latency at a real agent process with durability on (WAL,
 * synchronous=FULL): `terminals` connections post sales back to back for
 * `seconds`, each answered only after its row is committed: one terminal
 * alone, then all at a steady rate each, then all back to back (the most
 * the agent takes). The steady rate runs twice: with the terminals in step
 * (autocannon's connectionRate fires every connection on the same tick, so
 * all of them post at the same instant) and staggered (each terminal its own
 * load generator, started 1/(terminals × rate) after the one before, as
 * tills that are not synchronized post). Beside each terminal's round trip,
 * the agent's own time for the request, from its access log (`ms`: from the
 * request reaching its first middleware to the answer being ready).
 * Two agents: the store offline (nothing else happens), and online with the
 * replayer pushing each sale to a stub edge in this process as it lands.
 */
const terminals = Number(process.env.BENCH_TERMINALS ?? 8);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
/** Sales a second per terminal in the steady run: a busy checkout is far below 1. */
const steadyRate = Number(process.env.BENCH_STEADY_RATE ?? 25);

interface Figures {
  /** The agent's own handling time (its access log), p50 and p99. */
  agentP50: number;
  agentP99: number;
  /** Sales answered 201. */
  created: number;
  requests: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Posts sales for `seconds` from one autocannon run of `connections` terminals named `${label}-T…`; the 201 round trips go to `latencies`. */
function postSales(till: TerminalCredentials, label: string, connections: number, perTerminal: number | undefined, latencies: number[]): Promise<autocannon.Result> {
  let next = 0;
  const body = (n: number) => JSON.stringify(sale(`${label}-${n}`, { terminalId: `${label}-T${n % connections}` }));
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${till.url}/pos/v1/transactions`,
        connections,
        duration: seconds,
        ...(perTerminal !== undefined && { connectionRate: perTerminal }),
        method: "POST",
        headers: { "content-type": "application/json", ...bearer(till.token) },
        requests: [{ setupRequest: (req) => ({ ...req, body: body(next++) }) }],
      },
      (error: unknown, done) => (error ? reject(error) : resolve(done)),
    );
    // autocannon's own histogram has 1 ms resolution; its response event carries the exact time.
    instance.on("response", (_client, statusCode: number, _bytes, responseTime: number) => {
      if (statusCode === 201) latencies.push(responseTime);
    });
  });
}

/**
 * `connections` terminals post back to back, or at `perTerminal` sales a
 * second each: in step (one load generator), or `staggered` (one each,
 * their starts spread over one interval).
 */
async function load(agent: AgentProcess, till: TerminalCredentials, label: string, options: { perTerminal?: number; connections?: number; staggered?: boolean } = {}): Promise<Figures> {
  const { perTerminal, connections = terminals, staggered = false } = options;
  const latencies: number[] = [];
  const logged = agent.logs.length;
  let results: autocannon.Result[];
  if (staggered && perTerminal !== undefined) {
    const gapMs = 1000 / (perTerminal * connections);
    results = await Promise.all(
      Array.from({ length: connections }, async (_, t) => {
        await new Promise((resolve) => setTimeout(resolve, t * gapMs));
        return postSales(till, `${label}${t}`, 1, perTerminal, latencies);
      }),
    );
  } else {
    results = [await postSales(till, label, connections, perTerminal, latencies)];
  }
  latencies.sort((a, b) => a - b);
  const handled = agent.logs
    .slice(logged)
    .filter((entry) => entry.path === "/pos/v1/transactions" && entry.status === 201)
    .map((entry) => Number(entry.ms))
    .sort((a, b) => a - b);
  const sum = (pick: (r: autocannon.Result) => number) => results.reduce((total, r) => total + pick(r), 0);
  return {
    agentP50: percentile(handled, 50),
    agentP99: percentile(handled, 99),
    created: latencies.length,
    requests: sum((r) => r.requests.total),
    perSecond: sum((r) => r.requests.total) / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors + r.timeouts),
  };
}

async function run(edgeUrl: string, dataDir: string): Promise<{ alone: Figures; steady: Figures; staggered: Figures; saturated: Figures; created: number }> {
  // The rate limit is lifted: the load is every terminal's token bucket at once, which no till comes near.
  const agent = await spawnAgent(
    { "edge-url": edgeUrl, location, "data-dir": dataDir, port: "0", host: "127.0.0.1", ...unlimitedTerminalFlags },
    { nodeArgs, env: { SHELFSYNC_STORE_KEY: storeKey } },
  );
  try {
    const till = await pairTerminalViaCli(agent.url, dataDir, "Bench till");
    const warmUp = await load(agent, till, "W");
    const alone = await load(agent, till, "A", { connections: 1 });
    const steady = await load(agent, till, "S", { perTerminal: steadyRate });
    const staggered = await load(agent, till, "G", { perTerminal: steadyRate, staggered: true });
    const saturated = await load(agent, till, "T");
    return { alone, steady, staggered, saturated, created: warmUp.created + alone.created + steady.created + staggered.created + saturated.created };
  } finally {
    agent.child.kill("SIGTERM");
    await agent.exited;
  }
}

async function committedRows(dataDir: string): Promise<number> {
  const client = createClient({ url: `file:${databaseFile(dataDir)}` });
  try {
    return Number((await client.execute("SELECT count(*) FROM outbox")).rows[0]![0]);
  } finally {
    client.close();
  }
}

const format = (ms: number) => `${ms.toFixed(2)} ms`;
function print(title: string, f: Figures): void {
  process.stdout.write(
    `${title}\n  ${f.requests} sales in ${seconds} s = ${Math.round(f.perSecond)}/s; non-2xx ${f.non2xx}, errors ${f.errors}\n` +
      `  commit latency p50 ${format(f.p50)}  p90 ${format(f.p90)}  p99 ${format(f.p99)}  max ${format(f.max)}\n` +
      `  the agent's own time (access log) p50 ${format(f.agentP50)}  p99 ${format(f.agentP99)}\n`,
  );
}

process.stdout.write(
  `Store agent POS commit latency: ${terminals} terminals, ${seconds} s per run after a ${seconds} s warm-up, WAL + synchronous=FULL, a real agent process\n` +
    `${machineLine()}; agent Node flags: ${nodeArgs.join(" ") || "(none)"}\n\n`,
);

const offlineDir = tempDataDir();
const onlineDir = tempDataDir();
const edge = await FakeEdge.start({ location, storeKey });
try {
  const offline = await run(`http://127.0.0.1:${await unusedPort()}`, offlineDir.dir);
  print("Offline (edge unreachable, backlog growing), one terminal alone, back to back:", offline.alone);
  print(`Offline, ${terminals} terminals, steady ${steadyRate} sales/s each, in step:`, offline.steady);
  print(`Offline, ${terminals} terminals, steady ${steadyRate} sales/s each, staggered:`, offline.staggered);
  print(`Offline, ${terminals} terminals, back to back:`, offline.saturated);
  const online = await run(edge.url, onlineDir.dir);
  print("Online (the replayer pushing each sale to a stub edge in the bench process), one terminal alone:", online.alone);
  print(`Online, ${terminals} terminals, steady ${steadyRate} sales/s each, in step:`, online.steady);
  print(`Online, ${terminals} terminals, steady ${steadyRate} sales/s each, staggered:`, online.staggered);
  print(`Online, ${terminals} terminals, back to back:`, online.saturated);

  const rows = await committedRows(offlineDir.dir);
  process.stdout.write(`\nCheck, offline run: ${offline.created} sales answered 201, ${rows} rows in the file (more: answers still in flight when a load stopped).\n`);
  process.stdout.write(`Check, online run: ${online.created} sales answered 201, ${edge.applied.size} applied at the stub edge (the rest still pending at stop).\n`);
} finally {
  await edge.close();
  offlineDir.remove();
  onlineDir.remove();
}
