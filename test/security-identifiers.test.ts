import { env, listDurableObjectIds } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExternalId, identifierPattern, Sku } from "../shared/schemas/common.ts";
import { maxStoreBatch } from "../shared/schemas/store-transactions.ts";
import { call, createKey, createStockedTenant, unique, type TestTenant } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, listExceptions, numbered, onHandAt, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

const hostile = ["TAB\tSKU", "NL\nSKU", "NUL\u0000", "ESC\u001b[31m", "DEL\u007f", "C1\u0085", "RLO\u202eevil", "ZW\u200bSP", " lead", "trail ", "a b", "slash/x", "at@x", "x".repeat(65)];

/** Whether the SKU object of that name exists: a made-up code must not bring one into being. */
async function skuObjectExists(tenant: TestTenant, sku: string): Promise<boolean> {
  const wanted = env.SKU_INVENTORY.idFromName(`${tenant.id}/${sku}`);
  return (await listDurableObjectIds(env.SKU_INVENTORY)).some((id) => id.equals(wanted));
}

describe("one identifier character set", () => {
  it("accepts letters, digits, '.', '_' and '-' from a letter or digit, up to 64; refuses anything else (property)", () => {
    const allowed = fc.constantFrom(..."ABCXYZabcxyz0189._-");
    const good = fc.tuple(fc.constantFrom(..."Aa09"), fc.array(allowed, { maxLength: 63 })).map(([first, rest]) => first + rest.join(""));
    fc.assert(fc.property(good, (id) => Sku.safeParse(id).success));
    const control = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
    fc.assert(fc.property(good, control, fc.nat(), (id, bad, at) => !Sku.safeParse(id.slice(0, at % (id.length + 1)) + bad + id.slice(at % (id.length + 1))).success));
    for (const id of hostile) expect([id, Sku.safeParse(id).success]).toEqual([id, false]);
    expect(identifierPattern.test("TSHIRT-RED-M")).toBe(true);
  });

  it("external ids take the same set plus ':' (POS transaction ids), and nothing invisible", () => {
    const id = ExternalId("T01-000123", 64);
    expect(id.safeParse("T01:000123").success).toBe(true);
    for (const bad of hostile) expect([bad, id.safeParse(bad).success]).toEqual([bad, false]);
  });
});

describe("a bad identifier over HTTP is 400 validation_failed naming the field, and nothing is stored", () => {
  quietAccessLog();

  it("a SKU, location or channel with control characters or spaces", async () => {
    const tenant = await createStockedTenant();
    for (const sku of ["TAB%09SKU", "NL%0ASKU", "a%20b", "RLO%E2%80%AEevil"]) {
      expectProblem(await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.adminKey, body: { onHand: 5 } }), 400, "validation_failed");
    }
    const adjusted = await call("POST", "/v1/inventory/GOOD-1/adjustments", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { location: "store-a\n", delta: 1, reason: "count", reference: "r" } });
    expectProblem(adjusted, 400, "validation_failed");
    expect(adjusted.body.errors).toEqual([expect.objectContaining({ path: "location" })]);
    const reference = await call("POST", "/v1/inventory/GOOD-1/adjustments", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { location: "store-a", delta: 1, reason: "count", reference: "ref\u0000x" } });
    expectProblem(reference, 400, "validation_failed");
    expect(reference.body.errors).toEqual([expect.objectContaining({ path: "reference" })]);
    expectProblem(await call("GET", "/v1/inventory/GOOD-1", { key: tenant.adminKey }), 404, "not_found");
  });

  it("an order whose externalId or line SKU hides a control character is refused and not recorded", async () => {
    const tenant = await createStockedTenant();
    const externalId = "SHOP-1\u001b[2J";
    const refused = await submitOrder(tenant.adminKey, orderBody([["sku-x", 1]], { externalId }));
    expectProblem(refused, 400, "validation_failed");
    expect(refused.body.errors).toEqual([expect.objectContaining({ path: "externalId" })]);
    const badSku = await submitOrder(tenant.adminKey, orderBody([["sku\tx", 1]]));
    expectProblem(badSku, 400, "validation_failed");
    expect(badSku.body.errors).toEqual([expect.objectContaining({ path: "lines.0.sku" })]);
    expect((await call("GET", "/v1/orders", { key: tenant.adminKey })).body.orders).toEqual([]);
  });

  it("a POS transaction with a control character in its line code, terminal or customer id is rejected alone and moves nothing", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const good = posTransaction(txId("T"), [{ sku, qty: 1 }]);
    const batch = numbered(1, [
      { ...posTransaction(txId("T"), [{ sku: `${sku}\n`, qty: 1 }]) },
      { ...posTransaction(txId("T"), [{ sku, qty: 1 }]), terminalId: "T01\u0000" },
      { ...posTransaction(txId("T"), [{ sku, qty: 1 }]), customerId: "LOY 42" },
      good,
    ]);
    const answer = await sendBatch(store.storeKey, "store-a", batch);
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((result) => [result.status, result.reason?.split(":")[0]])).toEqual([
      ["rejected", "lines.0.sku"],
      ["rejected", "terminalId"],
      ["rejected", "customerId"],
      ["accepted", undefined],
    ]);
    expect(await onHandAt(store.tenant, sku)).toBe(9);
    expect(await listExceptions(store.tenant)).toEqual([]);
  });
});

describe("a POS batch's unknown codes are bounded", () => {
  quietAccessLog();

  it(`${maxStoreBatch} made-up codes make no SKU object: one unknown_sku exception per transaction lists them, held, and the sales stand`, async () => {
    const store = await createStore();
    const known = await catalogedSku(store, 50);
    const codes = Array.from({ length: maxStoreBatch }, (_, i) => `ghost-${i}-${unique("c")}`.slice(0, 64));
    const perTransaction = 100;
    const transactions = Array.from({ length: codes.length / perTransaction }, (_, t) =>
      posTransaction(txId(`T${t}`), [{ sku: known, qty: 1 }, ...codes.slice(t * perTransaction, (t + 1) * perTransaction).map((code) => ({ sku: code, qty: 1 }))]),
    );

    const answer = await sendBatch(store.storeKey, "store-a", numbered(1, transactions));

    expect(answer.body.results.every((result) => result.status === "accepted")).toBe(true);
    expect(await onHandAt(store.tenant, known)).toBe(50 - transactions.length);
    const exceptions = await listExceptions(store.tenant, "?type=unknown_sku&limit=500");
    expect(exceptions).toHaveLength(transactions.length);
    expect(exceptions.flatMap((exception) => exception.payload.codes.map((code: { sku: string; held: boolean }) => [code.sku, code.held]))).toEqual(codes.map((code) => [code, true]));
    expect(await skuObjectExists(store.tenant, known)).toBe(true);
    const ids = await listDurableObjectIds(env.SKU_INVENTORY);
    const madeUp = codes.filter((code) => ids.some((id) => id.equals(env.SKU_INVENTORY.idFromName(`${store.tenant.id}/${code}`))));
    expect(madeUp).toEqual([]);
    // (Reading a SKU wakes its object, so this comes after the count.)
    expectProblem(await call("GET", `/v1/inventory/${codes[0]}`, { key: store.tenant.adminKey }), 404, "not_found");

    const resend = await sendBatch(store.storeKey, "store-a", numbered(1, transactions));
    expect(resend.body.results.every((result) => result.status === "duplicate")).toBe(true);
    expect(await listExceptions(store.tenant, "?type=unknown_sku&limit=500")).toHaveLength(transactions.length);
  });

  it("a held code's lines are applied, once, when a replay finds it in the catalog", async () => {
    const store = await createStore();
    const code = unique("later");
    const t = txId("T");
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(t, [{ sku: code, qty: 2 }])]));
    const [exception] = await listExceptions(store.tenant, "?type=unknown_sku");
    expect(exception!.payload).toEqual({ location: "store-a", transactionId: t, codes: [{ sku: code, lines: [1], held: true }] });

    expect((await call("PUT", `/v1/catalog/items/${code}`, { key: store.tenant.adminKey, body: { name: "Found", barcodes: [], price: 100, currency: "USD" } })).status).toBe(200);
    const replayed = await call("POST", `/v1/exceptions/${exception!.id}/replay`, { key: store.tenant.adminKey, idempotencyKey: unique("idem"), body: {} });
    expect(replayed.body).toMatchObject({ outcome: "resolved", exception: { state: "resolved" } });
    expect(await onHandAt(store.tenant, code)).toBe(-2);
    const again = await call("POST", `/v1/exceptions/${exception!.id}/replay`, { key: store.tenant.adminKey, idempotencyKey: unique("idem"), body: {} });
    expect(again.body.outcome).toBe("already_closed");
    expect(await onHandAt(store.tenant, code)).toBe(-2);
  });

  it("a code the inventory knows (stocked, not cataloged) still moves its stock", async () => {
    const tenant = await createStockedTenant();
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const sku = unique("stocked");
    expect((await call("PUT", `/v1/inventory/${sku}/locations/store-a`, { key: tenant.adminKey, body: { onHand: 5 } })).status).toBe(200);
    await expect.poll(async () => (await call("GET", `/v1/inventory/${sku}/ledger`, { key: tenant.adminKey })).status).toBe(200);
    // The read model learns of the SKU after the publish delay.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await sendBatch(storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku, qty: 2 }])]));
    expect(await onHandAt(tenant, sku)).toBe(3);
    const [exception] = (await call("GET", "/v1/exceptions?type=unknown_sku", { key: tenant.adminKey })).body.exceptions;
    expect(exception.payload.codes).toEqual([{ sku, lines: [1], held: false }]);
  });
});
