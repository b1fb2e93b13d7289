import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeWalmart, type FakeWalmartOptions } from "./walmart.ts";

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, unknown> & { errors?: { code: string; field?: string; description: string }[] };
}

interface FeedAnswer {
  feedId: string;
  feedStatus: string;
  itemsReceived: number;
  itemsSucceeded: number;
  itemsFailed: number;
  itemsProcessing: number;
  offset?: number;
  limit?: number;
  itemDetails?: { itemIngestionStatus: { sku: string; index: number; ingestionStatus: string; ingestionErrors?: { ingestionError: { type: string; code: string }[] } }[] };
}

let clock = 1_760_000_000_000;
let walmart: FakeWalmart;
let accessToken: string;

async function startWalmart(options: FakeWalmartOptions = {}): Promise<void> {
  walmart = await FakeWalmart.start({ now: () => clock, ...options });
  walmart.addItem("SKU-1");
  walmart.addItem("SKU-2");
  walmart.addShipNode("NODE-2");
  accessToken = await issueToken();
}

beforeEach(() => startWalmart());
afterEach(() => walmart.close());

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Answer["body"] };
}

function tokenCall(authorization = walmart.authorization, body = "grant_type=client_credentials"): Promise<Answer> {
  const headers = { authorization, "content-type": "application/x-www-form-urlencoded", accept: "application/json", "WM_SVC.NAME": "Walmart Marketplace", "WM_QOS.CORRELATION_ID": randomUUID() };
  return fetch(`${walmart.url}/v3/token`, { method: "POST", headers, body }).then(answer);
}

async function issueToken(): Promise<string> {
  const issued = await tokenCall();
  expect(issued.status).toBe(200);
  return issued.body["access_token"] as string;
}

const wmHeaders = (token = accessToken): Record<string, string> => ({
  "WM_SEC.ACCESS_TOKEN": token,
  "WM_SVC.NAME": "Walmart Marketplace",
  "WM_QOS.CORRELATION_ID": randomUUID(),
  accept: "application/json",
});

function call(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers = { ...(options.headers ?? wmHeaders()), ...(options.body === undefined ? {} : { "content-type": "application/json" }) };
  return fetch(`${walmart.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) }).then(answer);
}

const putInventory = (sku: string, amount: number, shipNode?: string) =>
  call("PUT", `/v3/inventory?sku=${encodeURIComponent(sku)}${shipNode ? `&shipNode=${shipNode}` : ""}`, { body: { sku, quantity: { unit: "EACH", amount } } });

function submitFeed(feedType: string, file: string | object): Promise<Answer> {
  const form = new FormData();
  form.set("file", new Blob([typeof file === "string" ? file : JSON.stringify(file)], { type: "application/json" }), "inventory.json");
  return fetch(`${walmart.url}/v3/feeds?feedType=${feedType}`, { method: "POST", headers: wmHeaders(), body: form }).then(answer);
}

async function feedStatus(feedId: string, query = "?includeDetails=true"): Promise<FeedAnswer> {
  const read = await call("GET", `/v3/feeds/${encodeURIComponent(feedId)}${query}`);
  expect(read.status).toBe(200);
  return read.body as unknown as FeedAnswer;
}

const inventoryFeed = (items: { sku: string; amount: number }[]) => ({
  InventoryHeader: { version: "1.4" },
  Inventory: items.map(({ sku, amount }) => ({ sku, quantity: { unit: "EACH", amount } })),
});

const codes = (a: Answer) => a.body.errors?.map((e) => e.code);

describe("the token", () => {
  it("is issued for the seller's credentials and lasts 900 s of the server's clock", async () => {
    const issued = await tokenCall();
    expect(issued).toMatchObject({ status: 200, body: { token_type: "Bearer", expires_in: 900, access_token: expect.any(String) } });
    const token = issued.body["access_token"] as string;

    clock += 899_999;
    expect((await call("GET", "/v3/inventory?sku=SKU-1", { headers: wmHeaders(token) })).status).toBe(200);
    clock += 1;
    const expired = await call("GET", "/v3/inventory?sku=SKU-1", { headers: wmHeaders(token) });
    expect(expired.status).toBe(401);
    expect(codes(expired)).toEqual(["UNAUTHORIZED.GMP_GATEWAY_API"]);
    expect((await call("GET", "/v3/inventory?sku=SKU-1", { headers: wmHeaders("never-issued") })).status).toBe(401);
    expect(walmart.stats.tokensIssued).toBe(2);
  });

  it("answers 401 to wrong credentials and 400 to another grant or a JSON body", async () => {
    const wrong = await tokenCall(`Basic ${Buffer.from(`${walmart.clientId}:nope`).toString("base64")}`);
    expect(wrong.status).toBe(401);
    expect(codes(wrong)).toEqual(["UNAUTHORIZED.GMP_GATEWAY_API"]);
    expect((await tokenCall("Bearer something")).status).toBe(401);
    expect((await tokenCall(undefined, "grant_type=password")).status).toBe(400);
    const json = await fetch(`${walmart.url}/v3/token`, { method: "POST", headers: { authorization: walmart.authorization, "content-type": "application/json" }, body: '{"grant_type":"client_credentials"}' });
    expect(json.status).toBe(400);
    expect(walmart.stats.tokensIssued).toBe(1);
  });

  it("is rate limited as configured: 429, Retry-After and a violation", async () => {
    await walmart.close();
    await startWalmart({ tokenCallsPerMinute: 2, tokenBurst: 1 });
    const throttled = await tokenCall();
    expect(throttled).toMatchObject({ status: 429, retryAfter: "30" });
    expect(codes(throttled)).toEqual(["REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API"]);
    expect(walmart.violations.map((v) => v.kind)).toEqual(["token_rate_limited"]);
    clock += 30_000;
    expect((await tokenCall()).status).toBe(200);
  });
});

describe("the required headers", () => {
  it("answers 400 naming a missing header, and records every correlation id", async () => {
    for (const name of ["WM_SEC.ACCESS_TOKEN", "WM_SVC.NAME", "WM_QOS.CORRELATION_ID"]) {
      const { [name]: _, ...rest } = wmHeaders();
      const refused = await call("GET", "/v3/inventory?sku=SKU-1", { headers: rest });
      expect(refused.status, name).toBe(400);
      expect(refused.body.errors, name).toMatchObject([{ code: "INVALID_REQUEST_HEADER.GMP_GATEWAY_API", field: name }]);
    }
    const headers = wmHeaders();
    expect((await call("GET", "/v3/inventory?sku=SKU-1", { headers })).status).toBe(200);
    expect(walmart.correlationIds.at(-1)).toBe(headers["WM_QOS.CORRELATION_ID"]);
    // The token call's and the three calls that sent one.
    expect(walmart.correlationIds).toHaveLength(4);
  });
});

describe("PUT and GET /v3/inventory", () => {
  it("applies one SKU at the default node or a named one, echoes the body and reads it back", async () => {
    const put = await putInventory("SKU-1", 10);
    expect(put).toMatchObject({ status: 200, body: { sku: "SKU-1", quantity: { unit: "EACH", amount: 10 } } });
    expect((await putInventory("SKU-1", 4, "NODE-2")).status).toBe(200);
    expect([walmart.quantity("SKU-1"), walmart.quantity("SKU-1", "NODE-2")]).toEqual([10, 4]);
    expect((await call("GET", "/v3/inventory?sku=SKU-1")).body).toEqual({ sku: "SKU-1", quantity: { unit: "EACH", amount: 10 } });
    expect((await call("GET", "/v3/inventory?sku=SKU-1&shipNode=NODE-2")).body).toEqual({ sku: "SKU-1", quantity: { unit: "EACH", amount: 4 } });
    expect(walmart.stats).toMatchObject({ inventoryWrites: 2, violations: 0 });
  });

  it("answers 404 with a code to an unknown SKU, 400 to an unknown node, a mismatched or invalid body", async () => {
    const unknown = await putInventory("NOT-LISTED", 1);
    expect(unknown.status).toBe(404);
    expect(codes(unknown)).toEqual(["CONTENT_NOT_FOUND.GMP_INVENTORY_API"]);
    expect((await call("GET", "/v3/inventory?sku=NOT-LISTED")).status).toBe(404);
    expect((await putInventory("SKU-1", 1, "NODE-9")).status).toBe(400);
    expect((await call("PUT", "/v3/inventory?sku=SKU-1", { body: { sku: "SKU-2", quantity: { unit: "EACH", amount: 1 } } })).status).toBe(400);
    expect((await call("PUT", "/v3/inventory?sku=SKU-1", { body: { sku: "SKU-1", quantity: { unit: "LB", amount: 1 } } })).status).toBe(400);
    expect((await call("PUT", "/v3/inventory?sku=SKU-1", { body: { sku: "SKU-1", quantity: { unit: "EACH", amount: -1 } } })).status).toBe(400);
    expect(walmart.quantity("SKU-1")).toBe(0);
    expect(walmart.stats.inventoryWrites).toBe(0);
  });

  it("refuses past the default bucket of 300 with 429, Retry-After and a violation", async () => {
    for (let n = 0; n < 300; n += 1) expect((await putInventory("SKU-1", n)).status).toBe(200);
    const throttled = await putInventory("SKU-1", 300);
    expect(throttled).toMatchObject({ status: 429, retryAfter: "1" });
    expect(codes(throttled)).toEqual(["REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API"]);
    expect(walmart.quantity("SKU-1")).toBe(299);
    expect(walmart.violations).toEqual([expect.objectContaining({ kind: "inventory_rate_limited" })]);
    clock += 200;
    expect((await putInventory("SKU-1", 300)).status).toBe(200);
  });

  it("refills a configured bucket at its rate per minute", async () => {
    await walmart.close();
    await startWalmart({ inventoryCallsPerMinute: 6, inventoryBurst: 2 });
    expect((await putInventory("SKU-1", 1)).status).toBe(200);
    expect((await putInventory("SKU-1", 2)).status).toBe(200);
    expect(await putInventory("SKU-1", 3)).toMatchObject({ status: 429, retryAfter: "10" });
    clock += 9_999;
    expect((await putInventory("SKU-1", 3)).status).toBe(429);
    clock += 1;
    expect((await putInventory("SKU-1", 3)).status).toBe(200);
    expect(walmart.stats).toMatchObject({ inventoryWrites: 3, violations: 2 });
  });
});

describe("bulk inventory feeds", () => {
  it("processes an inventory (1.4) feed after the delay: one DATA_ERROR, the others applied", async () => {
    walmart.setQuantity("SKU-2", 9);
    const submitted = await submitFeed("inventory", inventoryFeed([{ sku: "SKU-1", amount: 5 }, { sku: "GHOST", amount: 1 }, { sku: "SKU-2", amount: 0 }]));
    expect(submitted.status).toBe(200);
    const feedId = submitted.body["feedId"] as string;
    expect(feedId).toMatch(/@/);

    expect(await feedStatus(feedId)).toMatchObject({ feedStatus: "RECEIVED", itemsReceived: 3, itemsProcessing: 3 });
    clock += 100;
    expect((await feedStatus(feedId)).feedStatus).toBe("INPROGRESS");
    expect(walmart.quantity("SKU-1")).toBe(0);
    clock += 100;
    const done = await feedStatus(feedId);
    expect(done).toMatchObject({ feedStatus: "PROCESSED", itemsReceived: 3, itemsSucceeded: 2, itemsFailed: 1, itemsProcessing: 0, offset: 0, limit: 50 });
    expect(done.itemDetails?.itemIngestionStatus).toEqual([
      { martId: 0, index: 0, sku: "SKU-1", ingestionStatus: "SUCCESS" },
      { martId: 0, index: 1, sku: "GHOST", ingestionStatus: "DATA_ERROR", ingestionErrors: { ingestionError: [{ type: "DATA_ERROR", code: "CONTENT_NOT_FOUND.GMP_INVENTORY_API", description: expect.any(String) }] } },
      { martId: 0, index: 2, sku: "SKU-2", ingestionStatus: "SUCCESS" },
    ]);
    expect([walmart.quantity("SKU-1"), walmart.quantity("SKU-2")]).toEqual([5, 0]);
    expect(walmart.stats).toMatchObject({ feedsSubmitted: 1, itemsApplied: 2, violations: 0 });
    expect(await feedStatus(feedId, "")).not.toHaveProperty("itemDetails");
  });

  it("processes an MP_INVENTORY (1.5) feed per ship node; an item with a bad node fails whole", async () => {
    const file = {
      inventoryHeader: { version: "1.5" },
      inventory: [
        { sku: "SKU-1", shipNodes: [{ shipNode: walmart.defaultShipNode, quantity: { unit: "EACH", amount: 7 } }, { shipNode: "NODE-2", quantity: { unit: "EACH", amount: 3 } }] },
        { sku: "SKU-2", shipNodes: [{ shipNode: "NODE-2", quantity: { unit: "EACH", amount: 8 } }, { shipNode: "NODE-9", quantity: { unit: "EACH", amount: 1 } }] },
      ],
    };
    const feedId = (await submitFeed("MP_INVENTORY", file)).body["feedId"] as string;
    clock += 200;
    const done = await feedStatus(feedId);
    expect(done).toMatchObject({ feedStatus: "PROCESSED", itemsSucceeded: 1, itemsFailed: 1 });
    expect(done.itemDetails?.itemIngestionStatus.map((s) => [s.sku, s.ingestionStatus, s.ingestionErrors?.ingestionError.map((e) => e.code)])).toEqual([
      ["SKU-1", "SUCCESS", undefined],
      ["SKU-2", "DATA_ERROR", ["INVALID_SHIP_NODE"]],
    ]);
    expect([walmart.quantity("SKU-1"), walmart.quantity("SKU-1", "NODE-2"), walmart.quantity("SKU-2", "NODE-2")]).toEqual([7, 3, 0]);
    expect(walmart.feeds).toMatchObject([{ feedId, feedType: "MP_INVENTORY", feedStatus: "PROCESSED" }]);
  });

  it("ends a file that is not its type's feed in ERROR, and pages item details by 50 at most", async () => {
    const wrongSpec = (await submitFeed("MP_INVENTORY", inventoryFeed([{ sku: "SKU-1", amount: 1 }]))).body["feedId"] as string;
    const many = (await submitFeed("inventory", inventoryFeed(Array.from({ length: 60 }, () => ({ sku: "SKU-1", amount: 2 }))))).body["feedId"] as string;
    clock += 200;
    expect(await feedStatus(wrongSpec, "")).toMatchObject({ feedStatus: "ERROR", itemsReceived: 0, ingestionErrors: { ingestionError: [{ type: "DATA_ERROR", code: "INVALID_FEED_FILE" }] } });
    expect((await feedStatus(many, "?includeDetails=true&limit=500")).itemDetails?.itemIngestionStatus).toHaveLength(50);
    const second = await feedStatus(many, "?includeDetails=true&offset=50");
    expect(second.itemDetails?.itemIngestionStatus.map((s) => s.index)).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59]);
    const list = await call("GET", "/v3/feeds");
    expect(list.body).toMatchObject({ totalResults: 2, results: { feed: [{ feedId: many, itemsSucceeded: 60 }, { feedId: wrongSpec, feedStatus: "ERROR" }] } });
  });

  it("answers the 11th feed in an hour with 429, Retry-After and a violation", async () => {
    const feed = inventoryFeed([{ sku: "SKU-1", amount: 1 }]);
    for (let n = 0; n < 10; n += 1) {
      expect((await submitFeed(n % 2 === 0 ? "inventory" : "MP_INVENTORY", feed)).status).toBe(200);
      clock += 60_000;
    }
    const refused = await submitFeed("inventory", feed);
    expect(refused).toMatchObject({ status: 429, retryAfter: String(3_600 - 600) });
    expect(walmart.violations).toEqual([expect.objectContaining({ kind: "feed_rate_limited" })]);
    expect(walmart.stats).toMatchObject({ feedsSubmitted: 10, violations: 1 });
    clock += 3_000_000;
    accessToken = await issueToken();
    expect((await submitFeed("inventory", feed)).status).toBe(200);
  });

  it("answers 413 to a file over 5 MB and 400 to more than 50,000 items, each a violation", async () => {
    const header = '{"InventoryHeader":{"version":"1.4"},"Inventory":[],"pad":"';
    const fileOf = (bytes: number) => `${header}${"x".repeat(bytes - header.length - 2)}"}`;
    expect((await submitFeed("inventory", fileOf(5 * 1024 * 1024))).status).toBe(200);
    const tooLarge = await submitFeed("inventory", fileOf(5 * 1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);

    const items = Array.from({ length: 50_001 }, () => ({ sku: "SKU-1", amount: 1 }));
    expect((await submitFeed("inventory", inventoryFeed(items))).status).toBe(400);
    expect(walmart.violations.map((v) => v.kind)).toEqual(["feed_too_large", "feed_too_many_items"]);
    expect(walmart.stats.feedsSubmitted).toBe(1);
  });

  it("needs multipart/form-data with a file part and a known feedType", async () => {
    const json = await fetch(`${walmart.url}/v3/feeds?feedType=inventory`, { method: "POST", headers: { ...wmHeaders(), "content-type": "application/json" }, body: JSON.stringify(inventoryFeed([])) });
    expect(json.status).toBe(400);
    expect((await submitFeed("price", inventoryFeed([]))).status).toBe(400);
    const form = new FormData();
    form.set("upload", new Blob(["{}"]), "f.json");
    expect((await fetch(`${walmart.url}/v3/feeds?feedType=inventory`, { method: "POST", headers: wmHeaders(), body: form })).status).toBe(400);
    expect(walmart.stats.feedsSubmitted).toBe(0);
  });
});

describe("faults", () => {
  it("answers the next calls with 5xx, then normally", async () => {
    walmart.injectFault({ kind: "status", status: 503 }, 2);
    expect((await putInventory("SKU-1", 3)).status).toBe(503);
    expect((await putInventory("SKU-1", 3)).status).toBe(503);
    expect(walmart.quantity("SKU-1")).toBe(0);
    expect((await putInventory("SKU-1", 3)).status).toBe(200);
    expect(walmart.stats).toMatchObject({ calls: 4, inventoryWrites: 1 });
  });

  it("cuts the connection after applying", async () => {
    walmart.injectFault({ kind: "cut-after-apply" });
    await expect(putInventory("SKU-1", 6)).rejects.toThrow();
    expect(walmart.quantity("SKU-1")).toBe(6);
  });

  it("meets only the requests whose path matches, when a fault names one", async () => {
    walmart.injectFault({ kind: "status", status: 503 }, 1, /^\/v3\/feeds$/);
    expect((await putInventory("SKU-1", 3)).status).toBe(200);
    expect((await call("GET", "/v3/feeds")).status).toBe(503);
    expect((await call("GET", "/v3/feeds")).status).toBe(200);
  });

  it("hangs, with or without applying, until the client gives up", async () => {
    walmart.injectFault({ kind: "hang" });
    walmart.injectFault({ kind: "hang", apply: true });
    const put = (amount: number) =>
      fetch(`${walmart.url}/v3/inventory?sku=SKU-1`, { method: "PUT", headers: { ...wmHeaders(), "content-type": "application/json" }, body: JSON.stringify({ sku: "SKU-1", quantity: { unit: "EACH", amount } }), signal: AbortSignal.timeout(100) });
    await expect(put(1)).rejects.toThrow();
    expect(walmart.quantity("SKU-1")).toBe(0);
    await expect(put(2)).rejects.toThrow();
    expect(walmart.quantity("SKU-1")).toBe(2);
  });

  it("listens on the port asked for", async () => {
    const taken = Number(new URL(walmart.url).port);
    await expect(FakeWalmart.start({ port: taken })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("orders", () => {
  interface OrdersPage {
    list: { meta: { totalCount: number; limit: number; nextCursor?: string }; elements: { order: { purchaseOrderId: string; orderLines: { orderLine: { orderLineStatuses: { orderLineStatus: { status: string }[] } }[] } }[] } };
  }
  const listOrders = async (query: string) => {
    const read = await call("GET", `/v3/orders${query}`);
    expect(read.status).toBe(200);
    return (read.body as unknown as OrdersPage).list;
  };
  const ids = (list: OrdersPage["list"]) => list.elements.order.map((o) => o.purchaseOrderId);
  const seed = (purchaseOrderId: string, minutesAgo = 0) =>
    walmart.addOrder({ purchaseOrderId, orderDate: clock - minutesAgo * 60_000, lines: [{ sku: "SKU-1", qty: 2, unitPrice: 19.99, tax: 3.3 }, { sku: "SKU-2", qty: 1, unitPrice: 5 }] });
  const shipment = (lineNumber: string, amount: number, trackingNumber = "1Z999") => ({
    lineNumber,
    orderLineStatuses: { orderLineStatus: [{ status: "Shipped", statusQuantity: { unitOfMeasurement: "EACH", amount: String(amount) }, trackingInfo: { shipDateTime: clock, carrierName: { carrier: "UPS" }, methodCode: "Standard", trackingNumber } }] },
  });
  const ship = (id: string, ...lines: object[]) => call("POST", `/v3/orders/${id}/shipping`, { body: { orderShipment: { orderLines: { orderLine: lines } } } });

  it("builds a documented-shape order in Created from a seed", () => {
    const order = seed("PO-1");
    expect(order).toMatchObject({ purchaseOrderId: "PO-1", customerOrderId: expect.any(String), customerEmailId: expect.stringContaining("@"), orderDate: clock, shippingInfo: { methodCode: "Standard", postalAddress: { country: "USA" } } });
    expect(order.orderLines.orderLine[0]).toEqual({
      lineNumber: "1",
      item: { productName: "Product SKU-1", sku: "SKU-1" },
      charges: { charge: [{ chargeType: "PRODUCT", chargeName: "ItemPrice", chargeAmount: { currency: "USD", amount: 39.98 }, tax: { taxName: "Tax1", taxAmount: { currency: "USD", amount: 3.3 } } }] },
      orderLineQuantity: { unitOfMeasurement: "EACH", amount: "2" },
      statusDate: clock,
      orderLineStatuses: { orderLineStatus: [{ status: "Created", statusQuantity: { unitOfMeasurement: "EACH", amount: "2" } }] },
    });
    expect(order.orderLines.orderLine[1]?.charges.charge[0]).not.toHaveProperty("tax");
    expect(() => seed("PO-1")).toThrow(/exists/);
  });

  it("lists Created orders oldest first, paging by nextCursor with the first call's filters", async () => {
    seed("PO-NEW", 10);
    seed("PO-OLD", 50);
    seed("PO-MID", 30);
    seed("PO-ACK", 40);
    seed("PO-STALE", 8 * 24 * 60); // before the default createdStartDate (7 days)
    expect((await call("POST", "/v3/orders/PO-ACK/acknowledge")).status).toBe(200);

    const first = await listOrders("?status=Created&limit=2");
    expect(ids(first)).toEqual(["PO-OLD", "PO-MID"]);
    expect(first.meta).toMatchObject({ totalCount: 3, limit: 2, nextCursor: expect.stringContaining("hasMoreElements=true") });
    // The cursor carries status=Created and limit=2: a conflicting filter beside it is ignored.
    const second = await listOrders(`?nextCursor=${encodeURIComponent(first.meta.nextCursor!)}&status=Shipped`);
    expect(ids(second)).toEqual(["PO-NEW"]);
    expect(second.meta).not.toHaveProperty("nextCursor");
    // Walmart's documented form: the cursor appended to the path.
    expect(ids(await listOrders(first.meta.nextCursor!))).toEqual(["PO-NEW"]);

    expect(ids(await listOrders("?status=Acknowledged"))).toEqual(["PO-ACK"]);
    expect(ids(await listOrders(`?createdStartDate=${new Date(clock - 9 * 86_400_000).toISOString()}`))).toEqual(["PO-STALE", "PO-OLD", "PO-ACK", "PO-MID", "PO-NEW"]);
    expect(ids(await listOrders(`?lastModifiedStartDate=${clock - 1}`))).toEqual(["PO-ACK"]);
    expect((await listOrders("")).meta.limit).toBe(100);
    for (const bad of ["?limit=201", "?limit=0", "?status=Open", "?createdStartDate=yesterday", "?nextCursor=%3FpoIndex%3D999"]) {
      expect((await call("GET", `/v3/orders${bad}`)).status, bad).toBe(400);
    }
  });

  it("acknowledges: Created lines become Acknowledged, twice is fine, in time is told; shipped or cancelled → 400, unknown → 404", async () => {
    seed("PO-1", 60);
    seed("PO-LATE", 5 * 60);
    seed("PO-X");
    const acked = await call("POST", "/v3/orders/PO-1/acknowledge");
    expect(acked.status).toBe(200);
    const statuses = (acked.body as unknown as { order: OrdersPage["list"]["elements"]["order"][number] }).order.orderLines.orderLine.map((l) => l.orderLineStatuses.orderLineStatus.map((s) => s.status));
    expect(statuses).toEqual([["Acknowledged"], ["Acknowledged"]]);
    const at = clock;
    clock += 1_000;
    expect((await call("POST", "/v3/orders/PO-1/acknowledge")).status).toBe(200);
    expect(walmart.order("PO-1")).toMatchObject({ acknowledged: true, acknowledgedAt: at, acknowledgedInTime: true });
    expect(ids(await listOrders("?status=Created"))).toEqual(["PO-LATE", "PO-X"]);

    expect((await call("POST", "/v3/orders/PO-LATE/acknowledge")).status).toBe(200);
    expect(walmart.acknowledgedInTime("PO-LATE")).toBe(false);
    expect(walmart.acknowledgedInTime("PO-X")).toBe(false);

    walmart.cancelOrder("PO-X");
    const cancelled = await call("POST", "/v3/orders/PO-X/acknowledge");
    expect(cancelled.status).toBe(400);
    expect(codes(cancelled)).toEqual(["INVALID_REQUEST_CONTENT.GMP_ORDER_API"]);
    expect(walmart.order("PO-X")).toMatchObject({ acknowledged: false, lines: [{ statuses: [{ status: "Cancelled", quantity: 2 }] }, { statuses: [{ status: "Cancelled", quantity: 1 }] }] });
    expect(ids(await listOrders("?status=Cancelled"))).toEqual(["PO-X"]);

    expect((await ship("PO-1", shipment("2", 1))).status).toBe(200);
    expect((await call("POST", "/v3/orders/PO-1/acknowledge")).status).toBe(400);
    expect((await call("POST", "/v3/orders/NOPE/acknowledge")).status).toBe(404);
    expect((await call("GET", "/v3/orders/PO-1/acknowledge")).status).toBe(405);
  });

  it("ships: records tracking per line, partial then the rest; more than ordered → 400 with nothing applied; unknown → 404", async () => {
    seed("PO-1");
    await call("POST", "/v3/orders/PO-1/acknowledge");
    clock += 60_000;
    const shipped = await ship("PO-1", shipment("1", 1, "T-1"), shipment("2", 1, "T-2"));
    expect(shipped.status).toBe(200);
    expect(shipped.body).toMatchObject({ order: { purchaseOrderId: "PO-1", orderLines: { orderLine: [{ statusDate: clock }, {}] } } });
    expect(walmart.order("PO-1").lines.map((l) => l.statuses)).toEqual([
      [{ status: "Acknowledged", quantity: 1 }, { status: "Shipped", quantity: 1 }],
      [{ status: "Shipped", quantity: 1 }],
    ]);
    expect(walmart.order("PO-1").shipments).toEqual([
      { at: clock, lineNumber: "1", quantity: 1, trackingInfo: { shipDateTime: clock, carrierName: { carrier: "UPS" }, methodCode: "Standard", trackingNumber: "T-1" } },
      { at: clock, lineNumber: "2", quantity: 1, trackingInfo: expect.objectContaining({ trackingNumber: "T-2" }) },
    ]);

    const over = await ship("PO-1", shipment("1", 1, "T-3"), shipment("2", 1, "T-4"));
    expect(over.status).toBe(400);
    expect(walmart.order("PO-1").shipments).toHaveLength(2);
    expect((await ship("PO-1", shipment("1", 2))).status).toBe(400);
    expect((await ship("PO-1", shipment("9", 1))).status).toBe(400);
    expect((await ship("PO-1", { lineNumber: "1", orderLineStatuses: { orderLineStatus: [{ status: "Shipped", statusQuantity: { unitOfMeasurement: "EACH", amount: "1" } }] } })).status).toBe(400);
    expect((await ship("PO-1", shipment("1", 1, "T-5"))).status).toBe(200);
    expect(walmart.order("PO-1").lines[0]?.statuses).toEqual([{ status: "Shipped", quantity: 1 }, { status: "Shipped", quantity: 1 }]);
    expect(ids(await listOrders("?status=Shipped"))).toEqual(["PO-1"]);
    expect((await call("GET", "/v3/orders/PO-1")).body).toMatchObject({ order: { purchaseOrderId: "PO-1" } });
    expect((await ship("NOPE", shipment("1", 1))).status).toBe(404);
  });

  it("rate limits GET /v3/orders as configured: 429, Retry-After and a violation", async () => {
    await walmart.close();
    await startWalmart({ ordersCallsPerMinute: 6, ordersBurst: 2 });
    seed("PO-1");
    await listOrders("");
    await listOrders("");
    const throttled = await call("GET", "/v3/orders");
    expect(throttled).toMatchObject({ status: 429, retryAfter: "10" });
    expect(codes(throttled)).toEqual(["REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API"]);
    expect(walmart.violations.map((v) => v.kind)).toEqual(["orders_rate_limited"]);
    // Acknowledging is not in that bucket.
    expect((await call("POST", "/v3/orders/PO-1/acknowledge")).status).toBe(200);
    clock += 10_000;
    expect(ids(await listOrders(""))).toEqual(["PO-1"]);
  });

  it("refuses past the default bucket of 20", async () => {
    for (let n = 0; n < 20; n += 1) await listOrders("");
    expect((await call("GET", "/v3/orders")).status).toBe(429);
    expect(walmart.stats.violations).toBe(1);
  });
});
