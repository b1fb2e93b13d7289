import { describe, expect, it } from "vitest";
import { call, createTenant } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { catalogedSku, createStore, handedToLedger, numbered, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

const traceId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

describe("traces", () => {
  it("records a traced POS transaction's hops from the till to its stock movement, in order", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const id = traceId();
    const traced = { sequence: 1, transaction: posTransaction(txId("sale"), [{ sku, qty: 2 }]), traceparent: `00-${id}-00f067aa0ba902b7-01`, recordedAt: "2026-11-23T19:30:01.000Z" };
    const untraced = { sequence: 2, transaction: posTransaction(txId("sale"), [{ sku, qty: 1 }]) };
    const batch = await sendBatch(store.storeKey, "store-a", [traced, untraced]);
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted"]);

    const trace = await call("GET", `/v1/traces/${id}`, { key: store.tenant.adminKey });
    expect(trace.status).toBe(200);
    expect(trace.body.traceId).toBe(id);
    expect(trace.body.hops.map((hop: { hop: string }) => hop.hop)).toEqual(["pos.occurred", "agent.recorded", "edge.received", "inventory.applied"]);
    expect(trace.body.hops[0]).toMatchObject({ at: "2026-11-23T19:30:00.000Z", where: "store-a/T01", spanId: "00f067aa0ba902b7" });
    expect(trace.body.hops[1]).toMatchObject({ at: "2026-11-23T19:30:01.000Z", where: "store-a" });
    expect(trace.body.hops[3]).toMatchObject({ where: "store-a", detail: `${sku}×2` });
    // The SKU's ledger entry of each sale names its trace, or none.
    const ledger = await call("GET", `/v1/inventory/${sku}/ledger`, { key: store.tenant.adminKey });
    expect(ledger.body.entries.filter((entry: { type: string }) => entry.type === "pos_sale").map((entry: { delta: number; traceId: string | null }) => [entry.delta, entry.traceId])).toEqual([
      [-2, id],
      [-1, null],
    ]);

    // A resend is a duplicate: it moves nothing and adds no hops.
    await sendBatch(store.storeKey, "store-a", [traced]);
    expect((await call("GET", `/v1/traces/${id}`, { key: store.tenant.adminKey })).body.hops).toHaveLength(4);
  });

  it("adds the books and the points to a traced sale's trace when the store hands it on, beside untraced sales", async () => {
    const store = await createStore();
    expect((await call("PUT", "/v1/finance/accounts", { key: store.tenant.adminKey, body: financeSettings() })).status).toBe(200);
    const sku = await catalogedSku(store, 10);
    const id = traceId();
    const sale = { ...posTransaction(txId("sale"), [{ sku, qty: 2 }]), customerId: "LOY-TRACE-1" };
    const batch = await sendBatch(store.storeKey, "store-a", [{ sequence: 1, transaction: sale, traceparent: `00-${id}-00f067aa0ba902b7-01` }, { sequence: 2, transaction: { ...posTransaction(txId("sale"), [{ sku, qty: 1 }]), customerId: "LOY-TRACE-1" } }]);
    expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(["accepted", "accepted"]);
    await handedToLedger(store.tenant.id, "store-a");
    await handedToLedger(store.tenant.id, "store-a", "loyalty_outbox");

    const hops = (await call("GET", `/v1/traces/${id}`, { key: store.tenant.adminKey })).body.hops as { hop: string; where: string; detail: string | null; spanId: string }[];
    expect(hops.map((hop) => hop.hop)).toEqual(expect.arrayContaining(["inventory.applied", "finance.booked", "loyalty.applied"]));
    // pos.occurred, edge.received, inventory.applied (no agent.recorded: the envelope has no recordedAt), the books and the points.
    expect(hops).toHaveLength(5);
    expect(hops.find((hop) => hop.hop === "finance.booked")).toMatchObject({ where: "ledger", detail: "sale at store-a", spanId: "00f067aa0ba902b7" });
    // 2 × 19.99 at the default rate of one point a currency unit.
    expect(hops.find((hop) => hop.hop === "loyalty.applied")).toMatchObject({ where: "LOY-TRACE-1", detail: "earn 39" });
  });

  it("answers 404 for a trace nothing recorded, 400 for a malformed id, and only to the tenant's admin or readonly keys", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const id = traceId();
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("sale"), [{ sku, qty: 1 }])]).map((e) => ({ ...e, traceparent: `00-${id}-00f067aa0ba902b7-01` })));
    expect((await call("GET", `/v1/traces/${id}`, { key: store.tenant.adminKey })).status).toBe(200);
    expectProblem(await call("GET", `/v1/traces/${traceId()}`, { key: store.tenant.adminKey }), 404, "not_found");
    expectProblem(await call("GET", "/v1/traces/not-a-trace", { key: store.tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", `/v1/traces/${"0".repeat(32)}`, { key: store.tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", `/v1/traces/${id}`, { key: store.storeKey }), 403, "forbidden");
    const other = await createTenant();
    expectProblem(await call("GET", `/v1/traces/${id}`, { key: other.adminKey }), 404, "not_found");
  });

  it("rejects a batch whose traceparent is malformed, as any invalid envelope", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 10);
    const bad = await sendBatch(store.storeKey, "store-a", [{ sequence: 1, transaction: posTransaction(txId("sale"), [{ sku, qty: 1 }]), traceparent: "00-xyz" } as never]);
    expectProblem(bad, 400, "validation_failed");
  });
});
