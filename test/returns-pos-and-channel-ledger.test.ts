import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../shared/schemas/inventory.ts";
import { call, setStock, unique, type TestTenant } from "./api.ts";
import { expectProblem, skuState } from "./fixtures.ts";
import { allocationsOf, figures, fulfill, orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, listExceptions, numbered, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

async function ledger(tenant: TestTenant, sku: string): Promise<LedgerEntry[]> {
  return (await skuState(tenant.adminKey, sku)).ledger as LedgerEntry[];
}

/** onHand per location as the ledger's deltas add it up. */
function ledgerSums(entries: LedgerEntry[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const entry of entries) sums[entry.location] = (sums[entry.location] ?? 0) + entry.delta;
  return sums;
}

/**
 * A web order shipped from wh-1 (first in the `web` pool): `ordered` units of
 * the SKU, all fulfilled; then a return of `returned` of them, opened.
 */
async function shippedAndReturned(tenant: TestTenant, sku: string, ordered: number, returned: number) {
  const order = await submitOrder(tenant.adminKey, orderBody([[sku, ordered]]));
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  expect(allocationsOf(order.body)).toEqual([`${sku}@wh-1×${ordered}`]);
  const shipped = await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: ordered }] });
  expect(shipped.body.status).toBe("fulfilled");
  const opened = await call("POST", "/v1/returns", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { orderId: order.body.id, lines: [{ sku, qty: returned, reason: "too small" }] } });
  expect(opened.status, JSON.stringify(opened.body)).toBe(201);
  return { orderId: order.body.id as string, returnId: opened.body.id as string };
}

describe("a POS store return and a channel return of the same SKU", () => {
  it("both reach the SKU's ledger at their locations, name their source, add up to onHand, and replay without effect", async () => {
    const store = await createStore();
    const { tenant, storeKey } = store;
    const sku = await catalogedSku(store, 10);
    await setStock(tenant, sku, "wh-1", 20);

    // The channel: 3 shipped from wh-1, 2 of them back at wh-1 and restocked.
    const { orderId, returnId } = await shippedAndReturned(tenant, sku, 3, 2);
    const receiveKey = unique("idem");
    const receiveBody = { location: "wh-1", lines: [{ sku, qty: 2, disposition: "restock" }] };
    const received = await call("POST", `/v1/returns/${returnId}/receive`, { key: tenant.adminKey, idempotencyKey: receiveKey, body: receiveBody });
    expect(received.status, JSON.stringify(received.body)).toBe(201);
    // 3 × 10.00 on the order line: 2 of 3 units refund 20.00.
    expect(received.body).toMatchObject({ orderId, status: "received", refund: { currency: "USD", amount: 2000 } });

    // The store: a sale of 2 at store-a, then a return of 1, each in its own batch from the store's agent.
    const [saleId, returnTx] = [txId("S"), txId("R")];
    const history = numbered(1, [posTransaction(saleId, [{ sku, qty: 2 }]), posTransaction(returnTx, [{ sku, qty: 1 }], "return")]);
    expect((await sendBatch(storeKey, "store-a", history.slice(0, 1))).body.results).toEqual([{ sequence: 1, transactionId: saleId, status: "accepted" }]);
    const posReturn = await sendBatch(storeKey, "store-a", history.slice(1));
    expect(posReturn.status).toBe(200);
    expect(posReturn.body).toMatchObject({ results: [{ sequence: 2, transactionId: returnTx, status: "accepted" }], highWaterMark: 2, gaps: [] });

    const entries = await ledger(tenant, sku);
    expect(entries.filter((entry) => entry.type === "pos_return")).toEqual([
      expect.objectContaining({ location: "store-a", delta: 1, reservedDelta: 0, reference: `pos:${returnTx}:1`, idempotencyKey: `pos:store-a:${returnTx}:1`, reason: "terminal T01" }),
    ]);
    expect(entries.filter((entry) => entry.reason === "return_restock")).toEqual([
      expect.objectContaining({ type: "adjustment", location: "wh-1", delta: 2, reservedDelta: 0, reference: `return:${returnId}:receipt:1:line:1` }),
    ]);
    // Every movement after the snapshots names where it came from: the order's reservation, the POS line, the return receipt.
    const movements = entries.filter((entry) => entry.type !== "snapshot");
    expect(movements.map((entry) => `${entry.type}@${entry.location}${entry.delta >= 0 ? "+" : ""}${entry.delta}`)).toEqual([
      "reservation@wh-1+0",
      "commit@wh-1-3",
      "adjustment@wh-1+2",
      "pos_sale@store-a-2",
      "pos_return@store-a+1",
    ]);
    expect(movements.map((entry) => entry.reference)).toEqual([`order:${orderId}`, `order:${orderId}`, `return:${returnId}:receipt:1:line:1`, `pos:${saleId}:1`, `pos:${returnTx}:1`]);

    // store-a: 10 − 2 sold + 1 returned; wh-1: 20 − 3 shipped + 2 restocked. The ledger adds up to the same.
    const expected = { "store-a": 9, "wh-1": 19 };
    const stock = await figures(tenant, sku);
    expect({ "store-a": stock["store-a"]!.onHand, "wh-1": stock["wh-1"]!.onHand }).toEqual(expected);
    expect(ledgerSums(entries)).toEqual(expected);
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toMatchObject({ onHand: 28, reserved: 0 });
    expect(await listExceptions(tenant)).toEqual([]);

    // Replays: the agent resending its whole history, and once more the return alone; the channel's receive retried.
    const before = await skuState(tenant.adminKey, sku);
    const resent = await sendBatch(storeKey, "store-a", history);
    expect(resent.body.results.map((result) => result.status)).toEqual(["duplicate", "duplicate"]);
    expect((await sendBatch(storeKey, "store-a", history.slice(1))).body.results).toEqual([{ sequence: 2, transactionId: returnTx, status: "duplicate" }]);
    const retried = await call("POST", `/v1/returns/${returnId}/receive`, { key: tenant.adminKey, idempotencyKey: receiveKey, body: receiveBody });
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(received.body);
    // The same units again under a new key are not a retry: refused, nothing changes.
    expectProblem(await call("POST", `/v1/returns/${returnId}/receive`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: receiveBody }), 409, "return_exceeds_open");

    expect(await skuState(tenant.adminKey, sku)).toEqual(before);
    expect(ledgerSums(await ledger(tenant, sku))).toEqual(expected);
    const read = await call("GET", `/v1/returns/${returnId}`, { key: tenant.adminKey });
    expect(read.body.received).toHaveLength(1);
    expect(read.body.events.filter((event: { type: string }) => event.type === "restocked")).toHaveLength(1);
  });
});
