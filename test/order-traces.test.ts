import { describe, expect, it, vi } from "vitest";
import { call, createStockedTenant, setStock, unique } from "./api.ts";
import { configureWebhook, delivered, eventually, retailerEndpoint } from "./event-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";

quietAccessLog();

const randomTraceId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

type Hop = { hop: string; where: string; detail: string | null; spanId: string | null };

/** Waits until the trace's hops satisfy `ready`, and answers them. */
async function hopsWhen(key: string, traceId: string, ready: (hops: Hop[]) => boolean): Promise<Hop[]> {
  return (await eventually(async () => {
    const found = await hopsOf(key, traceId);
    return ready(found) ? found : null;
  }, 30_000))!;
}

async function hopsOf(key: string, traceId: string): Promise<Hop[]> {
  const trace = await call("GET", `/v1/traces/${traceId}`, { key });
  return trace.status === 200 ? (trace.body.hops as Hop[]) : [];
}

describe("an order's trace", () => {
  it("continues the channel's traceparent from receipt through reservation, fulfilment, the books, the points and the webhook, whose POST carries it", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 5);
    // The retailer's endpoint fails the fulfilment's first delivery: the retry's steps are not recorded twice.
    const endpoint = retailerEndpoint((attempt, event) => (event.type === "order.fulfilled" && attempt === 1 ? 500 : 200));
    await configureWebhook(tenant, endpoint);
    const traceId = randomTraceId();
    const created = await call("POST", "/v1/orders", {
      key: tenant.adminKey,
      idempotencyKey: unique("idem"),
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: orderBody([[sku, 2]], { customer: { email: `${unique("buyer")}@example.com` } }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.traceId).toBe(traceId);
    const orderId = created.body.id as string;
    expect((await fulfill(tenant.adminKey, orderId, { location: "wh-1", lines: [{ sku, qty: 2 }] })).status).toBe(200);

    const hops = await hopsWhen(tenant.adminKey, traceId, (found) => found.filter((hop) => hop.hop === "webhook.delivered").length === 3);
    const names = hops.map((hop) => hop.hop);
    expect(names.slice(0, 3)).toEqual(["order.created", "order.reserved", "order.fulfilled"]);
    expect(hops.find((hop) => hop.hop === "order.created")).toMatchObject({ where: "web", detail: `${created.body.externalId}: ${sku}×2` });
    expect(hops.find((hop) => hop.hop === "order.reserved")).toMatchObject({ detail: `${sku}@wh-1×2` });
    expect(hops.find((hop) => hop.hop === "order.fulfilled")).toMatchObject({ where: "wh-1", detail: `${sku}×2` });
    // Each step once, though the fulfilment was handled twice; both webhook attempts are there.
    expect(names.filter((name) => name === "finance.booked")).toHaveLength(1);
    expect(hops.filter((hop) => hop.hop === "loyalty.applied")).toMatchObject([{ detail: "earned 20 points" }]);
    expect(hops.filter((hop) => hop.hop === "webhook.failed").map((hop) => hop.detail)).toEqual(["attempt 1: HTTP 500"]);
    expect(hops.filter((hop) => hop.hop === "webhook.delivered")).toHaveLength(3);

    // The retailer sees the trace on every event of the order: in the body and as the POST's traceparent header.
    const ofOrder = delivered(endpoint).filter((delivery) => delivery.event.data.orderId === orderId);
    expect(ofOrder.map((delivery) => delivery.event.type).sort()).toEqual(["order.created", "order.fulfilled", "order.reserved"]);
    for (const delivery of ofOrder) {
      expect(delivery.event.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
      expect(delivery.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    }
  });

  it("starts a trace for an order that brought none, or a malformed one, and puts the return's receipt on it", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 5);
    const created = await call("POST", "/v1/orders", { key: tenant.adminKey, idempotencyKey: unique("idem"), headers: { traceparent: "00-not-a-trace" }, body: orderBody([[sku, 1]]) });
    expect(created.status).toBe(201);
    const traceId = created.body.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    // The SKU's ledger entry of its reservation is in the order's trace.
    const ledger = await call("GET", `/v1/inventory/${sku}/ledger`, { key: tenant.adminKey });
    expect(ledger.body.entries.find((entry: { type: string; reservationId: string | null }) => entry.type === "reservation" && entry.reservationId === created.body.allocations[0].reservationId)).toMatchObject({ traceId });
    const plain = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));
    expect(plain.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(plain.body.traceId).not.toBe(traceId);

    await fulfill(tenant.adminKey, created.body.id, { location: "wh-1", lines: [{ sku, qty: 1 }] });
    // Its reservation's commit, at the fulfilment, is in the order's trace too.
    const committed = await call("GET", `/v1/inventory/${sku}/ledger`, { key: tenant.adminKey });
    expect(committed.body.entries.find((entry: { type: string; reservationId: string | null }) => entry.type === "commit" && entry.reservationId === created.body.allocations[0].reservationId)).toMatchObject({ traceId });
    const opened = await call("POST", "/v1/returns", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { orderId: created.body.id, lines: [{ sku, qty: 1, reason: "too big" }] } });
    const received = await call("POST", `/v1/returns/${opened.body.id}/receive`, { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { location: "wh-1", lines: [{ sku, qty: 1, disposition: "restock" }] } });
    expect(received.status).toBe(201);
    const hops = await hopsWhen(tenant.adminKey, traceId, (found) => found.some((hop) => hop.hop === "order.returned"));
    expect(hops.find((hop) => hop.hop === "order.returned")).toMatchObject({ where: "wh-1", detail: `${opened.body.id}: ${sku}×1` });
  });
});

describe("a request's trace", () => {
  it("answers every request with its span in the caller's trace, or in a new one, and logs it with that trace id, as the order keeps it", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 5);
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(JSON.parse(line)));

    const sent = randomTraceId();
    const continued = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey, headers: { traceparent: `00-${sent}-00f067aa0ba902b7-01` } });
    expect(continued.headers.get("traceresponse")).toMatch(new RegExp(`^00-${sent}-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$`));

    const created = await submitOrder(tenant.adminKey, orderBody([[sku, 1]]));
    const started = created.headers.get("traceresponse")!.split("-")[1]!;
    expect(started).toMatch(/^[0-9a-f]{32}$/);
    expect(started).not.toBe(sent);
    expect(created.body.traceId).toBe(started);

    const accessLines = lines.filter((line) => line.path !== undefined && line.status !== undefined);
    expect(accessLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: "GET", path: `/v1/inventory/${sku}`, status: 200, traceId: sent, requestId: continued.headers.get("x-request-id") }),
        expect.objectContaining({ method: "POST", path: "/v1/orders", status: 201, traceId: started }),
      ]),
    );
    expect(accessLines.every((line) => typeof line.traceId === "string" && /^[0-9a-f]{32}$/.test(line.traceId))).toBe(true);

    // A reservation a channel takes itself is in its request's trace, on the SKU's ledger.
    const reserved = await call("POST", `/v1/inventory/${sku}/reservations`, { key: tenant.adminKey, idempotencyKey: unique("idem"), headers: { traceparent: `00-${sent}-00f067aa0ba902b7-01` }, body: { qty: 1, channel: "web", reference: "cart-1" } });
    expect(reserved.status).toBe(201);
    const ledger = await call("GET", `/v1/inventory/${sku}/ledger`, { key: tenant.adminKey });
    expect(ledger.body.entries.find((entry: { reservationId: string | null }) => entry.reservationId === reserved.body.id)).toMatchObject({ type: "reservation", traceId: sent });
  });
});
