import { fileURLToPath } from "node:url";
import { edgeCall } from "../scripts/edge-client.ts";
import { hostLabel, machineLine, startBenchEdge } from "./harness.ts";

/**
 * Where a reservation's time goes inside workerd, without HTTP in front:
 * the SKU object's reserve RPC (SQLite transaction with ledger and
 * idempotency record), a read RPC, and the registry's look-up RPC (what authorizing costs once the key check is cached), each
 * one at a time and 64 at a time. Compare with bench/reserve.ts end to end.
 */
const n = Number(process.env.BENCH_OPERATIONS ?? 5000);
const port = Number(process.env.BENCH_PORT ?? 8792);
const config = fileURLToPath(new URL("./profile.wrangler.toml", import.meta.url));

const bench = await startBenchEdge(port, config);
try {
  const url = bench.edge.url;
  process.stdout.write(`Reservation path, inside workerd (${hostLabel}), ${n} operations each\nMachine: ${machineLine()}\n\n`);
  await edgeCall(url, "GET", "/seed");
  for (const operation of ["reserve-rpc", "read-rpc", "authorize-rpc"]) {
    for (const concurrency of [1, 64]) {
      await edgeCall(url, "GET", `/${operation}?n=200&concurrency=${concurrency}`);
      const result = await edgeCall<{ ms: number; perSecond: number }>(url, "GET", `/${operation}?n=${n}&concurrency=${concurrency}`);
      process.stdout.write(`${operation.padEnd(14)} concurrency ${String(concurrency).padStart(2)}: ${result.perSecond.toFixed(0).padStart(6)} ops/s, ${((result.ms / n) * 1000).toFixed(0)} µs per operation\n`);
    }
  }
} finally {
  await bench.close();
}
