import { describe, expect, it } from "vitest";
import { call, setStock, unique } from "./api.ts";
import { exceptionsOf, path, replay } from "./exception-fixtures.ts";
import { backorderedOrder, ledgerOf, reservedOf } from "./order-api.ts";

describe("replaying a backorder exception retries the order's reservation", () => {
  it("reserves the order once stock arrived; replaying it again, with any key, has no second effect", async () => {
    const { tenant, sku, order: backordered } = await backorderedOrder(2);
    const [exception] = await exceptionsOf(tenant, "?type=backorder");
    await setStock(tenant, sku, "store-b", 4);

    const first = await replay(tenant.adminKey, exception!.id, "replay-1", { note: "stock arrived at store-b" });

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: "resolved", detail: expect.stringContaining("reserved at store-b"), exception: { id: exception!.id, state: "resolved", replays: 1 } });
    expect(path(first.body.exception)).toEqual(["∅→open", "open→retrying", "retrying→resolved"]);
    expect(first.body.exception.transitions[1]).toMatchObject({ by: expect.stringMatching(/^key:/), note: "stock arrived at store-b" });
    const order = await call("GET", `/v1/orders/${backordered.id}`, { key: tenant.adminKey });
    expect(order.body).toMatchObject({ status: "reserved", allocations: [{ sku, location: "store-b", qty: 2, held: 2 }] });

    const again = await replay(tenant.adminKey, exception!.id, "replay-2");
    const retried = await replay(tenant.adminKey, exception!.id, "replay-1", { note: "stock arrived at store-b" });

    expect(again.body).toMatchObject({ outcome: "already_closed", exception: { state: "resolved", replays: 1 } });
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    expect(retried.body).toEqual(first.body);
    expect(await reservedOf(tenant, sku)).toBe(2);
    expect(await ledgerOf(tenant, sku, "reservation")).toHaveLength(1);
    const events = (await call("GET", `/v1/orders/${backordered.id}`, { key: tenant.adminKey })).body.events as { type: string }[];
    expect(events.filter((event) => event.type === "retry")).toHaveLength(1);
  });

  it("a replay that falls short again leaves the exception open with the new failure; a later one reserves", async () => {
    const { tenant, sku, order: backordered } = await backorderedOrder(3);
    const [exception] = await exceptionsOf(tenant, "?type=backorder");
    await setStock(tenant, sku, "store-a", 1);

    const short = await replay(tenant.adminKey, exception!.id);

    expect(short.body).toMatchObject({
      outcome: "failed",
      exception: { state: "open", replays: 1, lastFailure: { reason: `still short: ${sku}: 3 requested, 2 available` } },
    });
    expect(path(short.body.exception)).toEqual(["∅→open", "open→retrying", "retrying→open"]);
    // One exception per order: the retry's shortage refreshed it rather than opening another.
    const listed = await exceptionsOf(tenant, "?type=backorder");
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: exception!.id, payload: { attempt: 2, shortages: [{ sku, requested: 3, available: 2 }] } });
    expect(await reservedOf(tenant, sku)).toBe(0);

    await setStock(tenant, sku, "store-b", 5);
    const reserved = await replay(tenant.adminKey, exception!.id);

    expect(reserved.body).toMatchObject({ outcome: "resolved", exception: { state: "resolved", replays: 2 } });
    expect(path(reserved.body.exception)).toEqual(["∅→open", "open→retrying", "retrying→open", "open→retrying", "retrying→resolved"]);
    expect((await call("GET", `/v1/orders/${backordered.id}`, { key: tenant.adminKey })).body.status).toBe("reserved");
    expect(await reservedOf(tenant, sku)).toBe(3);
  });

  it("an order cancelled meanwhile has nothing left to reserve: the replay resolves the exception", async () => {
    const { tenant, sku, order: backordered } = await backorderedOrder(2);
    const [exception] = await exceptionsOf(tenant, "?type=backorder");
    expect((await call("POST", `/v1/orders/${backordered.id}/cancel`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: {} })).status).toBe(200);

    const answer = await replay(tenant.adminKey, exception!.id);

    expect(answer.body).toMatchObject({ outcome: "resolved", detail: expect.stringContaining("already cancelled"), exception: { state: "resolved" } });
    expect(await reservedOf(tenant, sku)).toBe(0);
  });
});
