import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, reserve, setStock, unique } from "./api.ts";
import { importAndSettle } from "./erp-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { catalogedSku, createStore, numbered, onHandAt, posEntries, posTransaction, sendBatch, txId, type Store } from "./store-fixtures.ts";

quietAccessLog();

const minute = 60_000;

/** A POS sale at store-a that happened at `occurredAt`. */
function saleAt(sku: string, qty: number, occurredAt: number) {
  return { ...posTransaction(txId("T"), [{ sku, qty }]), occurredAt: new Date(occurredAt).toISOString() };
}

let sequence = 0;
async function sell(store: Store, sku: string, qty: number, occurredAt: number): Promise<void> {
  sequence += 1;
  const response = await sendBatch(store.storeKey, "store-a", numbered(sequence, [saleAt(sku, qty, occurredAt)]));
  expect(response.body.results?.[0]?.status, JSON.stringify(response.body)).toBe("accepted");
}

function countCsv(sku: string, onHand: number): string {
  return `sku,location,onHand\n${sku},store-a,${onHand}\n`;
}

describe("a stock count as of a time", () => {
  it("sets onHand to the count plus what moved after its as-of time; a sale that happened before it and arrives late moves nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 50);
    const asOf = Date.now() - 10 * minute;
    await sell(store, sku, 2, asOf - minute); // before the count: the count already lacks these units
    await sell(store, sku, 3, asOf + minute); // after the count: stays on top of it
    const report = await importAndSettle(store.tenant, "stock", countCsv(sku, 40), { asOf: new Date(asOf).toISOString() });
    expect(report.rows).toMatchObject({ accepted: 1, rejected: 0 });
    expect(await onHandAt(store.tenant, sku)).toBe(37);

    await sell(store, sku, 4, asOf - 5 * minute); // an offline store's sale, replayed after the count
    expect(await onHandAt(store.tenant, sku)).toBe(37);
    await sell(store, sku, 1, Date.now());
    expect(await onHandAt(store.tenant, sku)).toBe(36);
    const late = (await posEntries(store.tenant, sku)).find((entry) => entry.reason?.includes("already in the count"));
    expect(late).toMatchObject({ delta: 0 });
    expect((await posEntries(store.tenant, sku)).length).toBe(4);
  });

  it("a count not newer than the one applied is ignored and reported", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 50);
    const asOf = Date.now() - 10 * minute;
    await importAndSettle(store.tenant, "stock", countCsv(sku, 40), { asOf: new Date(asOf).toISOString() });
    const older = await importAndSettle(store.tenant, "stock", countCsv(sku, 99), { asOf: new Date(asOf - minute).toISOString() });
    expect(older.rows).toMatchObject({ accepted: 0, ignored: 1 });
    expect(older.lines[0]).toMatchObject({ row: 2, outcome: "ignored", reason: expect.stringContaining(new Date(asOf).toISOString()) });
    expect(await onHandAt(store.tenant, sku)).toBe(40);
  });

  it("keeps every sale and commit that races it: the result is the same in any order", async () => {
    const store = await createStore();
    // Each kind of movement: a sale that happened before the count (its units are not in the count), one after, a web order's commit.
    const movement = fc.record({ kind: fc.constantFrom("sale-before", "sale-after", "commit"), qty: fc.integer({ min: 1, max: 3 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(movement, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 6 }), async (movements, importAt) => {
        const sku = await catalogedSku(store, 100);
        const asOf = Date.now() - minute;
        const reservations: string[] = [];
        for (const { kind, qty } of movements) {
          if (kind !== "commit") continue;
          const held = await reserve(store.tenant, sku, { qty, location: "store-a", reference: unique("order") });
          expect(held.status).toBe(201);
          reservations.push(held.body.id);
        }
        const commits = [...reservations];
        const racing = movements.map(({ kind, qty }) => async () => {
          if (kind === "sale-before") await sell(store, sku, qty, asOf - 5 * minute);
          else if (kind === "sale-after") await sell(store, sku, qty, Date.now());
          else {
            const id = commits.shift()!;
            const committed = await call("POST", `/v1/inventory/${sku}/reservations/${id}/commit`, { key: store.tenant.adminKey, idempotencyKey: unique("k") });
            expect(committed.status).toBe(200);
          }
        });
        const count = async () => {
          const report = await importAndSettle(store.tenant, "stock", countCsv(sku, 60), { asOf: new Date(asOf).toISOString() });
          expect(report.rows.accepted).toBe(1);
        };
        racing.splice(Math.min(importAt, racing.length), 0, count);
        await Promise.all(racing.map((run) => run()));

        const afterCount = movements.filter(({ kind }) => kind !== "sale-before").reduce((total, { qty }) => total + qty, 0);
        expect(await onHandAt(store.tenant, sku)).toBe(60 - afterCount);
        expect((await posEntries(store.tenant, sku)).length).toBe(movements.filter(({ kind }) => kind !== "commit").length);
      }),
      { numRuns: 12 },
    );
  });

  it("the PUT snapshot keeps its meaning: the figure now, with no as-of time", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 50);
    await sell(store, sku, 2, Date.now() - 60 * minute);
    await setStock(store.tenant, sku, "store-a", 10);
    await sell(store, sku, 1, Date.now() - 60 * minute);
    expect(await onHandAt(store.tenant, sku)).toBe(9);
  });
});
