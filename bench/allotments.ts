import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, reservationLoad, startBenchEdge, type LoadFigures } from "./harness.ts";

/**
 * A flash sale on one SKU: the same autocannon load (1-unit pool
 * reservations for `web`, each with its own Idempotency-Key) against a SKU
 * that is not hot (K = 1: every reservation through its one SKU object) and
 * against SKUs hot for `web` with K = 2, 4, 8 allotment shards
 * (docs/decisions/0029-flash-sale-allotments.md). Prints req/s, p99 and the
 * ratio to K = 1 per K, then an oversell check on a hot SKU with fewer units
 * than the load asks for.
 *
 * All objects run in one local workerd process, so K shards share the same
 * cores as one object: the ratio here measures what sharding costs and
 * saves on one machine, not what K objects on K machines give (see
 * docs/benchmarks.md for the production model).
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8796);
const shardCounts = [1, 2, 4, 8];

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  process.stdout.write(`Flash-sale reservations: ${connections} connections, ${seconds} s per K × ${rounds} rounds, edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`);

  for (const shards of shardCounts) {
    const sku = `FLASH-K${shards}`;
    await edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/wh-1`, { key: tenant.admin, body: { onHand: 100_000_000 } });
    if (shards > 1) await edgeCall(url, "PUT", `/v1/inventory/${sku}/hot`, { key: tenant.admin, body: { channel: "web", shards } });
    await reservationLoad(url, tenant.channelKey, sku, { duration: 2 }, connections);
  }
  // Rounds alternate between the K values, so that the machine's noise (other work on its cores) falls on all of them.
  const results = new Map<number, LoadFigures[]>(shardCounts.map((shards) => [shards, []]));
  for (let round = 1; round <= rounds; round += 1) {
    for (const shards of shardCounts) {
      const result = await reservationLoad(url, tenant.channelKey, `FLASH-K${shards}`, { duration: seconds }, connections);
      results.get(shards)!.push(result);
      process.stdout.write(`round ${round} K=${shards}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms, 2xx ${result.status2xx}, non-2xx ${result.non2xx}, errors ${result.errors}\n`);
    }
  }
  process.stdout.write("\n");
  const baseline = median(results.get(1)!.map((f) => f.requestsPerSecond));
  for (const shards of shardCounts) {
    const figures = results.get(shards)!;
    const rate = median(figures.map((f) => f.requestsPerSecond));
    process.stdout.write(
      `median K=${shards}${shards === 1 ? " (not hot)" : ""}: ${rate.toFixed(0)} req/s, p50 ${median(figures.map((f) => f.p50))} ms, p99 ${median(figures.map((f) => f.p99))} ms; ` +
        `ratio to K=1 ${(rate / baseline).toFixed(2)} (0.8·K = ${(0.8 * shards).toFixed(1)})\n`,
    );
  }

  const units = 2_000;
  await edgeCall(url, "PUT", "/v1/inventory/FLASH-CHECK/locations/wh-1", { key: tenant.admin, body: { onHand: units } });
  await edgeCall(url, "PUT", "/v1/inventory/FLASH-CHECK/hot", { key: tenant.admin, body: { channel: "web", shards: 4 } });
  const check = await reservationLoad(url, tenant.channelKey, "FLASH-CHECK", { amount: units * 1.5 }, connections);
  const inventory = await edgeCall<{ totals: { reserved: number; available: number } }>(url, "GET", "/v1/inventory/FLASH-CHECK", { key: tenant.admin });
  const ok = check.status2xx === units && check.non2xx === units / 2 && inventory.totals.reserved === units && inventory.totals.available === 0;
  process.stdout.write(
    `\noversell check (K=4): ${units} units, ${check.requests} requests: ${check.status2xx} granted, ${check.non2xx} refused; reserved ${inventory.totals.reserved}, available ${inventory.totals.available}: ${ok ? "OK, nothing oversold, nothing refused while units were left" : "FAILED"}\n`,
  );
  if (!ok) process.exitCode = 1;
} finally {
  await bench.close();
}
