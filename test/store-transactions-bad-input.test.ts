import { describe, expect, it } from "vitest";
import { maxStoreBatch } from "../shared/schemas/store-transactions.ts";
import { call, createKey, type ApiResponse } from "./api.ts";
import { expectProblem, skuState } from "./fixtures.ts";
import { catalogedSku, createStore, numbered, posTransaction, sendBatch, txId, type Store } from "./store-fixtures.ts";

/**
 * Sends each refused request, then checks that nothing was recorded: the SKU
 * is as before, and the store's first real batch is accepted at sequence 1.
 */
async function expectNothingChanged(store: Store, sku: string, refused: (() => Promise<ApiResponse>)[], status: number, code: string): Promise<ApiResponse[]> {
  const before = await skuState(store.tenant.adminKey, sku);
  const responses: ApiResponse[] = [];
  for (const send of refused) {
    const response = await send();
    expectProblem(response, status, code);
    responses.push(response);
  }
  expect(await skuState(store.tenant.adminKey, sku)).toEqual(before);
  return responses;
}

async function expectStoreUntouched(store: Store, sku: string, transactionId: string): Promise<void> {
  const first = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(transactionId, [{ sku, qty: 1 }])]));
  expect(first.body).toMatchObject({ results: [{ status: "accepted" }], highWaterMark: 1, gaps: [] });
}

describe("bad input at the store transactions endpoint gets a clear problem and changes nothing", () => {
  it("a missing, unknown or wrong-role key is refused", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const t = txId("T");
    const body = { transactions: numbered(1, [posTransaction(t, [{ sku, qty: 1 }])]) };
    const channelKey = await createKey(store.tenant, { role: "channel", channel: "web" });
    const readonlyKey = await createKey(store.tenant, { role: "readonly" });
    await expectNothingChanged(store, sku, [() => call("POST", "/v1/stores/store-a/transactions", { body }), () => call("POST", "/v1/stores/store-a/transactions", { key: `ssk_${store.tenant.id}_${"x".repeat(40)}`, body })], 401, "unauthorized");
    await expectNothingChanged(
      store,
      sku,
      [channelKey, readonlyKey].map((key) => () => call("POST", "/v1/stores/store-a/transactions", { key, body })),
      403,
      "forbidden",
    );
    await expectStoreUntouched(store, sku, t);
  });

  it("another store's key is 403 forbidden; an unknown location is 422 unknown_location", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const t = txId("T");
    const batch = numbered(1, [posTransaction(t, [{ sku, qty: 1 }])]);
    const [other] = await expectNothingChanged(store, sku, [() => sendBatch(store.otherStoreKey, "store-a", batch), () => sendBatch(store.storeKey, "store-nowhere", batch)], 403, "forbidden");
    expect(other!.body.detail).toContain("store-b");
    const [unknown] = await expectNothingChanged(store, sku, [() => sendBatch(store.tenant.adminKey, "store-nowhere", batch)], 422, "unknown_location");
    expect(unknown!.body.detail).toContain("store-nowhere");
    await expectStoreUntouched(store, sku, t);
  });

  it(`a batch of more than ${maxStoreBatch} transactions is 413 payload_too_large`, async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const t = txId("T");
    const batch = numbered(1, Array.from({ length: maxStoreBatch + 1 }, (_, n) => posTransaction(`${t}-${n}`, [{ sku, qty: 1 }])));
    const [tooMany] = await expectNothingChanged(store, sku, [() => sendBatch(store.storeKey, "store-a", batch)], 413, "payload_too_large");
    expect(tooMany!.body.limit).toBe(maxStoreBatch);
    const huge = JSON.stringify({ transactions: [{ sequence: 1, transaction: { ...posTransaction(t, [{ sku, qty: 1 }]), padding: "x".repeat(5 * 1024 * 1024) } }] });
    await expectNothingChanged(store, sku, [() => call("POST", "/v1/stores/store-a/transactions", { key: store.storeKey, rawBody: huge })], 413, "payload_too_large");
    await expectStoreUntouched(store, sku, t);
  });

  it(`a batch of exactly ${maxStoreBatch} transactions (over the usual 64 KiB body limit) is accepted`, async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 1000);
    const t = txId("T");
    const response = await sendBatch(store.storeKey, "store-a", numbered(1, Array.from({ length: maxStoreBatch }, (_, n) => posTransaction(`${t}-${n}`, [{ sku, qty: 1 }]))));
    expect(response.status).toBe(200);
    expect(response.body.highWaterMark).toBe(maxStoreBatch);
    expect(new Set(response.body.results.map((result) => result.status))).toEqual(new Set(["accepted"]));
  });

  it("malformed JSON is 400 malformed_json; a malformed envelope is 400 validation_failed", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const t = txId("T");
    const post = (options: { rawBody?: string; body?: unknown }) => () => call("POST", "/v1/stores/store-a/transactions", { key: store.storeKey, ...options });
    await expectNothingChanged(store, sku, [post({ rawBody: '{"transactions": [' }), post({ rawBody: "transactions=1" })], 400, "malformed_json");
    const [empty, noSequence, zeroSequence, extra] = await expectNothingChanged(
      store,
      sku,
      [
        post({ body: { transactions: [] } }),
        post({ body: { transactions: [{ transaction: posTransaction(t, [{ sku, qty: 1 }]) }] } }),
        post({ body: { transactions: [{ sequence: 0, transaction: posTransaction(t, [{ sku, qty: 1 }]) }] } }),
        post({ body: { transactions: numbered(1, [posTransaction(t, [{ sku, qty: 1 }])]), more: true } }),
      ],
      400,
      "validation_failed",
    );
    expect(empty!.body.detail).toContain("transactions");
    expect(noSequence!.body.detail).toContain("transactions.0.sequence");
    expect(zeroSequence!.body.detail).toContain("transactions.0.sequence");
    expect(extra!.body.detail).toContain("more");
    await expectStoreUntouched(store, sku, t);
  });
});
