import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgeCall } from "../scripts/edge-client.ts";
import { startMiniflareEdge } from "../scripts/miniflare-edge.ts";
import { benchPlatformKey, createBenchTenant, machineLine, reservationLoad, workerdCpuMs } from "./harness.ts";
import { printTop, profileTimes, saveProfile, sourceFileOfLine, startProfile } from "./profiler.ts";

/**
 * Where the hot-SKU reservation path spends workerd's CPU: the load of
 * bench/reserve.ts (one SKU, 64 connections, a fresh Idempotency-Key per
 * request) while a CPU profile of the isolate that runs the Worker and every
 * Durable Object is taken through workerd's DevTools inspector. Prints the
 * self time per source file of the bundle and the busiest functions, in µs
 * per request, and writes the .cpuprofile for Chrome DevTools.
 */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const port = Number(process.env.BENCH_PORT ?? 8796);
const inspectorPort = Number(process.env.BENCH_INSPECTOR_PORT ?? 9239);
const samplingMicros = Number(process.env.BENCH_SAMPLING_US ?? 200);
const stateDir = mkdtempSync(join(tmpdir(), "shelfsync-cpu-profile-"));
const edge = await startMiniflareEdge({ port, persistTo: stateDir, platformKey: benchPlatformKey, logLevel: "none", output: "ignore", inspectorPort });
try {
  process.stdout.write(`CPU profile of hot-SKU reservations: ${connections} connections, ${seconds} s, sampling every ${samplingMicros} µs; edge by Miniflare API, no dev proxy\nMachine: ${machineLine()}\n\n`);
  const tenant = await createBenchTenant(edge.url, `profile-${Date.now().toString(36)}`);
  await edgeCall(edge.url, "PUT", "/v1/inventory/HOT-1/locations/wh-1", { key: tenant.admin, body: { onHand: 100_000_000 } });
  await reservationLoad(edge.url, tenant.channelKey, "HOT-1", { duration: 3 }, connections);

  const profiler = await startProfile(inspectorPort, samplingMicros);
  const cpuBefore = workerdCpuMs();
  const load = await reservationLoad(edge.url, tenant.channelKey, "HOT-1", { duration: seconds }, connections);
  const cpuMs = workerdCpuMs() - cpuBefore;
  const profile = await profiler.stop();
  const outFile = saveProfile("reserve", profile);

  const { byFile, byFunction, total, idle } = profileTimes(profile, sourceFileOfLine(edge.script!));
  process.stdout.write(
    `while profiled: ${load.requestsPerSecond.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, 2xx ${load.status2xx}, non-2xx ${load.non2xx}\n` +
      `workerd CPU ${((cpuMs * 1000) / load.requests).toFixed(0)} µs/request (from /proc; the profiler adds to it); isolate idle ${((idle / total) * 100).toFixed(0)} % of the sampled time\n`,
  );
  process.stdout.write("(program): native work V8 does not attribute; exec: SQLite running statements; the percentages are of the sampled time.\n");
  printTop("Self time by source file (the isolate runs the Worker and every Durable Object):", byFile, load.requests, total);
  printTop("Busiest functions (self time):", byFunction, load.requests, total);
  process.stdout.write(`\nProfile written to ${outFile} (open it in Chrome DevTools, Performance panel).\n`);
} finally {
  await edge.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
