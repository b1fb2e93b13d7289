import autocannon from "autocannon";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { edgeCall } from "../scripts/edge-client.ts";
import { startLocalEdge, type LocalEdge } from "../scripts/local-edge.ts";
import { startMiniflareEdge } from "../scripts/miniflare-edge.ts";

export const benchPlatformKey = "bench-platform-key-not-secret";

// Miniflare by default: the `wrangler dev` proxy in front of workerd costs throughput.
// BENCH_HOST=wrangler measures through it, as `npm start` serves.
const benchHost = process.env.BENCH_HOST ?? "miniflare";
if (benchHost !== "miniflare" && benchHost !== "wrangler") throw new Error(`BENCH_HOST must be "miniflare" or "wrangler", not ${JSON.stringify(benchHost)}`);

/** How the benchmarks host the edge, for their header lines. */
export const hostLabel = benchHost === "miniflare" ? "Miniflare API, no dev proxy" : "wrangler dev --log-level none";

export interface BenchEdge {
  edge: LocalEdge;
  close(): Promise<void>;
}

/**
 * The edge (see hostLabel), its logs discarded, on `stateDir`, which outlives it: stopping it and
 * starting it again on the same folder takes the edge offline and brings it back with its state.
 */
export function startEdgeOn(port: number, stateDir: string, config?: string, vars?: Record<string, string>): Promise<LocalEdge> {
  const start = benchHost === "miniflare" ? startMiniflareEdge : startLocalEdge;
  // BENCH_EDGE_LOG=1 keeps the edge's own log (access log, errors) on this process's output, to see why a request failed.
  const logged = process.env.BENCH_EDGE_LOG === "1";
  // BENCH_INSPECTOR_PORT opens workerd's DevTools inspector there, for a CPU profile (bench/profiler.ts).
  const inspector = process.env.BENCH_INSPECTOR_PORT ? { inspectorPort: Number(process.env.BENCH_INSPECTOR_PORT) } : {};
  return start({ port, persistTo: stateDir, platformKey: benchPlatformKey, logLevel: logged ? "error" : "none", output: logged ? "inherit" : "ignore", config, vars, ...inspector });
}

/** A fresh local edge (see hostLabel), its logs discarded, on an empty state folder; `vars` win over the config's. */
export async function startBenchEdge(port: number, config?: string, vars?: Record<string, string>): Promise<BenchEdge> {
  const stateDir = mkdtempSync(join(tmpdir(), "shelfsync-bench-"));
  const edge = await startEdgeOn(port, stateDir, config, vars);
  return {
    edge,
    async close() {
      await edge.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface BenchTenant {
  admin: string;
  channelKey: string;
}

/** A tenant with one warehouse in a `web` channel (no buffer, no caps), and a channel key. */
export async function createBenchTenant(url: string, id: string): Promise<BenchTenant> {
  const created = await edgeCall<{ adminKey: { key: string } }>(url, "POST", "/v1/tenants", { key: benchPlatformKey, body: { id, name: id } });
  const admin = created.adminKey.key;
  await edgeCall(url, "PUT", "/v1/locations/wh-1", { key: admin, body: { type: "warehouse" } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: admin, body: { locations: ["wh-1"] } });
  const channelKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: admin, body: { role: "channel", channel: "web" } })).key;
  return { admin, channelKey };
}

export interface LoadFigures {
  requests: number;
  /** autocannon's mean of its per-second samples. */
  requestsPerSecond: number;
  /**
   * How long the load ran. autocannon ends a run at its next sample tick
   * (`sampleInt`, 1 s by default), so under `amount` this is rounded up to it.
   */
  seconds: number;
  p50: number;
  p99: number;
  status2xx: number;
  non2xx: number;
  errors: number;
  /** Answers by status code, e.g. { "200": 9800, "429": 200 }. */
  statuses: Record<string, number>;
}

export function runLoad(options: autocannon.Options): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error, result) => {
      if (error) return reject(error);
      resolve({
        requests: result.requests.total,
        requestsPerSecond: result.requests.average,
        seconds: result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        status2xx: result["2xx"],
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
        statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count])),
      });
    });
  });
}

/** 1-unit reservations of one SKU for the `web` channel, each with its own Idempotency-Key; `options` go to autocannon as they are. */
export function reservationLoad(url: string, key: string, sku: string, limit: { duration: number } | { amount: number }, connections: number, options: Partial<autocannon.Options> = {}) {
  const body = JSON.stringify({ qty: 1, channel: "web", reference: "bench" });
  return runLoad({
    url,
    connections,
    ...options,
    ...limit,
    requests: [
      {
        method: "POST",
        path: `/v1/inventory/${sku}/reservations`,
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body,
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, "idempotency-key": randomUUID() } }),
      },
    ],
  });
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function machineLine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/**
 * workerd's CPU time so far (user + system) in ms, from /proc: the workerd processes whose parent is
 * this process, as with the Miniflare edge (0 under `wrangler dev`, whose workerd is wrangler's child).
 */
export function workerdCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (!stat.includes("(workerd)")) continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== process.pid) continue;
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
    } catch {
      // the process ended while we read
    }
  }
  return total;
}
