import { expect, it } from "vitest";
import type { PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import {
  edgeOnHand,
  edgePosEntries,
  expectAppliedExactlyOnce,
  location,
  posTransaction,
  recordAtTerminal,
  waitForDrain,
  useEdgeAndAgent,
} from "./harness.ts";

const rig = useEdgeAndAgent("sync", { stock: { "TEE-RED-M": 40, "JEANS-32": 12, "CAP-BLK": 25 } });

it("puts every sale and return from the terminals into the edge's inventory and ledger, once, and the agent's backlog is 0", async () => {
  const transactions: PosTransactionRequest[] = [
    posTransaction("T01-000001", "T01", [{ sku: "TEE-RED-M", qty: 2 }]),
    posTransaction("T02-000001", "T02", [{ sku: "JEANS-32", qty: 1 }, { sku: "CAP-BLK", qty: 3 }]),
    posTransaction("T01-000002", "T01", [{ sku: "TEE-RED-M", qty: 1 }, { sku: "JEANS-32", qty: 2 }, { sku: "TEE-RED-M", qty: 1 }]),
    posTransaction("T02-000002", "T02", [{ sku: "CAP-BLK", qty: 1 }]),
    posTransaction("T01-000003", "T01", [{ sku: "TEE-RED-M", qty: 1 }], "return"),
  ];
  const receipts = [];
  for (const transaction of transactions) {
    const answer = await recordAtTerminal(rig.agent, transaction);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toMatchObject({ transactionId: transaction.transactionId, receiptNumber: `${location}-${String(answer.body.sequence).padStart(8, "0")}` });
    receipts.push(answer.body);
  }
  expect(receipts.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5]);

  const drained = await waitForDrain(rig.agent, 30_000);
  expect(drained).toMatchObject({ location, online: true, backlog: 0, oldestPendingAt: null, lastSequence: 5, edgeHighWaterMark: 5, edgeGaps: [], deadLetters: 0, lastPushError: null });
  expect(drained.lastSuccessfulPushAt).not.toBeNull();

  // 40 - 2 - 1 - 1 + 1 (return); 12 - 1 - 2; 25 - 3 - 1.
  expect(await edgeOnHand(rig.edge.url, rig.store.adminKey, "TEE-RED-M")).toBe(37);
  expect(await edgeOnHand(rig.edge.url, rig.store.adminKey, "JEANS-32")).toBe(9);
  expect(await edgeOnHand(rig.edge.url, rig.store.adminKey, "CAP-BLK")).toBe(21);
  const tees = await edgePosEntries(rig.edge.url, rig.store.adminKey, "TEE-RED-M");
  expect(tees.map((e) => [e.type, e.location, e.delta, e.reference])).toEqual([
    ["pos_sale", location, -2, "pos:T01-000001:1"],
    ["pos_sale", location, -1, "pos:T01-000002:1"],
    ["pos_sale", location, -1, "pos:T01-000002:3"],
    ["pos_return", location, 1, "pos:T01-000003:1"],
  ]);
  await expectAppliedExactlyOnce(rig.edge.url, rig.store, transactions);

  // A terminal that lost an answer sends the sale again: the first receipt, and nothing moves twice.
  const retry = await recordAtTerminal(rig.agent, transactions[1]);
  expect([retry.status, retry.body]).toEqual([200, receipts[1]]);
  const after = await waitForDrain(rig.agent, 10_000);
  expect(after.lastSequence).toBe(5);
  await expectAppliedExactlyOnce(rig.edge.url, rig.store, transactions);
});
