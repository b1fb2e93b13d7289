import { afterAll, beforeAll, expect, it } from "vitest";
import type { PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import { FlakyProxy, type FlakyAction } from "./flaky-proxy.ts";
import {
  EdgeHost,
  expectAppliedExactlyOnce,
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
  type SeededStore,
  type TempDir,
} from "./harness.ts";

const skus = ["TEE-RED-M", "JEANS-32", "CAP-BLK"];
const terminalIds = ["T01", "T02", "T03"];

let edgeDir: TempDir;
let agentDir: TempDir;
let edge: EdgeHost;
let store: SeededStore;
let proxy: FlakyProxy;
let agent: AgentHandle;
const seed = testSeed("flaky-link");

beforeAll(async () => {
  edgeDir = tempDir("flaky-edge");
  agentDir = tempDir("flaky-agent");
  edge = new EdgeHost(edgeDir.dir);
  await edge.start();
  store = await seedStore(edge.url, Object.fromEntries(skus.map((sku) => [sku, 10_000])));
  const schedule = seededRandom(seed);
  const weights: [FlakyAction, number][] = [["pass", 0.2], ["drop", 0.2], ["delay", 0.2], ["cut", 0.3], ["truncate", 0.1]];
  proxy = await FlakyProxy.start({
    target: edge.url,
    schedule: () => {
      let roll = schedule();
      const [action] = weights.find(([, weight]) => (roll -= weight) < 0) ?? weights[0]!;
      return { action, delayMs: 100 + Math.floor(schedule() * 2_400) };
    },
  });
  agent = await startAgentProcess({ edgeUrl: proxy.url, storeKey: store.storeKey, dataDir: agentDir.dir });
});

afterAll(async () => {
  try {
    await agent?.stop();
    await proxy?.close();
    await edge?.stop();
  } finally {
    edgeDir?.remove();
    agentDir?.remove();
  }
});

const isPush = (r: { method: string; path: string }) => r.method === "POST" && r.path.endsWith("/transactions");

it("applies every sale exactly once across a link that drops, delays and cuts answers after the edge applied the batch", async () => {
  const sales: PosTransactionRequest[] = [];
  const refused: string[] = [];
  // Every kind of fault must have hit a push at least this often (cut: after the edge answered 200).
  const enough = () => {
    const counts = proxy.count((r) => isPush(r) && (r.action !== "cut" || r.upstreamStatus === 200));
    return counts.cut >= 5 && counts.drop >= 3 && counts.delay >= 3 && counts.truncate >= 1;
  };
  const deadline = Date.now() + 45_000;
  let selling = true;
  const terminal = async (terminalId: string, index: number) => {
    const own = seededRandom(seed + index + 1);
    for (let n = 1; selling; n++) {
      const lines = Array.from({ length: 1 + Math.floor(own() * 2) }, () => ({ sku: skus[Math.floor(own() * skus.length)]!, qty: 1 + Math.floor(own() * 3) }));
      const sale = posTransaction(`${terminalId}-${String(n).padStart(6, "0")}`, terminalId, lines);
      const answer = await recordAtTerminal(agent, sale);
      if (answer.status === 201) sales.push(sale);
      else refused.push(`${sale.transactionId}: ${answer.status}`);
      await sleep(10 + own() * 40);
    }
  };
  const terminals = terminalIds.map((id, index) => terminal(id, index));
  try {
    while ((sales.length < 300 || !enough()) && Date.now() < deadline) await sleep(100);
  } finally {
    selling = false;
  }
  await Promise.all(terminals);

  const faults = proxy.count(isPush);
  const cutAfterApply = proxy.requests.filter((r) => isPush(r) && r.action === "cut" && r.upstreamStatus === 200).length;
  process.stdout.write(`[flaky-link] ${sales.length} sales; pushes through the flaky link by action ${JSON.stringify(faults)}, ${cutAfterApply} cut after the edge answered 200\n`);
  expect(enough(), `not every fault kind hit a push within 45 s (seed ${seed})`).toBe(true);

  proxy.clean = true;
  const status = await waitForDrain(agent, 60_000);
  expect(refused).toEqual([]);
  expect(status).toMatchObject({ online: true, backlog: 0, deadLetters: 0, lastSequence: sales.length, edgeHighWaterMark: sales.length, edgeGaps: [] });
  await expectAppliedExactlyOnce(edge.url, store, sales);
});
