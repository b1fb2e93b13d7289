import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { edgeCall } from "../scripts/edge-client.ts";
import { createBenchTenant, hostLabel, machineLine, median, reservationLoad, runLoad, startBenchEdge, type LoadFigures } from "./harness.ts";
import { startPostgres, type LocalPostgres } from "./postgres.ts";

/**
 * Hot-SKU reservations: one SKU, 64 connections, each request a 1-unit
 * reservation with its own Idempotency-Key, through the HTTP API of a local
 * edge (wrangler dev). Then an oversell check: a SKU with fewer units than
 * the load asks for must grant exactly its units, and the ledger must agree.
 *
 * Beside it, in the same run, the reference: bench/postgres-reference-server.ts
 * (Node, the pg client's pool, the conditional UPDATE and the INSERT in one
 * transaction on a local PostgreSQL that bench/postgres.ts starts, installing
 * Debian's package when missing). The same generator, connections and
 * duration; rounds alternate between the two, so the machine's noise falls on
 * both; the ratio is of the medians.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const port = Number(process.env.BENCH_PORT ?? 8790);
const referencePort = port + 1;
const postgresPort = port + 2;
const referenceKey = "bench-reference-key";

interface Reference {
  url: string;
  postgres: LocalPostgres;
  stop(): Promise<void>;
}

/** PostgreSQL and the reference server in front of it, or null (with the reason printed) where they cannot run. */
async function startReference(): Promise<Reference | null> {
  const postgres = await startPostgres(postgresPort, (line) => process.stdout.write(line));
  if ("skipped" in postgres) {
    process.stdout.write(`PostgreSQL reference skipped: ${postgres.skipped}\n\n`);
    return null;
  }
  const server = spawn(process.execPath, [fileURLToPath(new URL("./postgres-reference-server.ts", import.meta.url))], {
    env: { ...process.env, DATABASE_URL: postgres.url, PORT: String(referencePort), REFERENCE_KEY: referenceKey },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.once("data", () => resolve());
    server.once("exit", (code) => reject(new Error(`the reference server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${referencePort}`,
    postgres,
    async stop() {
      server.kill("SIGTERM");
      await Promise.race([new Promise((resolve) => server.once("exit", resolve)), sleep(5_000)]);
      await postgres.stop();
    },
  };
}

function roundLine(label: string, round: number, result: LoadFigures): string {
  return `round ${round} ${label}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, 2xx ${result.status2xx}, non-2xx ${result.non2xx}, errors ${result.errors}\n`;
}

function medianLine(label: string, figures: LoadFigures[]): string {
  return `median ${label}: ${median(figures.map((f) => f.requestsPerSecond)).toFixed(0)} req/s, p50 ${median(figures.map((f) => f.p50))} ms, p99 ${median(figures.map((f) => f.p99))} ms\n`;
}

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
const reference = await startReference();
try {
  const url = bench.edge.url;
  const tenant = await createBenchTenant(url, `bench-${Date.now().toString(36)}`);
  process.stdout.write(`Hot-SKU reservations: ${connections} connections, ${seconds} s × ${rounds} rounds, edge by ${hostLabel}\nMachine: ${machineLine()}\n`);
  if (reference) process.stdout.write(`Reference: Node + ${reference.postgres.version}, pg pool of 16, UPDATE … WHERE on_hand - reserved >= qty and INSERT in one transaction\n`);
  process.stdout.write("\n");

  const figures: LoadFigures[] = [];
  const referenceFigures: LoadFigures[] = [];
  await edgeCall(url, "PUT", "/v1/inventory/HOT-1/locations/wh-1", { key: tenant.admin, body: { onHand: 100_000_000 } });
  await reservationLoad(url, tenant.channelKey, "HOT-1", { duration: 2 }, connections);
  if (reference) {
    await edgeCall(reference.url, "PUT", "/stock/HOT-1", { key: referenceKey, body: { onHand: 100_000_000 } });
    await reservationLoad(reference.url, referenceKey, "HOT-1", { duration: 2 }, connections);
  }
  for (let round = 1; round <= rounds; round++) {
    const result = await reservationLoad(url, tenant.channelKey, "HOT-1", { duration: seconds }, connections);
    figures.push(result);
    process.stdout.write(roundLine("edge", round, result));
    if (!reference) continue;
    const baseline = await reservationLoad(reference.url, referenceKey, "HOT-1", { duration: seconds }, connections);
    referenceFigures.push(baseline);
    process.stdout.write(roundLine("PostgreSQL reference", round, baseline));
  }
  process.stdout.write(medianLine("edge", figures));
  if (reference) {
    process.stdout.write(medianLine("PostgreSQL reference", referenceFigures));
    const ratio = median(figures.map((f) => f.requestsPerSecond)) / median(referenceFigures.map((f) => f.requestsPerSecond));
    process.stdout.write(`edge / reference: ${ratio.toFixed(2)} × (goal ≥ 1.5 ×)\n`);
    const stock = await edgeCall<{ reserved: number; reservations: number }>(reference.url, "GET", "/stock/HOT-1", { key: referenceKey });
    const granted = referenceFigures.reduce((total, f) => total + f.status2xx, 0);
    if (stock.reservations < granted || stock.reserved !== stock.reservations) {
      process.stdout.write(`reference check FAILED: ${granted} granted in the rounds, ${stock.reservations} reservations, ${stock.reserved} units reserved\n`);
      process.exitCode = 1;
    }
  }
  process.stdout.write("\n");

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
  await reference?.stop();
}
