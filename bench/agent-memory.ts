import { readFileSync, statSync } from "node:fs";
import { bindLocation } from "../store-agent/agent-state.ts";
import { openAgentDatabase } from "../store-agent/db/client.ts";
import { databaseFile } from "../store-agent/main.ts";
import { Outbox } from "../store-agent/outbox.ts";
import { pairTerminalViaCli, spawnAgent } from "../store-agent/testing/agent-process.ts";
import { bearer, location, sale, storeKey, tempDataDir, unusedPort } from "../store-agent/testing/fixtures.ts";
import { machineLine } from "./harness.ts";

/** Node flags for the agent process: by default those store-agent/bin/shelfsync-agent.js runs it with; BENCH_NODE_FLAGS="" for V8's defaults. */
const nodeArgs = (process.env.BENCH_NODE_FLAGS ?? "--max-semi-space-size=2").split(" ").filter(Boolean);

/**
 * Resident memory of a running agent process with a backlog of `total`
 * transactions (the edge unreachable, so all of it stays pending), while its
 * status is read. The backlog is written through the real outbox code.
 */
const total = Number(process.env.BENCH_TRANSACTIONS ?? 1_000_000);
const chunk = 5_000;
const statusReads = 40;

function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

function fileMiB(path: string): number {
  try {
    return statSync(path).size / 2 ** 20;
  } catch {
    return 0;
  }
}

async function fill(dataDir: string): Promise<void> {
  const store = await openAgentDatabase(databaseFile(dataDir));
  await bindLocation(store, location, Date.now());
  const outbox = new Outbox(store);
  const started = performance.now();
  for (let done = 0; done < total; done += chunk) {
    const batch = Array.from({ length: Math.min(chunk, total - done) }, (_, i) => {
      const n = done + i;
      return sale(`T${n % 8}-${n}`, {
        terminalId: `T${n % 8}`,
        customerId: n % 3 === 0 ? `loyalty-${n % 50_000}` : undefined,
        lines: [
          { sku: `SKU-${n % 5000}`, qty: 1 + (n % 3), unitPrice: 1999, discount: 0, tax: 160 },
          { sku: `SKU-${(n * 7) % 5000}`, qty: 1, unitPrice: 499, discount: 50, tax: 36 },
        ],
      });
    });
    await outbox.recordMany(batch);
    if ((done + chunk) % 100_000 === 0) {
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(`  ${done + chunk} recorded, ${Math.round((done + chunk) / seconds)}/s\n`);
    }
  }
  await store.client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  store.close();
}

async function measure(label: string, dataDir: string): Promise<void> {
  const edgeUrl = `http://127.0.0.1:${await unusedPort()}`;
  const agent = await spawnAgent({ "edge-url": edgeUrl, location, "data-dir": dataDir, port: "0", host: "127.0.0.1" }, { nodeArgs, env: { SHELFSYNC_STORE_KEY: storeKey } });
  const startMs = Number(agent.logs.find((l) => l.event === "started")?.startupMs);
  try {
    const till = await pairTerminalViaCli(agent.url, dataDir, "Bench till");
    const pid = agent.child.pid!;
    const rss: number[] = [];
    const latencies: number[] = [];
    let backlog = 0;
    for (let i = 0; i < statusReads; i++) {
      const t = performance.now();
      const response = await fetch(`${agent.url}/pos/v1/status`, { headers: bearer(till.token) });
      backlog = ((await response.json()) as { backlog: number }).backlog;
      latencies.push(performance.now() - t);
      rss.push(memoryOf(pid).rssMiB);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const { peakMiB } = memoryOf(pid);
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `${label}\n  backlog reported ${backlog}; the process was serving ${startMs} ms after it began\n` +
        `  RSS while ${statusReads} status reads ran: ${Math.min(...rss).toFixed(1)}-${Math.max(...rss).toFixed(1)} MiB (peak ${peakMiB.toFixed(1)} MiB)\n` +
        `  status read: p50 ${latencies[Math.floor(statusReads / 2)]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms\n`,
    );
  } finally {
    agent.child.kill("SIGTERM");
    await agent.exited;
  }
}

process.stdout.write(`Store agent resident memory with ${total} transactions buffered\n${machineLine()}; agent Node flags: ${nodeArgs.join(" ") || "(none)"}\n\n`);
const empty = tempDataDir();
const full = tempDataDir();
try {
  await measure("Empty outbox:", empty.dir);

  process.stdout.write(`Recording ${total} transactions through Outbox.recordMany, ${chunk} per commit:\n`);
  const fillStarted = performance.now();
  await fill(full.dir);
  const file = databaseFile(full.dir);
  const mib = fileMiB(file) + fileMiB(`${file}-wal`);
  process.stdout.write(
    `  done in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s; agent.db ${mib.toFixed(0)} MiB = ${Math.round((mib * 2 ** 20) / total)} bytes per transaction (2 lines, with indexes)\n\n`,
  );

  await measure(`${total} transactions pending (edge unreachable, the replayer retrying):`, full.dir);
} finally {
  empty.remove();
  full.remove();
}
