import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { customerLoyalty, storeIngest } from "../durable/objects.ts";
import { ledgerHandOffDelayMs, loyaltyMaxWaitMs } from "../durable/store-ingest.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createKey, createStockedTenant, createTenant, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { catalogedSku, createStore, handedToLedger, listExceptions, numbered, sendBatch, txId, type Store } from "./store-fixtures.ts";

quietAccessLog();

const day = 24 * 60 * 60 * 1000;

async function customer(tenant: TestTenant, id = unique("cust")): Promise<string> {
  expect((await call("PUT", `/v1/customers/${id}`, { key: tenant.adminKey, body: { email: `${id}@example.com` } })).status).toBe(200);
  return id;
}

async function account(key: string, customerId: string) {
  const response = await call("GET", `/v1/customers/${customerId}/loyalty?limit=500`, { key });
  expect(response.status).toBe(200);
  return response.body;
}

function post(key: string, customerId: string, what: "holds" | "redemptions" | "adjustments", body: unknown, idempotencyKey = unique("idem")) {
  return call("POST", `/v1/customers/${customerId}/loyalty/${what}`, { key, body, idempotencyKey });
}

/** A sale of `units` × 19.99 at store-a for `customerId`, paid in full, with an optional redemption. */
function sale(transactionId: string, sku: string, units: number, customerId: string, redeem?: { points: number; holdId?: string }) {
  return {
    transactionId,
    terminalId: "T01",
    type: "sale",
    currency: "USD",
    customerId,
    lines: [{ sku, qty: units, unitPrice: 1999 }],
    tenders: [{ type: "card", amount: units * 1999 }],
    ...(redeem ? { loyalty: { redeem } } : {}),
    occurredAt: "2026-12-01T10:00:00.000Z",
  };
}

async function sendAndHandOn(store: Store, sequence: number, transactions: unknown[]) {
  const batch = await sendBatch(store.storeKey, "store-a", numbered(sequence, transactions));
  expect(batch.status).toBe(200);
  await handedToLedger(store.tenant.id, "store-a", "loyalty_outbox");
  return batch.body.results.map((result) => result.status);
}

describe("loyalty through the API", () => {
  it("holds, redeems and adjusts points; a refusal or bad input changes nothing", async () => {
    const tenant = await createStockedTenant();
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const readonlyKey = await createKey(tenant, { role: "readonly" });
    const id = await customer(tenant);

    const adjustKey = unique("idem");
    expect((await post(tenant.adminKey, id, "adjustments", { points: 200, reason: "welcome bonus" }, adjustKey)).body).toEqual({ points: 200 });
    const again = await post(tenant.adminKey, id, "adjustments", { points: 200, reason: "welcome bonus" }, adjustKey);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await account(tenant.adminKey, id)).toMatchObject({ balance: 200, held: 0, available: 200 });

    const hold = await post(storeKey, id, "holds", { points: 150, reference: "till-lookup" });
    expect(hold.status).toBe(201);
    expect(hold.body).toMatchObject({ points: 150, status: "active" });
    const held = await account(tenant.adminKey, id);
    expect(held).toMatchObject({ balance: 200, held: 150, available: 50 });

    const tooMuch = await post(storeKey, id, "redemptions", { points: 60, reference: "order-1" });
    expectProblem(tooMuch, 409, "insufficient_points");
    expect(tooMuch.body.available).toBe(50);
    expectProblem(await post(storeKey, id, "redemptions", { points: 151, reference: "sale-1", holdId: hold.body.id }), 409, "points_exceed_hold");
    expectProblem(await post(storeKey, id, "holds", { points: -5, reference: "x" }), 400, "validation_failed");
    expectProblem(await post(tenant.adminKey, id, "adjustments", { points: 0, reason: "nothing" }), 400, "validation_failed");
    expectProblem(await post(storeKey, id, "adjustments", { points: 10, reason: "self-service" }), 403, "forbidden");
    expectProblem(await post(readonlyKey, id, "holds", { points: 5, reference: "x" }), 403, "forbidden");
    expectProblem(await post(storeKey, "nobody", "holds", { points: 5, reference: "x" }), 404, "not_found");
    expectProblem(await call("POST", `/v1/customers/${id}/loyalty/redemptions`, { key: storeKey, body: { points: 5, reference: "x" } }), 400, "idempotency_key_required");
    expect(await account(tenant.adminKey, id)).toEqual(held);

    const redeemed = await post(storeKey, id, "redemptions", { points: 100, reference: "sale-1", holdId: hold.body.id });
    expect(redeemed.status).toBe(201);
    // The hold's other 50 points are free again.
    expect(await account(readonlyKey, id)).toMatchObject({ balance: 100, held: 0, available: 100, holds: [] });
    const release = await call("POST", `/v1/customers/${id}/loyalty/holds/${hold.body.id}/release`, { key: storeKey, idempotencyKey: unique("idem") });
    expectProblem(release, 409, "hold_not_active");

    const after = await account(tenant.adminKey, id);
    const sum = (field: "balanceDelta" | "heldDelta") => after.ledger.entries.reduce((total: number, entry: Record<string, number>) => total + entry[field]!, 0);
    expect({ balance: sum("balanceDelta"), held: sum("heldDelta") }).toEqual({ balance: 100, held: 0 });
  });

  it("spends each point once when 64 redemptions arrive at the same moment", async () => {
    const tenant = await createTenant();
    const id = await customer(tenant);
    await post(tenant.adminKey, id, "adjustments", { points: 100, reason: "seed" });
    const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => post(tenant.adminKey, id, "redemptions", { points: 7, reference: `order-${i}` })));
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(14);
    for (const refused of answers.filter((answer) => answer.status !== 201)) expectProblem(refused, 409, "insufficient_points");
    expect(await account(tenant.adminKey, id)).toMatchObject({ balance: 2, available: 2 });
  });

  it("keeps the programme's settings, and refuses bad ones", async () => {
    const tenant = await createTenant();
    expect((await call("GET", "/v1/loyalty/settings", { key: tenant.adminKey })).body).toMatchObject({ pointsPerUnit: 1, lifetimeDays: 365, allowNegativeBalance: false });
    const put = await call("PUT", "/v1/loyalty/settings", { key: tenant.adminKey, body: { pointsPerUnit: 2, lifetimeDays: 30, excludedSkus: ["GIFT-CARD"] } });
    expect(put.status).toBe(200);
    expectProblem(await call("PUT", "/v1/loyalty/settings", { key: tenant.adminKey, body: { pointsPerUnit: -1 } }), 400, "validation_failed");
    expect((await call("GET", "/v1/loyalty/settings", { key: tenant.adminKey })).body).toEqual(put.body);
  });
});

describe("loyalty at the till", () => {
  it("a sale earns once however often it is sent, a return takes its share back, and unspent points expire by their lot", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 20);
    const loyaltyId = unique("LOY");
    const first = txId("sale");
    // 5 × 19.99 = 99.95: 99 points at 1 point a dollar.
    expect(await sendAndHandOn(store, 1, [sale(first, sku, 5, loyaltyId)])).toEqual(["accepted"]);
    // The till's loyalty id became a customer of its own.
    expect(await account(store.tenant.adminKey, loyaltyId)).toMatchObject({ balance: 99, lots: [{ earned: 99 }] });

    expect(await sendAndHandOn(store, 1, [sale(first, sku, 5, loyaltyId)])).toEqual(["duplicate"]);
    expect((await account(store.tenant.adminKey, loyaltyId)).balance).toBe(99);

    const giveBack = { ...sale(txId("return"), sku, 2, loyaltyId), type: "return", returnsTransactionId: first, tenders: [{ type: "card", amount: -3998 }] };
    expect(await sendAndHandOn(store, 2, [giveBack])).toEqual(["accepted"]);
    // 2 of 5 units: 99 × 2/5 = 39.6, 39 points back.
    expect((await account(store.tenant.adminKey, loyaltyId)).balance).toBe(60);

    const clock = new ManualClock(Date.now() + 366 * day);
    await useClock(customerLoyalty(env, store.tenant.id, loyaltyId), clock);
    const expired = await account(store.tenant.adminKey, loyaltyId);
    expect(expired).toMatchObject({ balance: 0, lots: [] });
    expect(expired.ledger.entries.map((entry: { type: string }) => entry.type)).toEqual(["earn", "reverse", "expire"]);
  });

  it("a sale spends the points its hold locked, and one that spent more than the customer had raises loyalty_short", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 20);
    const id = await customer(store.tenant);
    await post(store.tenant.adminKey, id, "adjustments", { points: 50, reason: "seed" });
    const hold = await post(store.storeKey, id, "holds", { points: 30, reference: "till-lookup" });
    expect(hold.status).toBe(201);

    expect(await sendAndHandOn(store, 1, [sale(txId("sale"), sku, 1, id, { points: 30, holdId: hold.body.id })])).toEqual(["accepted"]);
    // 50 − 30 spent + 19 earned.
    expect(await account(store.tenant.adminKey, id)).toMatchObject({ balance: 39, held: 0, holds: [] });

    // A sale spending more than its hold locked spends from what there is, and the store's later sales still move points.
    const small = await post(store.storeKey, id, "holds", { points: 5, reference: "till-lookup" });
    expect(await sendAndHandOn(store, 2, [sale(txId("sale"), sku, 1, id, { points: 9, holdId: small.body.id })])).toEqual(["accepted"]);
    expect(await account(store.tenant.adminKey, id)).toMatchObject({ balance: 39 - 9 + 19, held: 0 });

    const greedy = txId("sale");
    expect(await sendAndHandOn(store, 3, [sale(greedy, sku, 1, id, { points: 100 })])).toEqual(["accepted"]);
    // What there was (49) is spent, then the sale earns 19: never below zero.
    expect((await account(store.tenant.adminKey, id)).balance).toBe(19);
    const [short] = await listExceptions(store.tenant, "?type=loyalty_short");
    expect(short).toMatchObject({ state: "open", payload: { customerId: id, transactionId: greedy, effect: "redeem", points: 100, short: 51 } });
  });

  it("while a store's batches keep coming, its points move once the oldest sale has waited, and a second after the last batch", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 20);
    const id = await customer(store.tenant);
    const ingest = storeIngest(env, store.tenant.id, "store-a");
    const clock = new ManualClock(Date.now());
    await useClock(ingest, clock);
    const waiting = () => runInDurableObject(ingest, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM loyalty_outbox").one().n);
    const batch = async (sequence: number) => expect((await sendBatch(store.storeKey, "store-a", numbered(sequence, [sale(txId("sale"), sku, 1, id)]))).status).toBe(200);

    await batch(1);
    await runDurableObjectAlarm(ingest);
    expect(await waiting()).toBe(1);
    clock.advance(loyaltyMaxWaitMs - 1_000);
    await batch(2);
    await runDurableObjectAlarm(ingest);
    expect(await waiting()).toBe(2);
    expect((await account(store.tenant.adminKey, id)).balance).toBe(0);

    // The first sale has waited its time: every waiting sale's points move, though batches still come.
    clock.advance(1_000);
    await batch(3);
    await runDurableObjectAlarm(ingest);
    expect(await waiting()).toBe(0);
    expect((await account(store.tenant.adminKey, id)).balance).toBe(3 * 19);

    // The batches stop: a second after the last, its points move.
    await batch(4);
    await runDurableObjectAlarm(ingest);
    expect(await waiting()).toBe(1);
    clock.advance(ledgerHandOffDelayMs);
    await runDurableObjectAlarm(ingest);
    expect(await waiting()).toBe(0);
    expect((await account(store.tenant.adminKey, id)).balance).toBe(4 * 19);
  });
});
