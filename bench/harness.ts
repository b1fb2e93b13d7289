import autocannon from "autocannon";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
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
  return start({ port, persistTo: stateDir, platformKey: benchPlatformKey, logLevel: logged ? "error" : "none", output: logged ? "inherit" : "ignore", config, vars });
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
  requestsPerSecond: number;
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

/** 1-unit reservations of one SKU for the `web` channel, each with its own Idempotency-Key. */
export function reservationLoad(url: string, key: string, sku: string, limit: { duration: number } | { amount: number }, connections: number) {
  const body = JSON.stringify({ qty: 1, channel: "web", reference: "bench" });
  return runLoad({
    url,
    connections,
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
