/**
 * Back-office (finance) benchmarks. Now: an ERP items import, a CSV of
 * BENCH_ROWS rows (default 10,000, 50,000 and 100,000 in turn) streamed to
 * POST /v1/erp/imports, then applied by the import object's alarm.
 *
 * Reports for each size: rows/s while the body is received and staged, rows/s
 * while the rows are applied to the catalog, and workerd's resident memory
 * (sampled every 20 ms during the run): the peak while receiving and while
 * applying, and the peak's anonymous, file-backed (mmap) and shared parts.
 * An import holds one batch at a time; the peak is workerd's heap ceiling,
 * reached by the rows gone through, whatever the file (docs/benchmarks.md).
 * Several sizes run in turn on one edge; one size a process for a fresh one.
 *
 *   npm run bench:erp-import
 *   BENCH_ROWS=100000 npm run bench:erp-import
 */
import { readdirSync, readFileSync } from "node:fs";
import { edgeCall } from "../scripts/edge-client.ts";
import { benchPlatformKey, hostLabel, machineLine, startBenchEdge } from "./harness.ts";

const port = Number(process.env.BENCH_PORT ?? 8799);
const sizes = (process.env.BENCH_ROWS ?? "10000,50000,100000").split(",").map(Number);
const out = (line = "") => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The processes under this one (Miniflare starts workerd as a child). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process ended while the list was read.
    }
  }
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of parentOf) if (parent === pid) (found.push(child), walk(child));
  };
  walk(root);
  return found;
}

function workerdPid(): number {
  const pid = descendants(process.pid).find((candidate) => readFileSync(`/proc/${candidate}/comm`, "utf8").trim() === "workerd");
  if (pid === undefined) throw new Error("no workerd process under this one");
  return pid;
}

/** workerd's resident memory in MiB: all of it, and its anonymous part (heaps, SQLite's page caches) apart from file-backed pages (mmap) and shared memory (SQLite's WAL index). */
interface Resident {
  rss: number;
  anon: number;
  file: number;
  shmem: number;
}

function resident(pid: number): Resident {
  const status = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  const kib = (field: string) => Number(status.find((entry) => entry.startsWith(`${field}:`))!.replace(/\D+/g, "")) / 1024;
  return { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile"), shmem: kib("RssShmem") };
}

function rssMiB(pid: number): number {
  return resident(pid).rss;
}

/** A spreadsheet-like items CSV, made as it is sent: quoted names with commas, decimal prices with thousands separators. */
function itemsCsv(rows: number, run: string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 1;
  return new ReadableStream({
    pull(controller) {
      if (next === 1) controller.enqueue(encoder.encode('\ufeff"Item No.",Description,"Unit Price",Currency,"Bar Codes"\r\n'));
      const lines: string[] = [];
      for (const end = Math.min(next + 999, rows); next <= end; next++) {
        const cents = 100 + (next % 250_000);
        const price = `${Math.floor(cents / 100).toLocaleString("en-US")}.${String(cents % 100).padStart(2, "0")}`;
        lines.push(`${run}-${next},"Item ${next}, size M","${price}",USD,${run}-${String(next).padStart(12, "0")}`);
      }
      controller.enqueue(encoder.encode(`${lines.join("\r\n")}\r\n`));
      if (next > rows) controller.close();
    },
  });
}

interface Report {
  id: string;
  status: string;
  rows: { received: number; accepted: number; rejected: number; pending: number };
}

async function importOnce(url: string, key: string, rows: number, run: string, pid: number) {
  const samples: { phase: "receive" | "apply"; at: Resident }[] = [];
  let phase: "receive" | "apply" = "receive";
  const sampler = setInterval(() => samples.push({ phase, at: resident(pid) }), 20);
  const before = resident(pid);
  const started = performance.now();
  const response = await fetch(`${url}/v1/erp/imports?type=items&id=${run}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
    body: itemsCsv(rows, run),
    duplex: "half",
  } as RequestInit);
  const posted = (await response.json()) as Report;
  if (response.status !== 202) throw new Error(`import answered ${response.status}: ${JSON.stringify(posted)}`);
  const received = performance.now();
  phase = "apply";
  let report = posted;
  while (report.status !== "done") {
    await sleep(100);
    report = await edgeCall<Report>(url, "GET", `/v1/erp/imports/${run}`, { key });
  }
  const applied = performance.now();
  clearInterval(sampler);
  if (report.rows.accepted !== rows) throw new Error(`expected ${rows} rows accepted: ${JSON.stringify(report.rows)}`);
  const peakOf = (which: typeof samples) => which.reduce((top, sample) => (sample.at.rss > top.rss ? sample.at : top), before);
  return {
    receiveMs: received - started,
    applyMs: applied - received,
    before,
    peak: peakOf(samples),
    receivePeak: peakOf(samples.filter((sample) => sample.phase === "receive")),
    applyPeak: peakOf(samples.filter((sample) => sample.phase === "apply")),
  };
}

const bench = await startBenchEdge(port);
try {
  const url = `http://127.0.0.1:${port}`;
  const created = await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: benchPlatformKey, body: { id: "bench-erp", name: "bench-erp" } });
  const key = created.adminKey.key;
  await edgeCall(url, "PUT", "/v1/erp/mappings/items", {
    key,
    body: { columns: { "Item No.": "sku", Description: "name", "Unit Price": "price", Currency: "currency", "Bar Codes": "barcodes" }, amounts: "decimal", thousandsSeparator: "," },
  });
  const pid = workerdPid();
  out(`ERP items import, CSV streamed to POST /v1/erp/imports, applied by the import object's alarm (${hostLabel})`);
  out(machineLine());
  out(`workerd pid ${pid}, RSS at start ${rssMiB(pid).toFixed(1)} MiB`);
  out();
  out("rows     | receive+stage        | apply to catalog     | end to end  | workerd RSS before → peak (receiving, applying) | at the peak: anon + file + shmem");
  for (const [at, rows] of sizes.entries()) {
    const figures = await importOnce(url, key, rows, `run${at}`, pid);
    const rate = (ms: number) => `${Math.round((rows / ms) * 1000).toLocaleString("en-US")} rows/s`;
    const mib = (value: number) => value.toFixed(0);
    const { peak } = figures;
    out(
      `${rows.toLocaleString("en-US").padEnd(8)} | ${(figures.receiveMs / 1000).toFixed(1)} s, ${rate(figures.receiveMs)}`.padEnd(32) +
        ` | ${(figures.applyMs / 1000).toFixed(1)} s, ${rate(figures.applyMs)}`.padEnd(23) +
        ` | ${rate(figures.receiveMs + figures.applyMs)}`.padEnd(14) +
        ` | ${mib(figures.before.rss)} → ${mib(peak.rss)} MiB (${mib(figures.receivePeak.rss)}, ${mib(figures.applyPeak.rss)})`.padEnd(50) +
        ` | ${mib(peak.anon)} + ${mib(peak.file)} + ${mib(peak.shmem)} MiB`,
    );
  }
} finally {
  await bench.close();
}
