import { randomBytes } from "node:crypto";
import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, runLoad, startBenchEdge, type LoadFigures } from "./harness.ts";

/**
 * `npm run bench:console`: the calls the console's tenant overview makes
 * (console/pages/overview.tsx), for a tenant with 500 stores that have all
 * reported their health (POST /v1/stores/{location}/health with each store's
 * key), 10 channel connections (Shopify, disabled: nothing is pushed, their
 * status is read from their objects) and some open exceptions (backorders).
 * Each call is loaded by autocannon with the session cookie, as the console
 * sends it, and its p50/p99/req/s printed; the issue asks p99 ≤ 150 ms.
 */
const storeCount = Number(process.env.BENCH_STORES ?? 500);
const connectionCount = Number(process.env.BENCH_CHANNEL_CONNECTIONS ?? 10);
const backorders = Number(process.env.BENCH_BACKORDERS ?? 30);
// Two consoles refreshing the overview back to back, each asking again the moment it has its answer: far more than two people every 5 s.
const connections = Number(process.env.BENCH_CONNECTIONS ?? 2);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8797);
const p99BoundMs = 150;

/** Runs `task` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

// Connections seal their credentials with this key (as `wrangler secret put CONNECTION_CREDENTIALS_KEY` in production).
const bench = await startBenchEdge(port, undefined, { CONNECTION_CREDENTIALS_KEY: randomBytes(32).toString("base64") });
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-console-${Date.now().toString(36)}`);
  const started = Date.now();
  const stores = Array.from({ length: storeCount }, (_, index) => `store-${String(index + 1).padStart(3, "0")}`);
  await inParallel(stores, 8, async (location) => {
    await edgeCall(url, "PUT", `/v1/locations/${location}`, { key: tenant.admin, body: { type: "store", name: location } });
    const storeKey = (await edgeCall<{ key: string }>(url, "POST", "/v1/keys", { key: tenant.admin, body: { role: "store", location, name: `agent ${location}` } })).key;
    const now = new Date().toISOString();
    await edgeCall(url, "POST", `/v1/stores/${location}/health`, { key: storeKey, body: { agentVersion: "0.1.0", backlog: 3, oldestPendingAt: now, lastPushAt: now, lastPullAt: now, deadLetters: 0 } });
  });
  await edgeCall(url, "PUT", "/v1/inventory/BENCH-SKU/locations/wh-1", { key: tenant.admin, body: { onHand: 0 } });
  for (let order = 1; order <= backorders; order++) {
    await edgeCall(url, "POST", "/v1/orders", {
      key: tenant.admin,
      body: { channel: "web", externalId: `ORD-${order}`, currency: "USD", lines: [{ sku: "BENCH-SKU", qty: 1, unitPrice: 1000 }], delivery: { type: "ship", address: { line1: "1 Main St", city: "Springfield", country: "US" } } },
    });
  }
  for (let n = 1; n <= connectionCount; n++) {
    await edgeCall(url, "PUT", `/v1/connections/shop-${n}`, {
      key: tenant.admin,
      body: {
        type: "shopify",
        channel: "web",
        settings: { shopDomain: `bench-${n}.myshopify.com`, apiVersion: "2026-04", baseUrl: "http://127.0.0.1:9" },
        credentials: { accessToken: "shpat_0123456789abcdef0123456789abcdef" },
        locations: { pool: `gid://shopify/Location/${68231790836 + n}` },
        enabled: false,
      },
    });
  }
  const listed = await edgeCall<{ stores: { status: string }[] }>(url, "GET", "/v1/stores", { key: tenant.admin });
  const open = await edgeCall<{ exceptions: unknown[] }>(url, "GET", "/v1/exceptions?state=open&limit=500", { key: tenant.admin });
  const online = listed.stores.filter((store) => store.status === "online").length;
  if (online !== storeCount) throw new Error(`${online} of ${storeCount} stores online after reporting`);

  // A session, as the console signs in: the cookie, not the key, goes with every call.
  const signIn = await fetch(`${url}/v1/sessions`, { method: "POST", headers: { authorization: `Bearer ${tenant.admin}`, "idempotency-key": crypto.randomUUID() } });
  const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
  if (signIn.status !== 201 || !cookie) throw new Error(`sign-in answered ${signIn.status}`);

  process.stdout.write(
    `Console overview: ${storeCount} stores reported, ${connectionCount} channel connections (set up in ${((Date.now() - started) / 1000).toFixed(0)} s), ${open.exceptions.length} open exceptions; ` +
      `${connections} connections, ${seconds} s per call × ${rounds} rounds, session cookie, edge by ${hostLabel}\nMachine: ${machineLine()}\n\n`,
  );
  const calls = {
    "GET /v1/stores": "/v1/stores",
    "GET /v1/connections?include=status": "/v1/connections?include=status",
    "GET /v1/erp/connections?include=status": "/v1/erp/connections?include=status",
    "GET /v1/exceptions?state=open&limit=500": "/v1/exceptions?state=open&limit=500",
    "GET /v1/metrics/throughput?hours=24": "/v1/metrics/throughput?hours=24",
  };
  const load = (path: string, duration: number) => runLoad({ url: `${url}${path}`, connections, duration, headers: { cookie } });
  for (const path of Object.values(calls)) await load(path, 2);
  const results = new Map<string, LoadFigures[]>(Object.keys(calls).map((name) => [name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, path] of Object.entries(calls)) {
      const result = await load(path, seconds);
      results.get(name)!.push(result);
      process.stdout.write(`round ${round} ${name}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, 2xx ${result.status2xx}, non-2xx ${result.non2xx}, errors ${result.errors}\n`);
    }
  }
  process.stdout.write("\n");
  for (const [name, figures] of results) {
    const p99 = median(figures.map((f) => f.p99));
    const failed = figures.some((f) => f.non2xx > 0 || f.errors > 0);
    process.stdout.write(`median ${name}: ${median(figures.map((f) => f.requestsPerSecond)).toFixed(0)} req/s, p50 ${median(figures.map((f) => f.p50))} ms, p99 ${p99} ms: ${p99 <= p99BoundMs && !failed ? "within" : "OVER"} ${p99BoundMs} ms\n`);
    if (p99 > p99BoundMs || failed) process.exitCode = 1;
  }
} finally {
  await bench.close();
}
