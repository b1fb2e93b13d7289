import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EventOutbox } from "../durable/event-outbox.ts";
import type { OrderProcess } from "../durable/order-process.ts";
import { orderIdOf } from "../durable/objects.ts";
import { call, type TestTenant } from "./api.ts";
import { delivered, eventually, tenantWithWebhook } from "./event-fixtures.ts";
import { exceptionById, exceptionsOf, path, replay } from "./exception-fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { orderProcess } from "../durable/objects.ts";

/** The event_delivery_failed exception of one order event, once the dead letter queue's consumer recorded it. */
async function deadEvent(tenant: TestTenant, type: string, orderId: string): Promise<Record<string, any>> {
  const found = await eventually(async () => (await exceptionsOf(tenant, "?type=event_delivery_failed")).find((e) => e.payload.event.type === type && e.payload.event.data.orderId === orderId));
  return found!;
}

describe("an event that fails every retry lands in the dead letter queue and becomes an exception", () => {
  it("records the event, its tenant, object, attempts and last failure; a replay sends it again and it is delivered", async () => {
    let up = false;
    const { tenant, endpoint, sku } = await tenantWithWebhook(() => (up ? 200 : 503));
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 2]]));

    const exception = await deadEvent(tenant, "order.created", order.body.id);

    const event = exception.payload.event;
    const attempts = endpoint.deliveries.filter((d) => d.event.id === event.id);
    // wrangler.toml: max_retries = 10, so 11 attempts, then the dead letter queue.
    expect(attempts.map((d) => d.status)).toEqual(Array(11).fill(503));
    expect(exception).toMatchObject({
      type: "event_delivery_failed",
      subject: `order:${order.body.id}`,
      correlationId: event.id,
      state: "open",
      lastFailure: { reason: "HTTP 503 from retailer.test" },
      payload: { stage: "delivery", attempts: 11, lastError: "HTTP 503 from retailer.test", event: { tenantId: tenant.id, type: "order.created", data: { orderId: order.body.id } } },
    });
    expect(attempts[0]!.event).toEqual(event);

    up = true;
    const replayed = await replay(tenant.adminKey, exception.id);

    expect(replayed.body).toMatchObject({ outcome: "enqueued", exception: { state: "retrying", replays: 1 } });
    await eventually(async () => (await exceptionById(tenant, exception.id)).state === "resolved");
    const resolved = await exceptionById(tenant, exception.id);
    expect(path(resolved)).toEqual(["∅→open", "open→retrying", "retrying→resolved"]);
    expect(resolved.transitions.at(-1)).toMatchObject({ by: "system", note: "delivered to retailer.test (attempt 1)" });
    expect(delivered(endpoint).filter((d) => d.event.id === event.id).map((d) => d.body)).toEqual([attempts[0]!.body]);

    expect((await replay(tenant.adminKey, exception.id)).body).toMatchObject({ outcome: "already_closed" });
    expect(delivered(endpoint).filter((d) => d.event.id === event.id)).toHaveLength(1);
  });

  it("a replayed event that dies again opens its exception again, with the new failure", async () => {
    const { tenant, endpoint, sku } = await tenantWithWebhook(() => 500);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));
    const exception = await deadEvent(tenant, "order.reserved", order.body.id);

    expect((await replay(tenant.adminKey, exception.id)).body).toMatchObject({ outcome: "enqueued", exception: { state: "retrying" } });
    await eventually(async () => (await exceptionById(tenant, exception.id)).state === "open");

    const reopened = await exceptionById(tenant, exception.id);
    expect(path(reopened)).toEqual(["∅→open", "open→retrying", "retrying→open"]);
    expect(reopened).toMatchObject({ replays: 1, lastFailure: { reason: "HTTP 500 from retailer.test" }, payload: { attempts: 11, lastError: "HTTP 500 from retailer.test" } });
    expect(reopened.transitions.at(-1)).toMatchObject({ by: "system", note: "replay failed: HTTP 500 from retailer.test" });
    expect(endpoint.deliveries.filter((d) => d.event.id === exception.payload.event.id)).toHaveLength(22);
    expect(await exceptionsOf(tenant, "?type=event_delivery_failed&state=open")).toContainEqual(expect.objectContaining({ id: exception.id }));
  });
});

describe("a queue that refuses an event does not fail the change that made it", () => {
  it("the order is taken; its events become exceptions (stage enqueue), which a replay delivers", async () => {
    const { tenant, endpoint, sku } = await tenantWithWebhook();
    const body = orderBody([[sku, 2]]);
    const orderId = await orderIdOf(tenant.id, "web", body.externalId);
    // The order's object, before its first request, gets a queue that refuses every send.
    const refusing = { sendBatch: () => Promise.reject(new Error("Queue send failed: simulated outage")) };
    await runInDurableObject(orderProcess(env, tenant.id, orderId), (instance: OrderProcess) => {
      Reflect.set(instance, "outbox", new EventOutbox(instance["db"], { ...env, EVENTS: refusing } as unknown as Env));
    });

    const order = await submitOrder(tenant.adminKey, body);

    expect(order.status).toBe(201);
    expect(order.body.status).toBe("reserved");
    const failed = await exceptionsOf(tenant, "?type=event_delivery_failed");
    expect(failed.map((e) => e.payload.event.type).sort()).toEqual(["order.created", "order.reserved"]);
    expect(failed[0]).toMatchObject({
      state: "open",
      subject: `order:${orderId}`,
      payload: { stage: "enqueue", attempts: 0, lastError: expect.stringContaining("simulated outage") },
      lastFailure: { reason: expect.stringContaining("simulated outage") },
    });
    expect(delivered(endpoint, "order.created")).toEqual([]);

    const reserved = failed.find((e) => e.payload.event.type === "order.reserved")!;
    expect((await replay(tenant.adminKey, reserved.id)).body).toMatchObject({ outcome: "enqueued" });
    await eventually(() => delivered(endpoint, "order.reserved").length > 0);
    expect(delivered(endpoint, "order.reserved")[0]!.event).toEqual(reserved.payload.event);
    await eventually(async () => (await exceptionById(tenant, reserved.id)).state === "resolved");
    expect((await call("GET", `/v1/orders/${orderId}`, { key: tenant.adminKey })).body.status).toBe("reserved");
  });
});
