import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { edgeCall } from "../scripts/edge-client.ts";
import { hostLabel, machineLine, startBenchEdge } from "./harness.ts";

/**
 * One business day of a 20-store retailer through the finance ledger:
 * BENCH_POS_LINES POS lines (4 a transaction) spread over BENCH_STORES
 * stores and BENCH_ORDERS channel orders fulfilled from them, booked in the
 * batches the producers use (200 a call), then the day closed into journals
 * per location × channel once the account mapping is put (the day is past
 * its cut-off, so the mapping lets it close). Times each phase and the workerd process's peak
 * resident memory (VmHWM), and checks every journal balances and holds
 * every source.
 */
const posLines = Number(process.env.BENCH_POS_LINES ?? 200_000);
const orders = Number(process.env.BENCH_ORDERS ?? 20_000);
const stores = Number(process.env.BENCH_STORES ?? 20);
const linesPerTransaction = 4;
const port = Number(process.env.BENCH_PORT ?? 8797);
const config = fileURLToPath(new URL("./finance-journals.wrangler.toml", import.meta.url));

/** workerd processes under this one (Miniflare starts workerd as a child). */
function workerdPids(): number[] {
  const out = execFileSync("ps", ["-eo", "pid,ppid,comm"], { encoding: "utf8" });
  const rows = out.trim().split("\n").slice(1).map((line) => line.trim().split(/\s+/));
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of rows) children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(pid)]);
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (rows.find((row) => Number(row[0]) === child)?.[2]?.startsWith("workerd")) found.push(child);
      walk(child);
    }
  };
  walk(process.pid);
  return found;
}

function memoryOf(pid: number, field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : 0;
}

const bench = await startBenchEdge(port, config);
try {
  const url = bench.edge.url;
  const transactionsPerStore = Math.ceil(posLines / linesPerTransaction / stores);
  process.stdout.write(
    `Finance journals: ${transactionsPerStore * stores * linesPerTransaction} POS lines (${transactionsPerStore * stores} transactions) over ${stores} stores, ${orders} channel orders, one business day\n` +
      `Edge: ${hostLabel}, the ledger fed from inside workerd in batches of 200\nMachine: ${machineLine()}\n\n`,
  );
  // The mapping comes last: until then nothing is posted, so the close is timed on its own (the day is long past its cut-off).
  const [workerd] = workerdPids();
  const baseline = workerd ? memoryOf(workerd, "VmRSS") : 0;

  const posStarted = performance.now();
  let booked = 0;
  for (let store = 1; store <= stores; store++) booked += (await edgeCall<{ result: { booked: number } }>(url, "GET", `/pos?store=${store}&transactions=${transactionsPerStore}&lines=${linesPerTransaction}`)).result.booked;
  const posMs = performance.now() - posStarted;

  const ordersStarted = performance.now();
  for (let from = 0; from < orders; from += 2_000) booked += (await edgeCall<{ result: { booked: number } }>(url, "GET", `/orders?from=${from}&count=${Math.min(2_000, orders - from)}&stores=${stores}`)).result.booked;
  const ordersMs = performance.now() - ordersStarted;
  const afterBooking = workerd ? memoryOf(workerd, "VmHWM") : 0;

  const closeStarted = performance.now();
  await edgeCall(url, "GET", "/settings");
  // The settings wake the ledger's alarm at once; /close does the same work if it comes first. Either posts everything.
  await edgeCall(url, "GET", "/close");
  let check = await edgeCall<{ result: { journals: number; unbalanced: number; sources: number } }>(url, "GET", "/journals");
  while (check.result.sources < booked) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    check = await edgeCall(url, "GET", "/journals");
  }
  const closeMs = performance.now() - closeStarted;
  const peak = workerd ? memoryOf(workerd, "VmHWM") : 0;

  const line = (label: string, value: string) => process.stdout.write(`${label.padEnd(34)}${value}\n`);
  line("sources booked", `${booked}`);
  line("POS transactions booked", `${(posMs / 1000).toFixed(1)} s (${((transactionsPerStore * stores) / (posMs / 1000)).toFixed(0)}/s)`);
  line("orders booked", `${(ordersMs / 1000).toFixed(1)} s (${(orders / (ordersMs / 1000)).toFixed(0)}/s)`);
  line("day closed (journals posted)", `${(closeMs / 1000).toFixed(2)} s`);
  line("journals / unbalanced / sources", `${check.result.journals} / ${check.result.unbalanced} / ${check.result.sources}`);
  line("workerd RSS before booking", `${baseline.toFixed(0)} MiB`);
  line("workerd peak RSS after booking", `${afterBooking.toFixed(0)} MiB`);
  line("workerd peak RSS after closing", `${peak.toFixed(0)} MiB`);
  if (check.result.unbalanced > 0 || check.result.sources !== booked) throw new Error("a journal is unbalanced or a source is missing");
} finally {
  await bench.close();
}
