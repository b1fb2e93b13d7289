import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createStockedTenant, setStock, unique } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { idem, returnsOf, shippedOrder } from "./return-fixtures.ts";

async function setup() {
  const tenant = await createStockedTenant();
  const [skuA, skuB] = [unique("sku"), unique("sku")];
  await setStock(tenant, skuA, "store-a", 5);
  const order = shippedOrder(skuA, skuB);
  const returns = returnsOf(tenant.id);
  const { outcome } = await returns.open(order, { orderId: order.id, lines: [{ sku: skuA, qty: 3, reason: "r" }] }, null, idem());
  if (!outcome.ok) throw new Error(outcome.detail);
  return { tenant, skuA, returns, returnId: outcome.return.id };
}

async function restocks(adminKey: string, sku: string) {
  const state = await skuState(adminKey, sku);
  return { onHand: state.inventory.body.totals.onHand as number, entries: state.ledger.filter((entry: any) => entry.reason === "return_restock").length };
}

function setEffects(returns: ReturnType<typeof returnsOf>, sql: string) {
  return runInDurableObject(returns, (_instance, state) => state.storage.sql.exec(sql).toArray());
}

describe("a retried receipt restocks once", () => {
  it("the same Idempotency-Key replays the first answer and moves no more stock", async () => {
    const { tenant, skuA, returns, returnId } = await setup();
    const key = idem();
    const request = { location: "store-a", lines: [{ sku: skuA, qty: 2, disposition: "restock" as const }] };
    const first = await returns.receive(returnId, request, key);
    const retry = await returns.receive(returnId, request, key);
    expect(first.replayed).toBe(false);
    expect(retry).toEqual({ outcome: first.outcome, replayed: true });
    expect(await restocks(tenant.adminKey, skuA)).toEqual({ onHand: 7, entries: 1 });
  });

  it("an effect applied but not marked (a crash after the SKU answered) is replayed by the SKU, not applied again", async () => {
    const { tenant, skuA, returns, returnId } = await setup();
    await returns.receive(returnId, { location: "store-a", lines: [{ sku: skuA, qty: 2, disposition: "restock" }] }, idem());
    await setEffects(returns, "UPDATE stock_effects SET state = 'pending'");
    await runDurableObjectAlarm(returns);
    expect(await restocks(tenant.adminKey, skuA)).toEqual({ onHand: 7, entries: 1 });
    expect(await setEffects(returns, "SELECT state FROM stock_effects")).toEqual([{ state: "applied" }]);
  });

  it("an effect recorded but never sent (a crash before the SKU call) is applied once by the alarm", async () => {
    const { tenant, skuA, returns, returnId } = await setup();
    const reference = `return:${returnId}:receipt:9:line:1`;
    await setEffects(
      returns,
      `INSERT INTO stock_effects (id, return_id, kind, sku, location, qty, reference, state, created_at) VALUES ('${reference}', '${returnId}', 'restock', '${skuA}', 'store-a', 1, '${reference}', 'pending', ${Date.now()})`,
    );
    await runDurableObjectAlarm(returns);
    await runDurableObjectAlarm(returns);
    expect(await restocks(tenant.adminKey, skuA)).toEqual({ onHand: 6, entries: 1 });
    const read = await returns.getReturn(returnId);
    expect(read.ok && read.return.events.filter((event) => event.type === "restocked")).toHaveLength(1);
  });
});
