import { createClient } from "@libsql/client";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import { databaseFile } from "../store-agent/main.ts";
import { unusedPort } from "../store-agent/testing/fixtures.ts";
import {
  EdgeHost,
  expectAppliedExactlyOnce,
  expectPointsEarnedExactlyOnce,
  posTransaction,
  recordAtTerminal,
  seededRandom,
  seedStore,
  sleep,
  startAgentProcess,
  tempDir,
  testSeed,
  waitForDrain,
  type AgentHandle,
  type Receipt,
  type SeededStore,
  type TempDir,
} from "./harness.ts";

const skus = ["TEE-RED-M", "JEANS-32", "CAP-BLK", "SOCKS-3PK"];
const terminalIds = ["T01", "T02", "T03", "T04"];
/** Loyalty ids the terminals' customers show; about half the sales carry one. */
const loyaltyIds = ["LOY-CRASH-1", "LOY-CRASH-2", "LOY-CRASH-3"];

let edgeDir: TempDir;
let agentDir: TempDir;
let edge: EdgeHost;
let store: SeededStore;
let agent: AgentHandle | null = null;
/** The agent comes back on the port it had, as on a store PC: the terminals know one address. */
let agentPort: number;
let agentUrl: string;
/** The terminals' credentials: the agent's fixed URL, and the token paired at its first start. */
const till = { url: "", token: "" };

beforeAll(async () => {
  edgeDir = tempDir("crash-edge");
  agentDir = tempDir("crash-agent");
  edge = new EdgeHost(edgeDir.dir);
  await edge.start();
  agentPort = await unusedPort();
  agentUrl = `http://127.0.0.1:${agentPort}`;
  till.url = agentUrl;
  store = await seedStore(edge.url, Object.fromEntries(skus.map((sku) => [sku, 100_000])));
});

afterAll(async () => {
  try {
    await agent?.stop();
    await edge?.stop();
  } finally {
    edgeDir?.remove();
    agentDir?.remove();
  }
});

const startAgent = () => startAgentProcess({ edgeUrl: edge.url, storeKey: store.storeKey, dataDir: agentDir.dir, port: agentPort });

/** How the outbox rows were settled: "duplicate" means the edge had applied a batch whose answer the agent never settled (killed). */
async function settledByEdgeStatus(): Promise<Record<string, number>> {
  const reader = createClient({ url: `file:${databaseFile(agentDir.dir)}` });
  try {
    const result = await reader.execute("SELECT coalesce(edge_status, 'none') AS s, count(*) AS n FROM outbox GROUP BY 1");
    return Object.fromEntries(result.rows.map((row) => [String(row.s), Number(row.n)]));
  } finally {
    reader.close();
  }
}

it("applies every acknowledged sale at the edge exactly once, its customer's points too, although the agent is SIGKILLed again and again while selling and replaying", async () => {
  const seed = testSeed("crash");
  const random = seededRandom(seed);
  const acknowledged = new Map<string, { transaction: PosTransactionRequest; receipt: Receipt; replayed: boolean }>();
  const unexpected: string[] = [];
  let selling = true;
  let abandoned = false;

  /**
   * A terminal as a real POS behaves: it sells one transaction after another
   * and, when an answer does not come (the agent is down or died mid-request),
   * sends the same transaction again, unchanged, until it gets a 2xx.
   */
  const terminal = async (terminalId: string, index: number) => {
    // Pairing happens at the agent's first start; the token stays valid across every restart.
    while (!till.token && !abandoned) await sleep(20);
    const own = seededRandom(seed + index + 1);
    let number = 0;
    let current: PosTransactionRequest | null = null;
    let retried = false;
    while (!abandoned) {
      if (!current) {
        if (!selling) return;
        number += 1;
        const lines = Array.from({ length: 1 + Math.floor(own() * 3) }, () => ({ sku: skus[Math.floor(own() * skus.length)]!, qty: 1 + Math.floor(own() * 4) }));
        current = posTransaction(`${terminalId}-${String(number).padStart(6, "0")}`, terminalId, lines, own() < 0.1 ? "return" : "sale");
        if (current.type === "sale" && own() < 0.5) current.customerId = loyaltyIds[Math.floor(own() * loyaltyIds.length)]!;
        retried = false;
      }
      try {
        const answer = await recordAtTerminal(till, current);
        if (answer.status === 201 || answer.status === 200) {
          acknowledged.set(current.transactionId, { transaction: current, receipt: answer.body, replayed: answer.status === 200 });
          if (answer.status === 200 && !retried) unexpected.push(`${current.transactionId}: 200 on the first send`);
          current = null;
          await sleep(own() * 15);
        } else {
          unexpected.push(`${current.transactionId}: ${answer.status} ${JSON.stringify(answer.body)}`);
          retried = true;
          await sleep(50);
        }
      } catch {
        // No answer: the agent is down or was killed while answering. Same transaction again.
        retried = true;
        await sleep(20 + own() * 40);
      }
    }
  };

  const cycles = 15 + Math.floor(random() * 8);
  const terminals = terminalIds.map((id, index) => terminal(id, index));
  try {
    for (let cycle = 1; cycle <= cycles; cycle++) {
      agent = await startAgent();
      till.token = agent.token;
      // Some kills land while the agent replays what the last life left pending, some in the middle of selling.
      await sleep(random() < 0.3 ? random() * 150 : 150 + random() * 1_200);
      await agent.kill();
      agent = null;
      await sleep(random() * 200);
    }
    agent = await startAgent();
    selling = false;
    await Promise.all(terminals);
  } finally {
    abandoned = true;
  }
  const status = await waitForDrain(agent, 90_000);

  const replayed = [...acknowledged.values()].filter((a) => a.replayed).length;
  process.stdout.write(
    `[crash] ${cycles} SIGKILLs, ${acknowledged.size} transactions acknowledged (${replayed} on a resend), outbox rows by edge answer ${JSON.stringify(await settledByEdgeStatus())}\n`,
  );
  expect(unexpected).toEqual([]);
  expect(acknowledged.size).toBeGreaterThan(cycles * 5);
  // Every acknowledged transaction is in the agent's file under its first receipt, numbered without gaps.
  expect(status).toMatchObject({ backlog: 0, deadLetters: 0, lastSequence: acknowledged.size, edgeHighWaterMark: acknowledged.size, edgeGaps: [] });
  const sequences = [...acknowledged.values()].map((a) => a.receipt.sequence).sort((a, b) => a - b);
  expect(sequences).toEqual(Array.from({ length: acknowledged.size }, (_, i) => i + 1));
  await expectAppliedExactlyOnce(edge.url, store, [...acknowledged.values()].map((a) => a.transaction));
  await expectPointsEarnedExactlyOnce(edge.url, store, [...acknowledged.values()].map((a) => a.transaction));
});
