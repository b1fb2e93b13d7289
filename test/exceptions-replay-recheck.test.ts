import { describe, expect, it } from "vitest";
import { call, reserve, setStock, unique } from "./api.ts";
import { exceptionsOf, path, replay } from "./exception-fixtures.ts";
import { catalogedSku, createStore, numbered, onHandAt, posTransaction, sendBatch, txId, type Store } from "./store-fixtures.ts";

/** A store sale that leaves the newer of two pos reservations at store-a short by one unit. */
async function shortage(store: Store) {
  const sku = await catalogedSku(store, 5);
  await reserve(store.tenant, sku, { qty: 2, channel: "pos", location: "store-a" });
  const newer = await reserve(store.tenant, sku, { qty: 2, channel: "pos", location: "store-a" });
  await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku, qty: 2 }])]));
  const [exception] = await exceptionsOf(store.tenant, "?type=reservations_short");
  expect(exception).toMatchObject({ state: "open", payload: { sku, shortBy: 1, reservations: [{ id: newer.body.id }] } });
  return { sku, exception: exception!, reservationId: newer.body.id as string };
}

describe("replaying a reservations_short exception re-checks the store's stock", () => {
  it("stays open, saying by how much, while the stock is short; resolves once a snapshot covers the reservations", async () => {
    const store = await createStore();
    const { sku, exception, reservationId } = await shortage(store);

    const still = await replay(store.tenant.adminKey, exception.id);

    expect(still.body).toMatchObject({
      outcome: "failed",
      exception: { state: "open", lastFailure: { reason: `still short by 1 of ${sku} (onHand 3, safetyStock 0, reserved 4 at store-a); release or move ${reservationId}, or resolve` } },
    });

    await setStock(store.tenant, sku, "store-a", 6);
    const covered = await replay(store.tenant.adminKey, exception.id);

    expect(covered.body).toMatchObject({ outcome: "resolved", detail: "stock covers the reservations again (onHand 6, safetyStock 0, reserved 4 at store-a)", exception: { state: "resolved" } });
    expect(path(covered.body.exception)).toEqual(["∅→open", "open→retrying", "retrying→open", "open→retrying", "retrying→resolved"]);
  });

  it("resolves once the short reservation is released", async () => {
    const store = await createStore();
    const { sku, exception, reservationId } = await shortage(store);
    const released = await call("POST", `/v1/inventory/${sku}/reservations/${reservationId}/release`, { key: store.tenant.adminKey, idempotencyKey: unique("idem") });
    expect(released.status).toBe(200);

    const answer = await replay(store.tenant.adminKey, exception.id);

    expect(answer.body).toMatchObject({ outcome: "resolved", detail: expect.stringContaining("no longer active"), exception: { state: "resolved" } });
  });
});

describe("replaying an unknown_sku exception re-checks the catalog", () => {
  it("stays open while the code is unknown, and resolves once the catalog has it", async () => {
    const store = await createStore();
    const code = unique("nocat");
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku: code, qty: 1 }])]));
    const [exception] = await exceptionsOf(store.tenant, "?type=unknown_sku");

    const unknown = await replay(store.tenant.adminKey, exception!.id);
    expect(unknown.body).toMatchObject({ outcome: "failed", exception: { state: "open", lastFailure: { reason: `the catalog still does not know ${code}` } } });

    const put = await call("PUT", `/v1/catalog/items/${code}`, { key: store.tenant.adminKey, body: { name: "Found it", barcodes: [], price: 999, currency: "USD" } });
    expect(put.status).toBe(200);
    const known = await replay(store.tenant.adminKey, exception!.id);
    expect(known.body).toMatchObject({ outcome: "resolved", detail: `the catalog now has ${code}; held lines of ${code} applied`, exception: { state: "resolved" } });
    expect(await onHandAt(store.tenant, code)).toBe(-1);
  });

  it("a held code that turned out to be another SKU's barcode moves that SKU's stock on replay, once", async () => {
    const store = await createStore();
    const barcode = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku: barcode, qty: 1 }])]));
    const [exception] = await exceptionsOf(store.tenant, "?type=unknown_sku");
    const owner = await catalogedSku(store, 3, [barcode]);

    const answer = await replay(store.tenant.adminKey, exception!.id);

    expect(answer.body).toMatchObject({ outcome: "resolved", detail: expect.stringContaining(`held lines of ${barcode} applied`), exception: { state: "resolved" } });
    expect(await onHandAt(store.tenant, owner)).toBe(2);
  });
});

