import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { posMovementKey, posReference, type StoreMovement } from "../durable/store-movements.ts";
import { call, type TestTenant } from "./api.ts";
import { catalogedSku, createStore, listExceptions, numbered, onHandAt, posEntries, posTransaction, sendBatch, txId } from "./store-fixtures.ts";
import { skuObject, storeIngest } from "../durable/objects.ts";

function skuStub(tenant: TestTenant, sku: string) {
  return skuObject(env, tenant.id, sku);
}

function ingestStub(tenant: TestTenant, location: string) {
  return storeIngest(env, tenant.id, location);
}

function saleMovement(transactionId: string, line: number, qty: number): StoreMovement {
  return { key: posMovementKey("store-a", transactionId, line), type: "pos_sale", location: "store-a", qty, reference: posReference(transactionId, line), reason: "terminal T01", occurredAt: Date.now() };
}

describe("a POS transaction counts exactly once across crashes", () => {
  it("lines a crash left applied at the SKU objects (before the ingest recorded the transaction) are not applied again", async () => {
    const store = await createStore();
    const [shirt, socks] = [await catalogedSku(store, 10), await catalogedSku(store, 10)];
    const t = txId("T");
    // The first attempt reached the shirt's object with line 1 and then died.
    const early = await skuStub(store.tenant, shirt).applyStoreMovements([saleMovement(t, 1, 2)]);
    expect(early).toMatchObject({ ok: true, outcomes: [{ applied: true }] });

    const response = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(t, [{ sku: shirt, qty: 2 }, { sku: socks, qty: 3 }])]));

    expect(response.body.results).toEqual([{ sequence: 1, transactionId: t, status: "accepted" }]);
    expect(await onHandAt(store.tenant, shirt)).toBe(8);
    expect(await onHandAt(store.tenant, socks)).toBe(7);
    expect((await posEntries(store.tenant, shirt)).map((entry) => entry.reference)).toEqual([`pos:${t}:1`]);
    expect((await posEntries(store.tenant, socks)).map((entry) => entry.reference)).toEqual([`pos:${t}:2`]);
  });

  it("a transaction a crash left pending is finished by the ingest's alarm, once; a resend is then a duplicate", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const [first, crashed] = [txId("T1"), txId("T2")];
    expect((await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(first, [{ sku, qty: 1 }])]))).status).toBe(200);
    // The ingest recorded T2 as pending with its plan and died before any SKU object heard of it.
    await runInDurableObject(ingestStub(store.tenant, "store-a"), async (_instance, state) => {
      const movements = JSON.stringify([{ line: 1, sku, code: sku, known: true, type: "pos_sale", qty: 4 }]);
      const body = JSON.stringify(posTransaction(crashed, [{ sku, qty: 4 }]));
      state.storage.sql.exec("INSERT INTO transactions (transaction_id, sequence, status, body, movements, received_at) VALUES (?, 2, 'pending', ?, ?, ?)", crashed, body, movements, Date.now());
    });
    expect(await onHandAt(store.tenant, sku)).toBe(9);

    await runDurableObjectAlarm(ingestStub(store.tenant, "store-a"));

    expect(await onHandAt(store.tenant, sku)).toBe(5);
    const resend = await sendBatch(store.storeKey, "store-a", numbered(2, [posTransaction(crashed, [{ sku, qty: 4 }])]));
    expect(resend.body.results).toEqual([{ sequence: 2, transactionId: crashed, status: "duplicate" }]);
    expect(await onHandAt(store.tenant, sku)).toBe(5);
  });

  it("a pending transaction resent by the agent is applied once and answered accepted, with its exception once", async () => {
    const store = await createStore();
    const t = txId("T");
    const stranger = "NOT-IN-CATALOG";
    // Crash after the effects (here: its exception) and before the ingest marked the transaction accepted.
    const batch = numbered(1, [posTransaction(t, [{ sku: stranger, qty: 1 }])]);
    expect((await sendBatch(store.storeKey, "store-a", batch)).status).toBe(200);
    await runInDurableObject(ingestStub(store.tenant, "store-a"), async (_instance, state) => {
      state.storage.sql.exec("UPDATE transactions SET status = 'pending', settled_at = NULL WHERE transaction_id = ?", t);
    });

    const again = await sendBatch(store.storeKey, "store-a", batch);

    expect(again.body.results).toEqual([{ sequence: 1, transactionId: t, status: "accepted" }]);
    // Nothing knows the code: its line is held (no stock, no SKU object), named once by its exception.
    expect((await call("GET", `/v1/inventory/${stranger}`, { key: store.tenant.adminKey })).status).toBe(404);
    expect((await listExceptions(store.tenant)).map((exception) => exception.payload.codes)).toEqual([[{ sku: stranger, lines: [1], held: true }]]);
    expect((await sendBatch(store.storeKey, "store-a", batch)).body.results[0]!.status).toBe("duplicate");
  });

  it("a POS line's key is remembered in the ledger for good, not in the 24-hour idempotency records, through an index", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const stub = skuStub(store.tenant, sku);
    const movement = saleMovement(txId("T"), 1, 1);
    expect(await stub.applyStoreMovements([movement, movement])).toMatchObject({ outcomes: [{ applied: true }, { applied: false }] });
    expect(await stub.applyStoreMovements([movement])).toMatchObject({ outcomes: [{ applied: false }] });
    expect(await onHandAt(store.tenant, sku)).toBe(9);

    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      expect(sql.exec("SELECT count(*) AS n FROM idempotency_keys WHERE key = ?", movement.key).one().n).toBe(0);
      const plan = sql
        .exec<{ detail: string }>(`EXPLAIN QUERY PLAN select "seq" from "ledger" where ("ledger"."idempotency_key" = ? and "type" in ('pos_sale', 'pos_return', 'pos_void'))`, movement.key)
        .toArray()
        .map((row) => row.detail)
        .join("\n");
      expect(plan).toContain("ledger_pos_key");
      // The index also makes a second entry under the same key impossible.
      expect(() => sql.exec("INSERT INTO ledger (type, location, on_hand_delta, reserved_delta, safety_stock_delta, idempotency_key, at) VALUES ('pos_sale', 'store-a', -1, 0, 0, ?, 0)", movement.key)).toThrow(/UNIQUE/);
    });
  });
});
