import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createStockedTenant, setStock, unique, type TestTenant } from "./api.ts";
import { exceptionById, exceptionsOf, path, replay, resolve } from "./exception-fixtures.ts";
import { expectProblem } from "./fixtures.ts";
import { orderBody, reservedOf, submitOrder } from "./order-api.ts";
import { exceptionQueue } from "../durable/objects.ts";

/** A tenant with one backordered order and its backorder exception. */
async function backordered(tenant: TestTenant) {
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", 1);
  const order = await submitOrder(tenant.adminKey, orderBody([[sku, 2]]));
  const listed = await exceptionsOf(tenant, "?type=backorder");
  return { sku, orderId: order.body.id as string, exception: listed.find((e) => e.payload.orderId === order.body.id)! };
}

describe("resolving an exception closes it with a note", () => {
  it("records who closed it, when and why; closing it again is a conflict; the same key answers the same", async () => {
    const tenant = await createStockedTenant();
    const { exception } = await backordered(tenant);

    const closed = await resolve(tenant.adminKey, exception.id, { note: "Customer switched to another item" }, "resolve-1");

    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ id: exception.id, state: "resolved", replays: 0 });
    expect(closed.body.transitions.at(-1)).toEqual({ at: expect.any(String), from: "open", to: "resolved", by: expect.stringMatching(/^key:key_/), note: "Customer switched to another item" });
    expect(await exceptionById(tenant, exception.id)).toEqual(closed.body);

    const same = await resolve(tenant.adminKey, exception.id, { note: "Customer switched to another item" }, "resolve-1");
    expect(same.headers.get("idempotent-replayed")).toBe("true");
    expect(same.body).toEqual(closed.body);

    const again = await resolve(tenant.adminKey, exception.id, { note: "twice", state: "ignored" });
    expectProblem(again, 409, "conflict");
    expect(again.body.state).toBe("resolved");
    expect(await exceptionById(tenant, exception.id)).toEqual(closed.body);
  });

  it("a resolved exception's replay runs nothing: stock that arrived later is not reserved for the order", async () => {
    const tenant = await createStockedTenant();
    const { sku, orderId, exception } = await backordered(tenant);
    await resolve(tenant.adminKey, exception.id, { note: "handled by phone" });
    await setStock(tenant, sku, "store-b", 5);

    const answer = await replay(tenant.adminKey, exception.id);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ outcome: "already_closed", exception: { state: "resolved", replays: 0 } });
    expect(await reservedOf(tenant, sku)).toBe(0);
    expect((await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey })).body.status).toBe("backordered");
  });

  it("a replay in flight holds the exception: another replay is a conflict; a person may still close it, and the replay's outcome then leaves it closed", async () => {
    const tenant = await createStockedTenant();
    const { exception } = await backordered(tenant);
    const queue = exceptionQueue(env, tenant.id);
    const claim = await queue.beginReplay(exception.id, "key:test", null);
    expect(claim).toMatchObject({ run: true, replay: 1, exception: { state: "retrying" } });

    expectProblem(await replay(tenant.adminKey, exception.id), 409, "conflict");
    const closed = await resolve(tenant.adminKey, exception.id, { note: "cancelled with the customer" });
    expect(closed.body).toMatchObject({ state: "resolved" });
    const finished = await queue.finishReplay(exception.id, 1, { outcome: "failed", detail: "still short" }, "key:test");

    expect(finished).toMatchObject({ ok: true, answer: { outcome: "failed", exception: { state: "resolved" } } });
    expect(path(await exceptionById(tenant, exception.id))).toEqual(["∅→open", "open→retrying", "retrying→resolved"]);
  });

  it("ignored is a state of its own; the list filters by type and by state", async () => {
    const tenant = await createStockedTenant();
    const first = await backordered(tenant);
    const second = await backordered(tenant);
    const third = await backordered(tenant);

    const ignored = await resolve(tenant.adminKey, first.exception.id, { note: "test order", state: "ignored" });
    await resolve(tenant.adminKey, second.exception.id, { note: "shipped from the supplier" });

    expect(ignored.body).toMatchObject({ state: "ignored" });
    expect(path(ignored.body)).toEqual(["∅→open", "open→ignored"]);
    const ids = async (query: string) => (await exceptionsOf(tenant, query)).map((e) => e.id);
    expect(await ids("?state=ignored")).toEqual([first.exception.id]);
    expect(await ids("?state=resolved")).toEqual([second.exception.id]);
    expect(await ids("?state=open")).toEqual([third.exception.id]);
    expect(await ids("?type=backorder&state=open")).toEqual([third.exception.id]);
    expect(await ids("?type=webhook_unmapped")).toEqual([]);
    expect(await ids("?type=backorder")).toEqual([first.exception.id, second.exception.id, third.exception.id]);
    const page = await call("GET", "/v1/exceptions?type=backorder&limit=2", { key: tenant.adminKey });
    expect(page.body.exceptions.map((e: { id: string }) => e.id)).toEqual([first.exception.id, second.exception.id]);
    const next = await call("GET", `/v1/exceptions?type=backorder&limit=2&cursor=${page.body.nextCursor}`, { key: tenant.adminKey });
    expect(next.body).toMatchObject({ exceptions: [{ id: third.exception.id }], nextCursor: null });
  });
});
