import { expect, it } from "vitest";
import type { PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import {
  agentStatus,
  edgePosEntries,
  expectAppliedExactlyOnce,
  expectPointsEarnedExactlyOnce,
  location,
  posTransaction,
  recordAtTerminal,
  seededRandom,
  sleep,
  testSeed,
  waitForDrain,
  type Receipt,
  useEdgeAndAgent,
} from "./harness.ts";

const skus = ["TEE-RED-M", "TEE-RED-L", "JEANS-32", "SNEAKER-42", "CAP-BLK", "SOCKS-3PK"];
const terminals = ["T01", "T02", "T03", "T04"];
const salesCount = 1000;

const rig = useEdgeAndAgent("outage", { stock: Object.fromEntries(skus.map((sku) => [sku, 2_000])), edgeDownFirst: true });

it("keeps selling through an edge outage (1,000 sales, each 201), then replays the backlog so the edge counts every sale once and its customer's points once", async () => {
  const random = seededRandom(testSeed("outage"));
  const sales: PosTransactionRequest[] = [];
  const perTerminal = new Map(terminals.map((terminal) => [terminal, [] as PosTransactionRequest[]]));
  for (let n = 0; n < salesCount; n++) {
    const terminal = terminals[n % terminals.length]!;
    const lineCount = 1 + Math.floor(random() * 3);
    const lines = Array.from({ length: lineCount }, () => ({ sku: skus[Math.floor(random() * skus.length)]!, qty: 1 + Math.floor(random() * 3) }));
    // A third of the sales name one of five customers: they earn their points offline, credited once on replay.
    const sale = { ...posTransaction(`${terminal}-${String(perTerminal.get(terminal)!.length + 1).padStart(6, "0")}`, terminal, lines), ...(n % 3 === 0 ? { customerId: `LOY-OUT-${n % 5}` } : {}) };
    perTerminal.get(terminal)!.push(sale);
    sales.push(sale);
  }

  // The terminals sell at once, each one sale after another, while the edge is down.
  const receipts: Receipt[] = [];
  const refused: string[] = [];
  await Promise.all(
    [...perTerminal.values()].map(async (queue) => {
      for (const sale of queue) {
        const answer = await recordAtTerminal(rig.agent, sale);
        if (answer.status === 201) receipts.push(answer.body);
        else refused.push(`${sale.transactionId}: ${answer.status} ${JSON.stringify(answer.body)}`);
      }
    }),
  );
  expect(refused).toEqual([]);
  expect(receipts).toHaveLength(salesCount);
  expect(new Set(receipts.map((r) => r.receiptNumber)).size).toBe(salesCount);
  expect(receipts.map((r) => r.sequence).sort((a, b) => a - b)).toEqual(Array.from({ length: salesCount }, (_, i) => i + 1));

  await sleep(1_100);
  const offline = await agentStatus(rig.agent);
  expect(offline).toMatchObject({ location, running: true, online: false, backlog: salesCount, oldestPendingSequence: 1, lastSequence: salesCount, lastSuccessfulPushAt: null });
  expect(offline.oldestPendingAt).not.toBeNull();
  expect(offline.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(1);
  expect(offline.lastPushError).not.toBeNull();

  // The link comes back: the same edge, on the port it had and its Durable Object state.
  await rig.edge.start();

  const drained = await waitForDrain(rig.agent, 90_000);
  expect(drained).toMatchObject({ online: true, backlog: 0, lastSequence: salesCount, edgeHighWaterMark: salesCount, edgeGaps: [], deadLetters: 0 });
  await expectAppliedExactlyOnce(rig.edge.url, rig.store, sales);
  await expectPointsEarnedExactlyOnce(rig.edge.url, rig.store, sales);
  const total = (await Promise.all(skus.map((sku) => edgePosEntries(rig.edge.url, rig.store.adminKey, sku)))).flat().length;
  expect(total).toBe(sales.reduce((sum, sale) => sum + sale.lines.length, 0));
});
