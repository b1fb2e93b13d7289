import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { edgeCall, edgeRequest } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, startBenchEdge } from "./harness.ts";

/**
 * The time to take a 20-line order: POST /v1/orders through the HTTP API of
 * a local edge, routed over a two-location pool and reserved in 20 SKU
 * objects (each under its own key), measured one order at a time and then
 * with several orders in flight. Afterwards every SKU's reserved units must
 * equal the units the reserved orders hold: nothing reserved twice or lost.
 */
const lines = Number(process.env.BENCH_LINES ?? 20);
const orders = Number(process.env.BENCH_ORDERS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const port = Number(process.env.BENCH_PORT ?? 8793);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, times: number[], wallMs: number): string {
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((total, t) => total + t, 0) / times.length;
  return `${label}: ${times.length} orders in ${(wallMs / 1000).toFixed(1)} s (${((times.length * 1000) / wallMs).toFixed(1)} orders/s), p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, mean ${mean.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms\n`;
}

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  await edgeCall(url, "PUT", "/v1/locations/store-a", { key: tenant.admin, body: { type: "store" } });
  await edgeCall(url, "PUT", "/v1/channels/web", { key: tenant.admin, body: { locations: ["wh-1", "store-a"] } });
  const skus = Array.from({ length: lines }, (_, i) => `ORD-SKU-${String(i + 1).padStart(2, "0")}`);
  for (const sku of skus) {
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/wh-1`, { key: tenant.admin, body: { onHand: 1_000_000 } });
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.admin, body: { onHand: 1_000_000 } });
  }
  process.stdout.write(`${lines}-line orders: ${orders} one at a time, then ${orders} with ${concurrency} in flight; edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`);

  let reservedUnits = 0;
  const placeOrder = async (): Promise<number> => {
    const body = {
      channel: "web",
      externalId: randomUUID(),
      currency: "USD",
      lines: skus.map((sku, i) => ({ sku, qty: 1 + (i % 3), unitPrice: 1000 })),
      delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } },
    };
    const started = performance.now();
    const response = await edgeRequest<{ status: string }>(url, "POST", "/v1/orders", { key: tenant.channelKey, body });
    const elapsed = performance.now() - started;
    if (response.status !== 201 || response.body.status !== "reserved") throw new Error(`order answered ${response.status}: ${JSON.stringify(response.body)}`);
    reservedUnits += 1;
    return elapsed;
  };

  for (let i = 0; i < 20; i++) await placeOrder();

  const sequential: number[] = [];
  let started = performance.now();
  for (let i = 0; i < orders; i++) sequential.push(await placeOrder());
  process.stdout.write(summary("one at a time", sequential, performance.now() - started));

  const concurrent: number[] = [];
  let next = 0;
  started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < orders) concurrent.push(await placeOrder());
    }),
  );
  process.stdout.write(summary(`${concurrency} in flight`, concurrent, performance.now() - started));

  // Every reserved order holds 1 + (i % 3) units of SKU i, at one location.
  let ok = true;
  for (const [i, sku] of skus.entries()) {
    const inventory = await edgeCall<{ totals: { reserved: number } }>(url, "GET", `/v1/inventory/${sku}`, { key: tenant.admin });
    if (inventory.totals.reserved !== reservedUnits * (1 + (i % 3))) ok = false;
  }
  process.stdout.write(`\nconsistency: ${reservedUnits} reserved orders; every SKU's reserved units match them: ${ok ? "OK" : "FAILED"}\n`);
  if (!ok) process.exitCode = 1;
} finally {
  await bench.close();
}
