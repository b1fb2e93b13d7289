import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, runLoad, startBenchEdge } from "./harness.ts";

/**
 * Marketplace polling: bulk availability calls of 500 SKUs, single-SKU polls,
 * and single-SKU polls that revalidate with If-None-Match (304), against a
 * tenant with BENCH_SKUS stocked SKUs (1,000; stocked through an ERP items
 * import and a stock import), all served from the availability read shards. The bulk calls each ask for 500 consecutive SKUs
 * from a random place; the single-SKU polls ask for one SKU over and over (a
 * hot listing, which the edge's 250 ms poll cache serves) and for a random SKU
 * each time (a full catalog sweep, which it cannot).
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8791);
const skuCount = Number(process.env.BENCH_SKUS ?? 1_000);
const bulkSize = 500;

/** Posts a CSV import (default mapping: a column per field, amounts in minor units) and waits until every row is accepted. */
async function importCsv(url: string, key: string, type: "items" | "stock", csv: string, query = ""): Promise<void> {
  const id = `bench-${type}-${Date.now().toString(36)}`;
  const response = await fetch(`${url}/v1/erp/imports?type=${type}&id=${id}${query}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" }, body: csv });
  if (response.status !== 202) throw new Error(`${type} import answered ${response.status}: ${await response.text()}`);
  for (;;) {
    const report = await edgeCall<{ status: string; rows: { received: number; accepted: number; rejected: number } }>(url, "GET", `/v1/erp/imports/${id}`, { key });
    if (report.status === "done") {
      if (report.rows.accepted !== report.rows.received) throw new Error(`${type} import: ${JSON.stringify(report).slice(0, 1_000)}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const bench = await startBenchEdge(port);
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  const skus = Array.from({ length: skuCount }, (_, i) => `POLL-${String(i).padStart(6, "0")}`);
  const started = Date.now();
  // Stocked as a retailer's ERP does it: the items, then one stock count each, through two imports.
  await importCsv(url, tenant.admin, "items", `sku,name,price,currency\n${skus.map((sku) => `${sku},Item ${sku},1999,USD`).join("\n")}\n`);
  process.stdout.write(`  ${skuCount} items imported in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  await importCsv(url, tenant.admin, "stock", `sku,location,onHand\n${skus.map((sku, i) => `${sku},wh-1,${10 + (i % 90)}`).join("\n")}\n`, `&asOf=${encodeURIComponent(new Date().toISOString())}`);
  process.stdout.write(`  ${skuCount} stock counts imported in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  // Wait until the read model has every SKU (it trails the objects by the publish delay).
  for (let seen = 0, cursor = "0"; seen < skuCount; ) {
    const page = await edgeCall<{ changes: unknown[]; nextCursor: string | null }>(url, "GET", `/v1/availability/changes?channel=web&limit=1000&cursor=${cursor}`, { key: tenant.channelKey });
    seen += page.changes.length;
    cursor = page.nextCursor ?? cursor;
    if (page.changes.length < 1000 && seen < skuCount) await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const auth = { authorization: `Bearer ${tenant.channelKey}` };
  const single = await fetch(`${url}/v1/availability/${skus[0]}?channel=web`, { headers: auth });
  const etag = single.headers.get("etag") ?? "";
  const randomStart = (span: number) => Math.floor(Math.random() * (skuCount - span + 1));
  const scenarios: { name: string; path: string; headers: Record<string, string>; skusPerCall: number; pathOf?: () => string }[] = [
    {
      name: `bulk, ${bulkSize} SKUs a call`,
      path: `/v1/availability?channel=web&skus=${skus.slice(0, bulkSize).join(",")}`,
      headers: auth,
      skusPerCall: bulkSize,
      pathOf: () => {
        const start = randomStart(bulkSize);
        return `/v1/availability?channel=web&skus=${skus.slice(start, start + bulkSize).join(",")}`;
      },
    },
    { name: "single SKU, the same one", path: `/v1/availability/${skus[0]}?channel=web`, headers: auth, skusPerCall: 1 },
    { name: "single SKU, the same one, If-None-Match (304)", path: `/v1/availability/${skus[0]}?channel=web`, headers: { ...auth, "if-none-match": etag }, skusPerCall: 1 },
    { name: "single SKU, a random one each time", path: `/v1/availability/${skus[0]}?channel=web`, headers: auth, skusPerCall: 1, pathOf: () => `/v1/availability/${skus[randomStart(1)]}?channel=web` },
  ];

  process.stdout.write(`Availability polls: ${connections} connections, ${seconds} s × ${rounds} rounds, ${skuCount} SKUs stocked, edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`);
  for (const scenario of scenarios) {
    const figures = [];
    const pathOf = scenario.pathOf;
    const requests = [{ method: "GET" as const, path: scenario.path, headers: scenario.headers, ...(pathOf && { setupRequest: (request: object) => ({ ...request, path: pathOf() }) }) }];
    await runLoad({ url, connections, duration: 2, requests });
    for (let round = 0; round < rounds; round++) {
      figures.push(await runLoad({ url, connections, duration: seconds, requests }));
    }
    const bad = figures.reduce((sum, f) => sum + f.errors + (scenario.name.includes("304") ? 0 : f.non2xx), 0);
    const rps = median(figures.map((f) => f.requestsPerSecond));
    process.stdout.write(
      `${scenario.name}: ${rps.toFixed(0)} req/s (${(rps * scenario.skusPerCall).toFixed(0)} SKU figures/s), p50 ${median(figures.map((f) => f.p50))} ms, p99 ${median(figures.map((f) => f.p99))} ms, failures ${bad}\n`,
    );
    if (bad > 0) {
      const statuses: Record<string, number> = {};
      for (const f of figures) for (const [code, n] of Object.entries(f.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
      process.stdout.write(`  answers by status: ${JSON.stringify(statuses)}\n`);
      process.exitCode = 1;
    }
  }
  // The floor of the same hosting: a route that touches no object and validates nothing.
  const floor = await runLoad({ url, connections, duration: Math.min(seconds, 5), requests: [{ method: "GET", path: "/health" }] });
  process.stdout.write(`HTTP floor (GET /health, same host): ${floor.requestsPerSecond.toFixed(0)} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms\n`);
} finally {
  await bench.close();
}
