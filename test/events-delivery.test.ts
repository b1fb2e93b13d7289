import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { OutboundEvent } from "../shared/schemas/events.ts";
import { handleEventBatch } from "../workers/events/consumer.ts";
import worker from "../workers/index.ts";
import { call, createKey, createTenant, unique } from "./api.ts";
import { configureWebhook, delivered, eventually, expectedSignature, retailerEndpoint, tenantWithWebhook, webhookSecret } from "./event-fixtures.ts";
import { exceptionsOf } from "./exception-fixtures.ts";
import { expectProblem } from "./fixtures.ts";
import { cancel, fulfill, orderBody, submitOrder } from "./order-api.ts";
import { eventWebhook } from "../durable/objects.ts";

function orderCreated(tenantId: string, id = `evt_${unique("x").replace(/[^a-z0-9]/g, "")}`): OutboundEvent {
  return {
    id,
    type: "order.created",
    tenantId,
    occurredAt: new Date().toISOString(),
    subject: "order:ord_1",
    data: { orderId: "ord_1", channel: "web", externalId: "EXT-1", status: "received", lines: [{ sku: "A", qty: 1 }] },
  };
}

/** Runs the Worker's queue handler on one batch, as the queue would, and reports what it acked and retried. */
async function consume(queue: string, bodies: unknown[]) {
  const messages = bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts: 1, body }));
  const batch = createMessageBatch(queue, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

describe("the tenant's event webhook", () => {
  it("is set by an admin and read back with its secret masked", async () => {
    const tenant = await createTenant();
    expectProblem(await call("GET", "/v1/settings/events", { key: tenant.adminKey }), 404, "not_found");
    const put = await call("PUT", "/v1/settings/events", { key: tenant.adminKey, body: { url: "https://erp.example.com/hooks/shelfsync", secret: "whsec-0123456789abcdef" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ url: "https://erp.example.com/hooks/shelfsync", secret: "••••••••cdef", signature: expect.stringContaining("HMAC-SHA256") });
    expect((await call("GET", "/v1/settings/events", { key: tenant.adminKey })).body).toEqual(put.body);

    for (const body of [{ url: "ftp://erp.example.com/x", secret: "whsec-0123456789abcdef" }, { url: "http://erp.example.com/x", secret: "whsec-0123456789abcdef" }, { url: "not a url", secret: "whsec-0123456789abcdef" }, { url: "https://erp.example.com/x", secret: "short" }, { url: "https://erp.example.com/x" }]) {
      expectProblem(await call("PUT", "/v1/settings/events", { key: tenant.adminKey, body }), 400, "validation_failed");
    }
    const readonly = await createKey(tenant, { role: "readonly" });
    expectProblem(await call("PUT", "/v1/settings/events", { key: readonly, body: { url: "https://evil.example.com/", secret: "whsec-0123456789abcdef" } }), 403, "forbidden");
    expect((await call("GET", "/v1/settings/events", { key: tenant.adminKey })).body).toEqual(put.body);
  });
});

describe("outbound events are delivered to the tenant's webhook", () => {
  it("an order's events reach the configured URL, signed, each with its own id and the order as it then was", async () => {
    const { tenant, endpoint, sku } = await tenantWithWebhook();

    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 3]]));
    await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }], carrier: "UPS", tracking: "1Z999" });
    await cancel(tenant.adminKey, order.body.id, { reason: "customer asked" });

    const types = ["order.created", "order.reserved", "order.fulfilled", "order.cancelled"];
    await eventually(() => types.every((type) => delivered(endpoint, type).length > 0));
    const byType = Object.fromEntries(types.map((type) => [type, delivered(endpoint, type)[0]!]));
    const ref = { orderId: order.body.id, channel: "web", externalId: order.body.externalId };
    expect(byType["order.created"]!.event).toMatchObject({ tenantId: tenant.id, subject: `order:${order.body.id}`, data: { ...ref, status: "received", lines: [{ sku, qty: 3 }] } });
    expect(byType["order.reserved"]!.event.data).toEqual({ ...ref, status: "reserved", allocations: [{ sku, location: "wh-1", qty: 3 }] });
    expect(byType["order.fulfilled"]!.event.data).toEqual({ ...ref, status: "partially_fulfilled", location: "wh-1", lines: [{ sku, qty: 1 }], carrier: "UPS", tracking: "1Z999" });
    expect(byType["order.cancelled"]!.event.data).toEqual({ ...ref, status: "fulfilled", lines: [{ sku, qty: 2 }], reason: "customer asked" });

    const all = delivered(endpoint);
    expect(new Set(all.map((d) => d.event.id)).size).toBe(all.length);
    for (const delivery of all) {
      expect(OutboundEvent.parse(delivery.event)).toEqual(delivery.event);
      expect(delivery.headers).toMatchObject({ "content-type": "application/json", "shelfsync-event-id": delivery.event.id, "shelfsync-event-type": delivery.event.type });
      expect(delivery.headers["shelfsync-signature"]).toBe(await expectedSignature(webhookSecret, delivery.headers["shelfsync-timestamp"]!, delivery.body));
    }
    // The availability read model publishes each channel's changed figure too (coalesced): 5 on hand, 1 shipped, none held.
    await eventually(() => delivered(endpoint, "availability.changed").some((d) => d.event.data.sku === sku && d.event.data.channel === "web" && d.event.data.available === 4));
  });

  it("a received return is an order.returned event", async () => {
    const { tenant, endpoint, sku } = await tenantWithWebhook();
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 2]]));
    await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 2 }] });
    const opened = await call("POST", "/v1/returns", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { orderId: order.body.id, lines: [{ sku, qty: 1, reason: "too small" }] } });
    const received = await call("POST", `/v1/returns/${opened.body.id}/receive`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { location: "wh-1", lines: [{ sku, qty: 1, disposition: "restock" }] } });
    expect(received.status).toBe(201);

    await eventually(() => delivered(endpoint, "order.returned").length > 0);
    expect(delivered(endpoint, "order.returned")[0]!.event).toMatchObject({
      subject: `order:${order.body.id}`,
      data: { orderId: order.body.id, returnId: opened.body.id, location: "wh-1", lines: [{ sku, qty: 1, disposition: "restock" }], refund: { currency: "USD", amount: 1000 } },
    });
  });

  it("a delivery the endpoint refuses is retried until it takes it: same event, same id, no exception", async () => {
    const { tenant, endpoint } = await tenantWithWebhook((attempt) => (attempt <= 2 ? 503 : 200));
    await eventually(() => delivered(endpoint).length > 0);

    const first = delivered(endpoint)[0]!;
    const attempts = endpoint.deliveries.filter((d) => d.event.id === first.event.id);
    expect(attempts.map((d) => d.status)).toEqual([503, 503, 200]);
    expect(attempts.map((d) => d.body)).toEqual([first.body, first.body, first.body]);
    expect(await exceptionsOf(tenant, "?type=event_delivery_failed")).toEqual([]);
  });
});

describe("the queue consumer", () => {
  it("acknowledges an event whose tenant has no webhook: there is nobody to tell", async () => {
    const tenant = await createTenant();
    const result = await consume("shelfsync-events", [{ event: orderCreated(tenant.id), replayOf: null }]);
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["msg-0"], retryMessages: [] });
  });

  it("retries a failed delivery with exponential backoff from EVENT_RETRY_BASE_SECONDS, at most an hour", async () => {
    const tenant = await createTenant();
    const endpoint = retailerEndpoint(() => 500);
    await configureWebhook(tenant, endpoint);
    const body = { event: orderCreated(tenant.id), replayOf: null };

    const delays: unknown[] = [];
    for (const attempts of [1, 2, 4, 10]) {
      // A batch of our own: getQueueResult does not report the delay a retry asked for.
      const message = { id: "msg-0", timestamp: new Date(), attempts, body, ack: vi.fn(), retry: vi.fn() };
      await handleEventBatch({ queue: "shelfsync-events", messages: [message], metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } }, ackAll: vi.fn(), retryAll: vi.fn() } as unknown as MessageBatch, { ...env, EVENT_RETRY_BASE_SECONDS: "10" } as Env);
      expect(message.ack).not.toHaveBeenCalled();
      delays.push(message.retry.mock.calls[0]?.[0]);
    }

    expect(delays).toEqual([{ delaySeconds: 10 }, { delaySeconds: 20 }, { delaySeconds: 80 }, { delaySeconds: 3600 }]);
    expect(endpoint.deliveries.map((d) => d.status)).toEqual([500, 500, 500, 500]);
    expect(await consume("shelfsync-events", [body])).toMatchObject({ explicitAcks: [], retryMessages: [{ msgId: "msg-0" }] });
  });

  it("turns a dead message into one exception of its tenant, however often the dead letter queue delivers it", async () => {
    const tenant = await createTenant();
    const event = orderCreated(tenant.id);
    await eventWebhook(env, tenant.id).recordFailure(event.id, { attempts: 11, reason: "HTTP 502 from erp.example.com" });

    const first = await consume("shelfsync-events-dlq", [{ event, replayOf: null }]);
    const again = await consume("shelfsync-events-dlq", [{ event, replayOf: null }]);

    expect([first.explicitAcks, again.explicitAcks]).toEqual([["msg-0"], ["msg-0"]]);
    expect(await exceptionsOf(tenant)).toEqual([
      expect.objectContaining({
        type: "event_delivery_failed",
        subject: "order:ord_1",
        correlationId: event.id,
        state: "open",
        payload: { stage: "delivery", event, attempts: 11, lastError: "HTTP 502 from erp.example.com" },
      }),
    ]);
  });

  it("drops a malformed message, acknowledged, so that it cannot block the queue", async () => {
    const result = await consume("shelfsync-events", [{ event: { type: "order.created" } }, "not an event"]);
    expect(result).toMatchObject({ outcome: "ok", explicitAcks: ["msg-0", "msg-1"], retryMessages: [] });
  });
});
