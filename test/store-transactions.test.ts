import { describe, expect, it } from "vitest";
import { ExceptionPage } from "../shared/schemas/exceptions.ts";
import { StoreTransactionBatchResult } from "../shared/schemas/store-transactions.ts";
import { call, reserve, setStock, unique } from "./api.ts";
import { newlyOpened } from "./exception-fixtures.ts";
import { skuState } from "./fixtures.ts";
import { catalogedSku, createStore, listExceptions, numbered, onHandAt, posEntries, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

describe("POS transactions from a store", () => {
  it("a batch is accepted and every line moves stock once; the ledger names the transaction and line", async () => {
    const store = await createStore();
    const [shirt, socks] = [await catalogedSku(store, 10), await catalogedSku(store, 5)];
    const [t1, t2, t3] = [txId("T1"), txId("T2"), txId("T3")];
    const batch = numbered(1, [
      posTransaction(t1, [{ sku: shirt, qty: 2 }, { sku: socks, qty: 1 }, { sku: shirt, qty: 3 }]),
      posTransaction(t2, [{ sku: shirt, qty: 1 }], "return"),
      posTransaction(t3, [{ sku: socks, qty: 1 }], "void"),
    ]);

    const response = await sendBatch(store.storeKey, "store-a", batch);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      location: "store-a",
      results: [
        { sequence: 1, transactionId: t1, status: "accepted" },
        { sequence: 2, transactionId: t2, status: "accepted" },
        { sequence: 3, transactionId: t3, status: "accepted" },
      ],
      highWaterMark: 3,
      gaps: [],
    });
    expect(await onHandAt(store.tenant, shirt)).toBe(10 - 2 - 3 + 1);
    expect(await onHandAt(store.tenant, socks)).toBe(5 - 1 + 1);
    expect(await posEntries(store.tenant, shirt)).toEqual([
      expect.objectContaining({ type: "pos_sale", location: "store-a", delta: -2, reference: `pos:${t1}:1`, idempotencyKey: `pos:store-a:${t1}:1`, reason: "terminal T01" }),
      expect.objectContaining({ type: "pos_sale", location: "store-a", delta: -3, reference: `pos:${t1}:3`, idempotencyKey: `pos:store-a:${t1}:3` }),
      expect.objectContaining({ type: "pos_return", location: "store-a", delta: 1, reference: `pos:${t2}:1` }),
    ]);
    expect(await posEntries(store.tenant, socks)).toEqual([
      expect.objectContaining({ type: "pos_sale", delta: -1, reference: `pos:${t1}:2` }),
      expect.objectContaining({ type: "pos_void", delta: 1, reference: `pos:${t3}:1` }),
    ]);
    expect(await listExceptions(store.tenant)).toEqual([]);
  });

  it("the same batch again is all duplicate and changes nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const batch = numbered(1, [posTransaction(txId("T1"), [{ sku, qty: 2 }]), posTransaction(txId("T2"), [{ sku, qty: 1 }])]);
    expect((await sendBatch(store.storeKey, "store-a", batch)).status).toBe(200);
    const before = await skuState(store.tenant.adminKey, sku);

    for (let attempt = 0; attempt < 3; attempt++) {
      const again = await sendBatch(store.storeKey, "store-a", batch);
      expect(again.status).toBe(200);
      expect(again.body.results.map((result) => result.status)).toEqual(["duplicate", "duplicate"]);
      expect(again.body.highWaterMark).toBe(2);
    }

    expect(await skuState(store.tenant.adminKey, sku)).toEqual(before);
    expect(await onHandAt(store.tenant, sku)).toBe(7);
  });

  it("the same batch sent several times at once (a client that timed out and resent) is applied once", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 100);
    const batch = numbered(1, Array.from({ length: 20 }, (_, n) => posTransaction(txId(`T${n}`), [{ sku, qty: 1 }])));

    const answers = await Promise.all(Array.from({ length: 5 }, () => sendBatch(store.storeKey, "store-a", batch)));

    for (const answer of answers) expect(StoreTransactionBatchResult.parse(answer.body)).toMatchObject({ highWaterMark: 20, gaps: [] });
    const accepted = answers.flatMap((answer) => answer.body.results).filter((result) => result.status === "accepted");
    expect(accepted).toHaveLength(20);
    expect(new Set(accepted.map((result) => result.transactionId)).size).toBe(20);
    expect(await onHandAt(store.tenant, sku)).toBe(80);
    expect(await posEntries(store.tenant, sku)).toHaveLength(20);
  });

  it("a batch mixing valid, invalid and duplicate transactions: each gets its own answer, the batch goes on", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const [done, bad, fresh] = [txId("done"), txId("bad"), txId("fresh")];
    expect((await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(done, [{ sku, qty: 1 }])]))).status).toBe(200);

    const response = await sendBatch(store.storeKey, "store-a", [
      { sequence: 1, transaction: posTransaction(done, [{ sku, qty: 1 }]) },
      { sequence: 2, transaction: { ...posTransaction(bad, [{ sku, qty: 1 }]), lines: [{ sku, qty: 0, unitPrice: 5 }] } },
      { sequence: 3, transaction: posTransaction(fresh, [{ sku, qty: 2 }]) },
      { sequence: 4, transaction: { terminalId: "T01", type: "sale" } },
      { sequence: 5, transaction: posTransaction(fresh, [{ sku, qty: 2 }]) },
    ]);

    expect(response.status).toBe(200);
    const [dup, rejected, accepted, anonymous, dupInBatch] = response.body.results;
    expect(dup).toEqual({ sequence: 1, transactionId: done, status: "duplicate" });
    expect(rejected).toEqual({ sequence: 2, transactionId: bad, status: "rejected", code: "validation_failed", reason: expect.stringContaining("lines.0.qty") });
    expect(accepted).toEqual({ sequence: 3, transactionId: fresh, status: "accepted" });
    expect(anonymous).toMatchObject({ sequence: 4, transactionId: null, status: "rejected", code: "validation_failed", reason: expect.stringContaining("transactionId") });
    expect(dupInBatch).toEqual({ sequence: 5, transactionId: fresh, status: "duplicate" });
    expect(response.body.highWaterMark).toBe(5);
    expect(await onHandAt(store.tenant, sku)).toBe(10 - 1 - 2);

    // A rejected id is rejected for good, with the same reason, even if the body is now valid.
    const resend = await sendBatch(store.storeKey, "store-a", [{ sequence: 2, transaction: posTransaction(bad, [{ sku, qty: 1 }]) }]);
    expect(resend.body.results).toEqual([rejected]);
    expect(await onHandAt(store.tenant, sku)).toBe(7);
  });

  it("the high-water mark covers every sequence received without a gap; gaps are listed until filled", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 100);
    const tx = (n: number) => ({ sequence: n, transaction: posTransaction(`${txId("T")}-${n}`, [{ sku, qty: 1 }]) });

    const first = await sendBatch(store.storeKey, "store-a", [tx(1), tx(2), tx(4)]);
    expect(first.body).toMatchObject({ highWaterMark: 2, gaps: [{ from: 3, to: 3 }] });

    const later = await sendBatch(store.storeKey, "store-a", [tx(7), tx(8)]);
    expect(later.body).toMatchObject({ highWaterMark: 2, gaps: [{ from: 3, to: 3 }, { from: 5, to: 6 }] });

    const filled = await sendBatch(store.storeKey, "store-a", [tx(3)]);
    expect(filled.body).toMatchObject({ highWaterMark: 4, gaps: [{ from: 5, to: 6 }] });

    const rest = await sendBatch(store.storeKey, "store-a", [tx(6), tx(5)]);
    expect(rest.body).toMatchObject({ highWaterMark: 8, gaps: [] });
    expect(await onHandAt(store.tenant, sku)).toBe(100 - 8);
  });

  it("a sale is never refused: onHand may go below zero", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 2);
    const response = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku, qty: 5 }])]));
    expect(response.body.results[0]!.status).toBe("accepted");
    expect(await onHandAt(store.tenant, sku)).toBe(-3);
  });

  it("a sale that leaves reservations short is applied, and an exception names the reservations now short", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 5);
    const older = await reserve(store.tenant, sku, { qty: 2, channel: "pos", location: "store-a" });
    const newer = await reserve(store.tenant, sku, { qty: 2, channel: "pos", location: "store-a" });
    await setStock(store.tenant, sku, "store-b", 1);
    const elsewhere = await reserve(store.tenant, sku, { qty: 1, channel: "web", location: "store-b" });
    expect([older.status, newer.status, elsewhere.status]).toEqual([201, 201, 201]);
    const t = txId("T");
    const batch = numbered(1, [posTransaction(t, [{ sku, qty: 2 }])]);

    const response = await sendBatch(store.storeKey, "store-a", batch);

    expect(response.body.results[0]!.status).toBe("accepted");
    expect(await onHandAt(store.tenant, sku)).toBe(3);
    const exceptions = ExceptionPage.parse({ exceptions: await listExceptions(store.tenant, "?type=reservations_short"), nextCursor: null }).exceptions;
    expect(exceptions).toEqual([
      newlyOpened({
        id: expect.stringMatching(/^exc_/),
        type: "reservations_short",
        subject: `sku:${sku}@store-a`,
        correlationId: t,
        payload: {
          sku,
          location: "store-a",
          transactionId: t,
          line: 1,
          onHand: 3,
          safetyStock: 0,
          reserved: 4,
          shortBy: 1,
          // The older reservation keeps its cover; the newer one is short by one unit.
          reservations: [{ id: newer.body.id, channel: "pos", qty: 2, shortBy: 1, reference: "order-1" }],
        },
      }),
    ]);

    // A replay opens no second exception.
    expect((await sendBatch(store.storeKey, "store-a", batch)).body.results[0]!.status).toBe("duplicate");
    expect(await listExceptions(store.tenant)).toHaveLength(1);
  });

  it("a sale within what is not reserved raises no exception", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 5);
    expect((await reserve(store.tenant, sku, { qty: 2, channel: "pos", location: "store-a" })).status).toBe(201);
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku, qty: 3 }])]));
    expect(await onHandAt(store.tenant, sku)).toBe(2);
    expect(await listExceptions(store.tenant)).toEqual([]);
  });

  it("an unknown SKU is recorded, held (no stock, no SKU) and raises an unknown_sku exception; a barcode moves its catalog SKU", async () => {
    const store = await createStore();
    const barcode = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const known = await catalogedSku(store, 10, [barcode]);
    const stranger = unique("nocat");
    const t = txId("T");

    const response = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(t, [{ sku: stranger, qty: 1 }, { sku: barcode, qty: 2 }, { sku: stranger, qty: 3 }])]));

    expect(response.body.results[0]!.status).toBe("accepted");
    // Nothing knew the code: its lines are held, not counted under a SKU made up on the spot.
    expect((await call("GET", `/v1/inventory/${stranger}`, { key: store.tenant.adminKey })).status).toBe(404);
    expect(await onHandAt(store.tenant, known)).toBe(8);
    expect(await posEntries(store.tenant, known)).toEqual([expect.objectContaining({ type: "pos_sale", delta: -2, reference: `pos:${t}:2` })]);
    expect(await listExceptions(store.tenant)).toEqual([
      expect.objectContaining({
        type: "unknown_sku",
        subject: `sku:${stranger}@store-a`,
        correlationId: t,
        state: "open",
        payload: { location: "store-a", transactionId: t, codes: [{ sku: stranger, lines: [1, 3], held: true }] },
      }),
    ]);
  });

  it("transaction ids are per store: the same id at another store is a different transaction", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    await setStock(store.tenant, sku, "store-b", 10);
    const t = txId("T");
    const a = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(t, [{ sku, qty: 1 }])]));
    const b = await sendBatch(store.otherStoreKey, "store-b", numbered(1, [posTransaction(t, [{ sku, qty: 2 }])]));
    expect([a.body.results[0]!.status, b.body.results[0]!.status]).toEqual(["accepted", "accepted"]);
    expect([await onHandAt(store.tenant, sku, "store-a"), await onHandAt(store.tenant, sku, "store-b")]).toEqual([9, 8]);
  });

  it("an admin key may send for any store; exceptions are listed by type and state, by cursor", async () => {
    const store = await createStore();
    const batch = numbered(1, [1, 2, 3].map((n) => posTransaction(txId(`T${n}`), [{ sku: unique("nocat"), qty: 1 }])));
    const response = await sendBatch(store.tenant.adminKey, "store-a", batch);
    expect(response.body.results.map((result) => result.status)).toEqual(["accepted", "accepted", "accepted"]);

    const first = await call("GET", "/v1/exceptions?type=unknown_sku&state=open&limit=2", { key: store.tenant.adminKey });
    expect(first.status).toBe(200);
    expect(ExceptionPage.parse(first.body).exceptions).toHaveLength(2);
    const second = await call("GET", `/v1/exceptions?type=unknown_sku&limit=2&cursor=${first.body.nextCursor}`, { key: store.tenant.adminKey });
    expect(second.body).toMatchObject({ exceptions: [expect.objectContaining({ type: "unknown_sku" })], nextCursor: null });
    const correlations = [...first.body.exceptions, ...second.body.exceptions].map((exception: { correlationId: string }) => exception.correlationId);
    expect(correlations).toEqual(response.body.results.map((result) => result.transactionId));
    expect((await call("GET", "/v1/exceptions?state=resolved", { key: store.tenant.adminKey })).body.exceptions).toEqual([]);
    expect(await listExceptions(store.tenant, "?type=reservations_short")).toEqual([]);
  });
});
