// Native Durable Object RPC vs itty-durable on the reservation path.
// Usage (from the repo root): ./node_modules/.bin/node bench/rpc-compare/run.ts [rounds=2]
// Starts the worker in Miniflare (the workerd that wrangler ships), seeds both objects, drives
// POST /{native,itty}/reserve with autocannon, then checks for oversell. Linux only (reads /proc).
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import autocannon from "autocannon";
import * as esbuild from "esbuild";

const CONNECTIONS = 64;
const WARMUP_S = 2;
const DURATION_S = 10;
const ROUNDS = Number(process.argv[2] ?? 2);
const SEED_UNITS = 100_000_000;
const DRAIN_UNITS = 1_000; // oversell probe: seed this many, then ask for 1.5x as many
const VARIANTS = ["native", "itty"] as const;
type Variant = (typeof VARIANTS)[number];
interface Stats { seeded: number; available: number; reservations: number; reservedUnits: number }
interface Row { variant: Variant; round: string; rps: number; p50: number; p99: number; cpuUs: number }

const configPath = join(import.meta.dirname, "wrangler.toml");
// Use the miniflare/workerd pair that wrangler itself depends on, and let wrangler read wrangler.toml.
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");
const { unstable_getMiniflareWorkerOptions } = requireFromWrangler("wrangler");

// modulesRules is dropped: we hand Miniflare one pre-bundled module (and v5 refuses to convert it).
const { workerOptions: { modulesRules: _rules, ...workerOptions }, main } = unstable_getMiniflareWorkerOptions(configPath);
const bundle = await esbuild.build({
  entryPoints: [main],
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  external: ["cloudflare:*"],
  target: "es2022",
});

// Miniflare 5 takes a new option shape; wrangler's helper still emits the v4 one.
const mf = new Miniflare(convertV4MiniflareOptions({
  ...workerOptions,
  modules: true,
  script: bundle.outputFiles[0]!.text,
  scriptPath: main.replace(/\.ts$/, ".js"),
  host: "127.0.0.1",
  port: 0,
  cf: false, // don't fetch request.cf from the network
  log: new Log(LogLevel.WARN),
}));

// CPU time (ms) used so far by the workerd processes this script spawned. Unlike req/s it barely
// moves when other jobs share the machine. /proc/<pid>/stat: utime, stime in 100 Hz ticks.
function runtimeCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try { stat = readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (stat.includes("(workerd)") && Number(f[1]) === process.pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * 10;
}

const post = async (url: URL, body: unknown) => {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url.pathname}: ${res.status} ${await res.text()}`);
  return res.json();
};
const getStats = async (base: URL, v: Variant): Promise<Stats> => (await fetch(new URL(`/${v}/stats`, base))).json();

const load = (base: URL, v: Variant, opts: { duration?: number; amount?: number }) =>
  autocannon({
    url: new URL(`/${v}/reserve`, base).href,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ qty: 1, reference: "bench-[<id>]" }),
    idReplacement: true,
    connections: CONNECTIONS,
    ...opts,
  });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

try {
  const base: URL = await mf.ready;
  for (const v of VARIANTS) await post(new URL(`/${v}/seed`, base), { units: SEED_UNITS });

  const rows: Row[] = [];
  const okResponses: Record<Variant, number> = { native: 0, itty: 0 };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const v of VARIANTS) {
      const warm = await load(base, v, { duration: WARMUP_S });
      const before = await getStats(base, v);
      const cpu0 = runtimeCpuMs();
      const r = await load(base, v, { duration: DURATION_S });
      await sleep(250); // let the requests still in flight finish before reading CPU and the ledger
      const cpuUs = ((runtimeCpuMs() - cpu0) * 1000) / ((await getStats(base, v)).reservations - before.reservations);
      for (const x of [warm, r]) {
        okResponses[v] += x["2xx"];
        if (x.non2xx || x.errors || x.timeouts) failures.push(`${v} round ${round}: non2xx=${x.non2xx} errors=${x.errors} timeouts=${x.timeouts}`);
      }
      rows.push({ variant: v, round: String(round), rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs });
      process.stderr.write(`round ${round} ${v}: ${r.requests.average.toFixed(0)} req/s, ${cpuUs.toFixed(0)} µs CPU/reservation\n`);
    }
  }
  for (const v of VARIANTS) {
    const mine = rows.filter((r) => r.variant === v);
    const med = (k: "rps" | "p50" | "p99" | "cpuUs") => median(mine.map((r) => r[k]));
    rows.push({ variant: v, round: "median", rps: med("rps"), p50: med("p50"), p99: med("p99"), cpuUs: med("cpuUs") });
  }

  console.log(`\n${CONNECTIONS} connections, ${DURATION_S} s per run after ${WARMUP_S} s warm-up, ${ROUNDS} rounds, node ${process.version}\n`);
  console.log("| variant | round  |   req/s | p50 ms | p99 ms | workerd CPU µs/reservation |");
  console.log("|---------|--------|--------:|-------:|-------:|---------------------------:|");
  for (const r of rows) {
    console.log(`| ${r.variant.padEnd(7)} | ${r.round.padEnd(6)} | ${r.rps.toFixed(0).padStart(7)} | ${r.p50.toFixed(1).padStart(6)} | ${r.p99.toFixed(1).padStart(6)} | ${r.cpuUs.toFixed(0).padStart(26)} |`);
  }
  const med = (v: Variant) => rows.find((r) => r.variant === v && r.round === "median")!;
  console.log(`\nmedians, native / itty: throughput ${(med("native").rps / med("itty").rps).toFixed(2)}x, CPU per reservation ${(med("native").cpuUs / med("itty").cpuUs).toFixed(2)}x\n`);

  // Correctness after the load: every ok reservation is one ledger row and one unit off the stock.
  for (const v of VARIANTS) {
    const s = await getStats(base, v);
    check(s.seeded - s.available === s.reservedUnits && s.reservations === s.reservedUnits,
      `${v}: seeded - remaining = ${s.seeded - s.available} = ledger units ${s.reservedUnits} (${s.reservations} rows)`);
    // Runs stopped by duration (warm-up + measured, each round) drop up to one in-flight response per connection.
    const maxInFlight = 2 * ROUNDS * CONNECTIONS;
    const inFlight = s.reservations - okResponses[v];
    check(inFlight >= 0 && inFlight <= maxInFlight,
      `${v}: client saw ${okResponses[v]} ok responses; ledger has ${inFlight} more (in flight when runs stopped, max ${maxInFlight})`);
  }
  // Oversell probe: more concurrent requests than units; exactly DRAIN_UNITS may succeed.
  for (const v of VARIANTS) {
    await post(new URL(`/${v}/seed`, base), { units: DRAIN_UNITS });
    const r = await load(base, v, { amount: DRAIN_UNITS * 1.5 });
    const s = await getStats(base, v);
    const refused = r.statusCodeStats?.["409"]?.count ?? 0;
    check(r["2xx"] === DRAIN_UNITS && refused === DRAIN_UNITS / 2 && s.available === 0 && s.reservations === DRAIN_UNITS,
      `${v}: drain ${DRAIN_UNITS} units with ${DRAIN_UNITS * 1.5} requests -> ${r["2xx"]} ok, ${refused} insufficient_stock, ${s.available} left, ${s.reservations} ledger rows`);
  }
} finally {
  await mf.dispose();
}

if (failures.length) {
  console.error(`\n${failures.length} check(s) failed:\n${failures.join("\n")}`);
  process.exitCode = 1;
}
