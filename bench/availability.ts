import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, runLoad, startBenchEdge } from "./harness.ts";

/**
 * Marketplace polling: bulk availability calls of 500 SKUs, single-SKU polls,
 * and single-SKU polls that revalidate with If-None-Match (304), against a
 * tenant with 1,000 stocked SKUs, all served from the availability read model.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8791);
const skuCount = 1_000;
const bulkSize = 500;

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  const skus = Array.from({ length: skuCount }, (_, i) => `POLL-${String(i).padStart(5, "0")}`);
  for (let start = 0; start < skus.length; start += 50) {
    await Promise.all(skus.slice(start, start + 50).map((sku, i) => edgeCall(url, "PUT", `/v1/inventory/${sku}/locations/wh-1`, { key: tenant.admin, body: { onHand: 10 + ((start + i) % 90) } })));
  }
  // Wait until the read model has every SKU (it trails the objects by the publish delay).
  for (let seen = 0; seen < skuCount; ) {
    const page = await edgeCall<{ changes: unknown[] }>(url, "GET", `/v1/availability/changes?channel=web&limit=1000`, { key: tenant.channelKey });
    seen = page.changes.length;
    if (seen < skuCount) await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const auth = { authorization: `Bearer ${tenant.channelKey}` };
  const single = await fetch(`${url}/v1/availability/${skus[0]}?channel=web`, { headers: auth });
  const etag = single.headers.get("etag") ?? "";
  const scenarios = [
    { name: `bulk, ${bulkSize} SKUs a call`, path: `/v1/availability?channel=web&skus=${skus.slice(0, bulkSize).join(",")}`, headers: auth, skusPerCall: bulkSize },
    { name: "single SKU", path: `/v1/availability/${skus[0]}?channel=web`, headers: auth, skusPerCall: 1 },
    { name: "single SKU, If-None-Match (304)", path: `/v1/availability/${skus[0]}?channel=web`, headers: { ...auth, "if-none-match": etag }, skusPerCall: 1 },
  ];

  process.stdout.write(`Availability polls: ${connections} connections, ${seconds} s × ${rounds} rounds, ${skuCount} SKUs stocked, edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`);
  for (const scenario of scenarios) {
    const figures = [];
    await runLoad({ url, connections, duration: 2, requests: [{ method: "GET", path: scenario.path, headers: scenario.headers }] });
    for (let round = 0; round < rounds; round++) {
      figures.push(await runLoad({ url, connections, duration: seconds, requests: [{ method: "GET", path: scenario.path, headers: scenario.headers }] }));
    }
    const bad = figures.reduce((sum, f) => sum + f.errors + (scenario.name.includes("304") ? 0 : f.non2xx), 0);
    const rps = median(figures.map((f) => f.requestsPerSecond));
    process.stdout.write(
      `${scenario.name}: ${rps.toFixed(0)} req/s (${(rps * scenario.skusPerCall).toFixed(0)} SKU figures/s), p50 ${median(figures.map((f) => f.p50))} ms, p99 ${median(figures.map((f) => f.p99))} ms, failures ${bad}\n`,
    );
    if (bad > 0) process.exitCode = 1;
  }
} finally {
  await bench.close();
}
