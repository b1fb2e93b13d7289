import { describe, expect, it } from "vitest";
import { createStockedTenant, setStock, unique } from "./api.ts";
import { skuState } from "./fixtures.ts";
import { idem, returnsOf, shippedOrder } from "./return-fixtures.ts";

async function openedReturn() {
  const tenant = await createStockedTenant();
  const [skuA, skuB] = [unique("sku"), unique("sku")];
  await setStock(tenant, skuA, "store-a", 5);
  await setStock(tenant, skuB, "store-a", 5);
  const order = shippedOrder(skuA, skuB);
  const returns = returnsOf(tenant.id);
  const { outcome } = await returns.open(order, { orderId: order.id, lines: [{ sku: skuA, qty: 3, reason: "wrong size" }, { sku: skuB, qty: 2, reason: "broken" }] }, null, idem());
  if (!outcome.ok) throw new Error(outcome.detail);
  return { tenant, skuA, skuB, order, returns, returnId: outcome.return.id };
}

const stockOf = (state: Awaited<ReturnType<typeof skuState>>) => state.inventory.body.locations.find((l: { location: string }) => l.location === "store-a");

describe("receiving a return applies each line's disposition", () => {
  it("restock puts the units back on hand with a return_restock adjustment; damaged and vendor_return move no stock", async () => {
    const { tenant, skuA, skuB, returns, returnId } = await openedReturn();
    const { outcome } = await returns.receive(
      returnId,
      {
        location: "store-a",
        lines: [
          { sku: skuA, qty: 2, disposition: "restock" },
          { sku: skuA, qty: 1, disposition: "damaged" },
          { sku: skuB, qty: 2, disposition: "vendor_return" },
        ],
      },
      idem(),
    );
    expect(outcome).toMatchObject({
      ok: true,
      return: {
        status: "received",
        lines: [
          { sku: skuA, qty: 3, received: 3 },
          { sku: skuB, qty: 2, received: 2 },
        ],
        received: [
          { receipt: 1, sku: skuA, qty: 2, location: "store-a", disposition: "restock" },
          { receipt: 1, sku: skuA, qty: 1, location: "store-a", disposition: "damaged" },
          { receipt: 1, sku: skuB, qty: 2, location: "store-a", disposition: "vendor_return" },
        ],
      },
    });

    const a = await skuState(tenant.adminKey, skuA);
    expect(stockOf(a)).toMatchObject({ onHand: 7, reserved: 0 });
    const returnEntries = a.ledger.filter((entry: any) => entry.reference?.startsWith(`return:${returnId}`));
    expect(returnEntries).toEqual([
      expect.objectContaining({ type: "adjustment", location: "store-a", delta: 2, reason: "return_restock", reference: `return:${returnId}:receipt:1:line:1`, idempotencyKey: `return:${returnId}:receipt:1:line:1` }),
      expect.objectContaining({ type: "write_off", location: "store-a", delta: 0, reservedDelta: 0, reason: "return_damaged: 1 units", reference: `return:${returnId}:receipt:1:line:2` }),
    ]);

    const b = await skuState(tenant.adminKey, skuB);
    expect(stockOf(b)).toMatchObject({ onHand: 5 });
    expect(b.ledger).toHaveLength(1);

    const read = await returns.getReturn(returnId);
    expect(read.ok && read.return.events.map((event) => event.type)).toEqual(["opened", "received", "restocked", "written_off"]);
  });

  it("receives in parts: partially_received until every line is in", async () => {
    const { tenant, skuA, skuB, returns, returnId } = await openedReturn();
    const first = await returns.receive(returnId, { location: "store-b", lines: [{ sku: skuA, qty: 1, disposition: "restock" }] }, idem());
    expect(first.outcome).toMatchObject({ ok: true, return: { status: "partially_received" } });
    const second = await returns.receive(returnId, { location: "store-a", lines: [{ sku: skuA, qty: 2, disposition: "restock" }, { sku: skuB, qty: 2, disposition: "restock" }] }, idem());
    expect(second.outcome).toMatchObject({ ok: true, return: { status: "received" } });
    const a = await skuState(tenant.adminKey, skuA);
    expect(a.inventory.body.locations).toEqual([
      expect.objectContaining({ location: "store-a", onHand: 7 }),
      expect.objectContaining({ location: "store-b", onHand: 1 }),
    ]);
  });

  it("refuses more units than the return still expects, or a SKU not on it; nothing changes", async () => {
    const { tenant, skuA, skuB, returns, returnId } = await openedReturn();
    const before = await returns.getReturn(returnId);
    const tooMany = await returns.receive(returnId, { location: "store-a", lines: [{ sku: skuA, qty: 2, disposition: "restock" }, { sku: skuA, qty: 2, disposition: "damaged" }] }, idem());
    expect(tooMany.outcome).toEqual({ ok: false, code: "return_exceeds_open", detail: expect.any(String), extra: { sku: skuA, received: 4, expected: 3 } });
    const stranger = await returns.receive(returnId, { location: "store-a", lines: [{ sku: skuB, qty: 1, disposition: "restock" }, { sku: "OTHER", qty: 1, disposition: "restock" }] }, idem());
    expect(stranger.outcome).toMatchObject({ ok: false, code: "return_exceeds_open", extra: { sku: "OTHER", expected: 0 } });
    expect(await returns.getReturn(returnId)).toEqual(before);
    expect(stockOf(await skuState(tenant.adminKey, skuA))).toMatchObject({ onHand: 5 });
    expect(stockOf(await skuState(tenant.adminKey, skuB))).toMatchObject({ onHand: 5 });
    const unknown = await returns.receive("ret_missing", { location: "store-a", lines: [{ sku: skuA, qty: 1, disposition: "restock" }] }, idem());
    expect(unknown.outcome).toMatchObject({ ok: false, code: "not_found" });
  });
});
