import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { edgeCall } from "../scripts/edge-client.ts";
import { projectRoot } from "../scripts/local-edge.ts";
import { startMiniflareEdge } from "../scripts/miniflare-edge.ts";
import { benchPlatformKey, createBenchTenant, machineLine, reservationLoad, workerdCpuMs } from "./harness.ts";

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
const top = 15;

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A DevTools protocol session with the isolate whose target title names the Worker. */
async function inspect(workerName: string) {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { title: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((candidate) => candidate.title.includes(workerName));
  if (!target) throw new Error(`no inspector target for ${workerName} among ${targets.map((candidate) => candidate.title).join(", ")}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let lastId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.onmessage = (message) => {
    const reply = JSON.parse(String(message.data)) as { id?: number; result?: unknown };
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply.result);
  };
  const send = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      const id = ++lastId;
      waiting.set(id, resolve as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => socket.close() };
}

/** The bundle's source file of each line: esbuild marks where each one starts with a `// path` comment. */
function sourceFileOfLine(script: string): (line: number) => string {
  const starts: number[] = [];
  const files: string[] = [];
  script.split("\n").forEach((text, index) => {
    const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(text);
    if (match) {
      starts.push(index + 1);
      files.push(match[1]!.replace(/^(\.\.\/)*node_modules\//, ""));
    }
  });
  return (line) => {
    let low = 0;
    let high = starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (starts[middle]! <= line) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found < 0 ? "(bundle prelude)" : files[found]!;
  };
}

function selfTimes(profile: CpuProfile, fileOf: (line: number) => string) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFile = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((nodeId, index) => {
    const micros = profile.timeDeltas[index + 1] ?? 0;
    const frame = nodes.get(nodeId)!.callFrame;
    const inBundle = frame.url.endsWith(".js") && !frame.url.startsWith("node:");
    // Frames without a script are the runtime's own: (program), (idle), (garbage collector), exec (SQLite), …
    const file = frame.url === "" ? frame.functionName || "(native)" : inBundle ? fileOf(frame.lineNumber + 1) : frame.url;
    const name = frame.url === "" ? file : `${frame.functionName || "(anonymous)"}  ${file}${inBundle ? ` (bundle line ${frame.lineNumber + 1})` : ""}`;
    byFile.set(file, (byFile.get(file) ?? 0) + micros);
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    total += micros;
  });
  return { byFile, byFunction, total };
}

function printTop(title: string, totals: Map<string, number>, requests: number, total: number) {
  process.stdout.write(`\n${title}\n`);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${(micros / requests).toFixed(0).padStart(6)} µs/request  ${((micros / total) * 100).toFixed(1).padStart(5)} %  ${name}\n`);
  }
}

const stateDir = mkdtempSync(join(tmpdir(), "shelfsync-cpu-profile-"));
const edge = await startMiniflareEdge({ port, persistTo: stateDir, platformKey: benchPlatformKey, logLevel: "none", output: "ignore", inspectorPort });
try {
  process.stdout.write(`CPU profile of hot-SKU reservations: ${connections} connections, ${seconds} s, sampling every ${samplingMicros} µs; edge by Miniflare API, no dev proxy\nMachine: ${machineLine()}\n\n`);
  const tenant = await createBenchTenant(edge.url, `profile-${Date.now().toString(36)}`);
  await edgeCall(edge.url, "PUT", "/v1/inventory/HOT-1/locations/wh-1", { key: tenant.admin, body: { onHand: 100_000_000 } });
  await reservationLoad(edge.url, tenant.channelKey, "HOT-1", { duration: 3 }, connections);

  const inspector = await inspect("shelfsync-edge");
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: samplingMicros });
  await inspector.send("Profiler.start");
  const cpuBefore = workerdCpuMs();
  const load = await reservationLoad(edge.url, tenant.channelKey, "HOT-1", { duration: seconds }, connections);
  const cpuMs = workerdCpuMs() - cpuBefore;
  const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
  inspector.close();

  const outDir = join(projectRoot, ".wrangler", "profiles");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `reserve-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  writeFileSync(outFile, JSON.stringify(profile));

  const { byFile, byFunction, total } = selfTimes(profile, sourceFileOfLine(edge.script!));
  const idle = [...byFile].filter(([file]) => file === "(idle)").reduce((sum, [, micros]) => sum + micros, 0);
  process.stdout.write(
    `while profiled: ${load.requestsPerSecond.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, 2xx ${load.status2xx}, non-2xx ${load.non2xx}\n` +
      `workerd CPU ${((cpuMs * 1000) / load.requests).toFixed(0)} µs/request (from /proc; the profiler adds to it); isolate idle ${((idle / total) * 100).toFixed(0)} % of the sampled time\n`,
  );
  byFile.delete("(idle)");
  byFunction.delete("(idle)");
  process.stdout.write("(program): native work V8 does not attribute; exec: SQLite running statements; the percentages are of the sampled time.\n");
  printTop("Self time by source file (the isolate runs the Worker and every Durable Object):", byFile, load.requests, total);
  printTop("Busiest functions (self time):", byFunction, load.requests, total);
  process.stdout.write(`\nProfile written to ${outFile} (open it in Chrome DevTools, Performance panel).\n`);
} finally {
  await edge.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
