import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { holdTtlSeconds, type OrderProcess } from "../durable/order-process.ts";
import { orderIdOf } from "../durable/objects.ts";
import { call, reserve, tenantWithStock, unique, type TestTenant } from "./api.ts";
import { canonical, figures, ledgerOf, orderBody, orderStub } from "./order-api.ts";
import { skuObject } from "../durable/objects.ts";

const webRules = { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 0, maxUnits: null, maxPercent: null };

interface PlannedStep {
  key: string;
  kind: string;
  state: string;
  qty: number;
  sku: string;
  location: string;
}

function plannedSteps(tenant: TestTenant, orderId: string): Promise<PlannedStep[]> {
  return runInDurableObject(orderStub(tenant, orderId), (_instance, state) =>
    state.storage.sql
      .exec<Record<string, string | number>>("SELECT s.key, s.kind, s.state, s.qty, h.sku, h.location FROM saga_steps s JOIN holdings h ON h.id = s.holding_id ORDER BY s.seq")
      .toArray()
      .map((row) => row as unknown as PlannedStep),
  );
}

/** Writes the order and its saga plan, as the first half of a submission does, and stops there. */
async function beginOnly(tenant: TestTenant, body: ReturnType<typeof orderBody>): Promise<string> {
  const orderId = await orderIdOf(tenant.id, "web", body.externalId);
  await runInDurableObject(orderStub(tenant, orderId), async (instance: OrderProcess) => {
    expect(await instance["begin"](canonical(body), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({ ok: true });
  });
  return orderId;
}

/** What the order object would have sent for a reserve step, sent once: it reached the SKU object, then the order died. */
async function reachedSkuBeforeCrash(tenant: TestTenant, orderId: string, step: PlannedStep): Promise<string> {
  const { outcome } = await skuObject(env, tenant.id, step.sku).reserve(
    { qty: step.qty, channel: "web", rules: webRules, location: step.location, ttlSeconds: holdTtlSeconds, reference: `order:${orderId}` },
    { key: step.key, requestHash: step.key },
  );
  if (!outcome.ok) throw new Error(outcome.detail);
  return outcome.reservation.id;
}

describe("an order object that dies between saga steps", () => {
  it("is resumed by its alarm: the reservation a crash left unrecorded is adopted, not taken twice", async () => {
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "wh-1": 10 });
    const orderId = await beginOnly(tenant, orderBody([[a, 2], [b, 3]]));
    const steps = await plannedSteps(tenant, orderId);
    expect(steps.map((s) => [s.kind, s.state, s.sku, s.location, s.qty])).toEqual([
      ["reserve", "pending", a, "wh-1", 2],
      ["reserve", "pending", b, "wh-1", 3],
    ]);
    const reservationOfA = await reachedSkuBeforeCrash(tenant, orderId, steps[0]!);
    await abortAllDurableObjects();

    const before = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(before.body).toMatchObject({ status: "received", allocations: [{ reservationId: null }, { reservationId: null }] });

    expect(await runDurableObjectAlarm(orderStub(tenant, orderId))).toBe(true);

    const after = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(after.body.status).toBe("reserved");
    expect(after.body.events.at(-1)).toMatchObject({ type: "reserved", cause: "alarm" });
    expect(after.body.allocations.find((x: { sku: string }) => x.sku === a)).toMatchObject({ reservationId: reservationOfA, held: 2 });
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 2 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 10, reserved: 3 } });
    expect(await ledgerOf(tenant, a, "reservation")).toHaveLength(1);
    expect((await plannedSteps(tenant, orderId)).map((s) => s.state)).toEqual(["done", "done"]);
  });

  it("is compensated by its alarm when a later line can no longer be had: no unit stays reserved for it", async () => {
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "wh-1": 3 });
    const orderId = await beginOnly(tenant, orderBody([[a, 2], [b, 3]]));
    await reachedSkuBeforeCrash(tenant, orderId, (await plannedSteps(tenant, orderId))[0]!);
    await abortAllDurableObjects();
    // While the order object is down, b's units go to someone else.
    expect((await reserve(tenant, b, { qty: 3, location: "wh-1" })).status).toBe(201);
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 2 } });

    expect(await runDurableObjectAlarm(orderStub(tenant, orderId))).toBe(true);

    const after = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(after.body).toMatchObject({ status: "backordered", allocations: [], shortages: [{ sku: b, requested: 3, available: 0 }] });
    expect(after.body.events.at(-1)).toMatchObject({ type: "backordered", cause: "compensation", detail: { released: 1 } });
    expect(await figures(tenant, a)).toEqual({ "wh-1": { onHand: 10, reserved: 0 } });
    expect(await figures(tenant, b)).toEqual({ "wh-1": { onHand: 3, reserved: 3 } });
    expect((await plannedSteps(tenant, orderId)).map((s) => [s.kind, s.state])).toEqual([
      ["reserve", "done"],
      ["reserve", "failed"],
      ["release", "done"],
    ]);
  });

  it("commits a fulfilment a crash left recorded but not yet committed, once", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const created = await call("POST", "/v1/orders", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: orderBody([[sku, 4]]) });
    const orderId = created.body.id as string;
    // The fulfilment is decided and written with its commit step; the object dies before calling the SKU.
    await runInDurableObject(orderStub(tenant, orderId), (instance: OrderProcess) =>
      instance["decide"](() => instance["operations"].fulfill(instance["order"].current(), { location: "wh-1", lines: [{ sku, qty: 3 }] }, Date.now())),
    );
    await abortAllDurableObjects();
    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 10, reserved: 4 } });

    expect(await runDurableObjectAlarm(orderStub(tenant, orderId))).toBe(true);
    // Running the saga again (as a late duplicate alarm would) commits nothing more.
    await runInDurableObject(orderStub(tenant, orderId), (instance: OrderProcess) => instance.alarm());

    expect(await figures(tenant, sku)).toEqual({ "wh-1": { onHand: 7, reserved: 1 } });
    expect((await ledgerOf(tenant, sku, "commit")).map((e) => e.delta)).toEqual([-3]);
    const order = await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey });
    expect(order.body).toMatchObject({ status: "partially_fulfilled", fulfilled: [{ sku, location: "wh-1", qty: 3 }], allocations: [{ held: 1 }] });
  });
});
