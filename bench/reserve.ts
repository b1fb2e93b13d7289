import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, reservationLoad, runLoad, startBenchEdge, type LoadFigures } from "./harness.ts";

/**
 * Hot-SKU reservations: one SKU, 64 connections, each request a 1-unit
 * reservation with its own Idempotency-Key, through the HTTP API of a local
 * edge (wrangler dev). Then an oversell check: a SKU with fewer units than
 * the load asks for must grant exactly its units, and the ledger must agree.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8790);

async function ledgerReserved(url: string, key: string, sku: string): Promise<{ entries: number; reserved: number }> {
  let cursor = "0";
  let entries = 0;
  let reserved = 0;
  for (;;) {
    const page = await edgeCall<{ entries: { type: string; reservedDelta: number }[]; nextCursor: string | null }>(url, "GET", `/v1/inventory/${sku}/ledger?cursor=${cursor}&limit=1000`, { key });
    for (const entry of page.entries) {
      if (entry.type === "reservation") entries += 1;
      reserved += entry.reservedDelta;
    }
    if (!page.nextCursor) return { entries, reserved };
    cursor = page.nextCursor;
  }
}

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  process.stdout.write(`Hot-SKU reservations: ${connections} connections, ${seconds} s × ${rounds} rounds, edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`);

  const figures: LoadFigures[] = [];
  await edgeCall(url, "PUT", "/v1/inventory/HOT-1/locations/wh-1", { key: tenant.admin, body: { onHand: 100_000_000 } });
  await reservationLoad(url, tenant.channelKey, "HOT-1", { duration: 2 }, connections);
  for (let round = 1; round <= rounds; round++) {
    const result = await reservationLoad(url, tenant.channelKey, "HOT-1", { duration: seconds }, connections);
    figures.push(result);
    process.stdout.write(`round ${round}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, 2xx ${result.status2xx}, non-2xx ${result.non2xx}, errors ${result.errors}\n`);
  }
  process.stdout.write(`median: ${median(figures.map((f) => f.requestsPerSecond)).toFixed(0)} req/s, p50 ${median(figures.map((f) => f.p50))} ms, p99 ${median(figures.map((f) => f.p99))} ms\n\n`);

  // The floor of the same hosting: a route that touches no object and validates nothing.
  const floor = await runLoad({ url, connections, duration: Math.min(seconds, 5), requests: [{ method: "GET", path: "/health" }] });
  process.stdout.write(`HTTP floor (GET /health, same host): ${floor.requestsPerSecond.toFixed(0)} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms\n\n`);

  // Oversell check: a fixed number of requests, half again as many as there are units.
  const units = 2_000;
  await edgeCall(url, "PUT", "/v1/inventory/HOT-2/locations/wh-1", { key: tenant.admin, body: { onHand: units } });
  const check = await reservationLoad(url, tenant.channelKey, "HOT-2", { amount: units * 1.5 }, connections);
  const inventory = await edgeCall<{ totals: { reserved: number; available: number } }>(url, "GET", "/v1/inventory/HOT-2", { key: tenant.admin });
  const ledger = await ledgerReserved(url, tenant.admin, "HOT-2");
  const ok = check.status2xx === units && check.non2xx === units / 2 && inventory.totals.reserved === units && inventory.totals.available === 0 && ledger.entries === units && ledger.reserved === units;
  process.stdout.write(
    `oversell check: ${units} units, ${check.requests} requests: ${check.status2xx} granted, ${check.non2xx} refused; reserved ${inventory.totals.reserved}, ledger ${ledger.entries} reservations (${ledger.reserved} units): ${ok ? "OK, nothing oversold" : "FAILED"}\n`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await bench.close();
}
