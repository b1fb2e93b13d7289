import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeAmazon, type AmazonSeller, type FakeAmazonOptions } from "./amazon.ts";

interface Answer {
  status: number;
  rateLimit: string | null;
  body: Record<string, unknown> & { errors?: { code: string; message: string; details?: string }[] };
}

const marketplace = "ATVPDKIKX0DER";
let clock = 1_760_000_000_000;
let amazon: FakeAmazon;
let seller: AmazonSeller;
let accessToken: string;

async function startAmazon(options: FakeAmazonOptions = {}): Promise<void> {
  amazon = await FakeAmazon.start({ now: () => clock, ...options });
  seller = amazon.seller;
  amazon.addListing(seller.sellerId, "SKU-1", "SHIRT");
  amazon.addListing(seller.sellerId, "SKU-2", "SHIRT");
  accessToken = await issueToken();
}

beforeEach(() => startAmazon());
afterEach(() => amazon.close());

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, rateLimit: response.headers.get("x-amzn-ratelimit-limit"), body: text ? (JSON.parse(text) as Answer["body"]) : {} };
}

function tokenCall(fields: Partial<Record<"grant_type" | "refresh_token" | "client_id" | "client_secret", string>> = {}): Promise<Answer> {
  const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: seller.refreshToken, client_id: seller.clientId, client_secret: seller.clientSecret, ...fields });
  return fetch(`${amazon.url}/auth/o2/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form }).then(answer);
}

async function issueToken(refreshToken = seller.refreshToken): Promise<string> {
  const issued = await tokenCall({ refresh_token: refreshToken });
  expect(issued.status).toBe(200);
  return issued.body["access_token"] as string;
}

function call(method: string, path: string, body?: unknown, token: string | null = accessToken): Promise<Answer> {
  const headers: Record<string, string> = { accept: "application/json", ...(token === null ? {} : { "x-amz-access-token": token }), ...(body === undefined ? {} : { "content-type": "application/json" }) };
  return fetch(`${amazon.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }).then(answer);
}

const quantityPatch = (quantity: number, op = "replace") => ({ op, path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity }] });

const patch = (sku: string, quantity: number, options: { productType?: string; sellerId?: string; token?: string } = {}) =>
  call(
    "PATCH",
    `/listings/2021-08-01/items/${options.sellerId ?? seller.sellerId}/${encodeURIComponent(sku)}?marketplaceIds=${marketplace}`,
    { productType: options.productType ?? "SHIRT", patches: [quantityPatch(quantity)] },
    options.token ?? accessToken,
  );

const getItem = (sku: string, token: string | null = accessToken) =>
  call("GET", `/listings/2021-08-01/items/${seller.sellerId}/${encodeURIComponent(sku)}?marketplaceIds=${marketplace}&includedData=summaries,fulfillmentAvailability`, undefined, token);

const codes = (a: Answer) => a.body.errors?.map((e) => e.code);

describe("LWA tokens", () => {
  it("grants a bearer token for the refresh token that lasts 3600 s of the server's clock", async () => {
    const issued = await tokenCall();
    expect(issued).toMatchObject({ status: 200, body: { token_type: "bearer", expires_in: 3600, access_token: expect.any(String) } });
    const token = issued.body["access_token"] as string;
    clock += 3_599_999;
    expect((await getItem("SKU-1", token)).status).toBe(200);
    clock += 1;
    const expired = await getItem("SKU-1", token);
    expect(expired.status).toBe(403);
    expect(expired.body.errors).toEqual([{ code: "Unauthorized", message: "Access to requested resource is denied.", details: "The access token you provided has expired." }]);
    expect(amazon.stats.tokensIssued).toBe(2);
  });

  it("answers 401 invalid_client and 400 invalid_grant as LWA does", async () => {
    expect(await tokenCall({ client_secret: "nope" })).toMatchObject({ status: 401, body: { error: "invalid_client", error_description: expect.any(String) } });
    expect(await tokenCall({ refresh_token: "Atzr|unknown" })).toMatchObject({ status: 400, body: { error: "invalid_grant" } });
    expect(await tokenCall({ grant_type: "client_credentials" })).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
    expect(amazon.stats.tokensIssued).toBe(1);
  });

  it("answers 403 Unauthorized to a call without a token or with an unknown one", async () => {
    for (const token of [null, "Atza|never-issued"]) {
      const refused = await getItem("SKU-1", token);
      expect(refused.status).toBe(403);
      expect(codes(refused)).toEqual(["Unauthorized"]);
    }
  });
});

describe("patchListingsItem and getListingsItem", () => {
  it("answers ACCEPTED, shows the quantity after the delay, and reads it back with the productType", async () => {
    const accepted = await patch("SKU-1", 7);
    expect(accepted).toMatchObject({ status: 200, rateLimit: "5", body: { sku: "SKU-1", status: "ACCEPTED", submissionId: expect.any(String), issues: [] } });
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBeNull();
    clock += 99;
    expect((await getItem("SKU-1")).body["fulfillmentAvailability"]).toEqual([]);
    clock += 1;
    const read = await getItem("SKU-1");
    expect(read).toMatchObject({ status: 200, rateLimit: "5", body: { sku: "SKU-1", summaries: [{ marketplaceId: marketplace, productType: "SHIRT" }], fulfillmentAvailability: [{ fulfillmentChannelCode: "DEFAULT", quantity: 7 }] } });
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBe(7);

    amazon.setQuantity(seller.sellerId, "SKU-1", 3);
    const merge = { productType: "SHIRT", patches: [{ op: "merge", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "AMAZON_NA", quantity: 2 }] }] };
    expect((await call("PATCH", `/listings/2021-08-01/items/${seller.sellerId}/SKU-1?marketplaceIds=${marketplace}`, merge)).body["status"]).toBe("ACCEPTED");
    clock += 100;
    expect([amazon.quantity(seller.sellerId, "SKU-1"), amazon.quantity(seller.sellerId, "SKU-1", "AMAZON_NA")]).toEqual([3, 2]);
    expect(amazon.stats).toMatchObject({ patches: 2, violations: 0 });
  });

  it("answers INVALID with an issue for an unknown SKU and for the wrong productType, and 404 to reading an unknown SKU", async () => {
    const unknown = await patch("GHOST", 1);
    expect(unknown).toMatchObject({ status: 200, body: { sku: "GHOST", status: "INVALID", issues: [{ code: "4000001", severity: "ERROR", message: expect.any(String) }] } });
    const wrongType = await patch("SKU-1", 1, { productType: "LUGGAGE" });
    expect(wrongType.body).toMatchObject({ status: "INVALID", issues: [{ code: "4000002", severity: "ERROR" }] });
    const notFound = await getItem("GHOST");
    expect(notFound.status).toBe(404);
    expect(codes(notFound)).toEqual(["NOT_FOUND"]);
    clock += 1_000;
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBeNull();
    expect(amazon.stats.patches).toBe(0);
  });

  it("refuses the 6th quick patch of a seller with 429 QuotaExceeded and a violation, then refills at 5 a second", async () => {
    for (let n = 1; n <= 5; n += 1) expect((await patch("SKU-1", n)).status).toBe(200);
    const throttled = await patch("SKU-1", 6);
    expect(throttled).toMatchObject({ status: 429, rateLimit: "5" });
    expect(codes(throttled)).toEqual(["QuotaExceeded"]);
    expect(amazon.violations).toEqual([expect.objectContaining({ kind: "rate_limited", bucket: "patchListingsItem", sellerId: seller.sellerId })]);
    clock += 200;
    expect((await patch("SKU-1", 6)).status).toBe(200);
    clock += 100;
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBe(6);
  });

  it("shares the application's patch bucket between sellers", async () => {
    await amazon.close();
    await startAmazon({ rates: { "patchListingsItem/application": { rate: 1, burst: 3 } } });
    const other = amazon.addSeller({ sellerId: "A2OTHERSELLER", refreshToken: "Atzr|other" });
    amazon.addListing(other.sellerId, "SKU-9", "SHIRT");
    const otherToken = await issueToken(other.refreshToken);
    expect((await patch("SKU-1", 1)).status).toBe(200);
    expect((await patch("SKU-1", 2)).status).toBe(200);
    expect((await patch("SKU-9", 1, { sellerId: other.sellerId, token: otherToken })).status).toBe(200);
    const throttled = await patch("SKU-9", 2, { sellerId: other.sellerId, token: otherToken });
    expect(throttled.status).toBe(429);
    expect(amazon.violations).toEqual([expect.objectContaining({ bucket: "patchListingsItem/application", sellerId: other.sellerId })]);
    clock += 2_000;
    expect((await patch("SKU-1", 2, { token: otherToken })).status).toBe(403);
    expect((await patch("SKU-9", 2, { sellerId: other.sellerId, token: otherToken })).status).toBe(200);
  });
});

describe("JSON_LISTINGS_FEED", () => {
  const feedDocument = (messages: object[], sellerId = seller.sellerId) => ({ header: { sellerId, version: "2.0", issueLocale: "en_US" }, messages });
  const message = (messageId: number, sku: string, quantity: number, productType = "SHIRT") => ({ messageId, sku, operationType: "PATCH", productType, patches: [quantityPatch(quantity)] });

  async function submitFeed(document: object): Promise<Answer> {
    const created = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json; charset=UTF-8" });
    expect(created.status).toBe(201);
    const uploaded = await fetch(created.body["url"] as string, { method: "PUT", headers: { "content-type": "application/json; charset=UTF-8" }, body: JSON.stringify(document) });
    expect(uploaded.status).toBe(200);
    return call("POST", "/feeds/2021-06-30/feeds", { feedType: "JSON_LISTINGS_FEED", marketplaceIds: [marketplace], inputFeedDocumentId: created.body["feedDocumentId"] });
  }

  async function resultOf(feedId: string): Promise<Record<string, unknown>> {
    const feed = await call("GET", `/feeds/2021-06-30/feeds/${feedId}`);
    const documentAnswer = await call("GET", `/feeds/2021-06-30/documents/${encodeURIComponent(feed.body["resultFeedDocumentId"] as string)}`);
    expect(documentAnswer).toMatchObject({ status: 200, rateLimit: "0.0222" });
    return (await (await fetch(documentAnswer.body["url"] as string)).json()) as Record<string, unknown>;
  }

  it("processes a feed after the delay: accepted messages apply, the bad one is an issue in the processing report", async () => {
    amazon.addListing(seller.sellerId, "SKU-3", "LUGGAGE");
    const submitted = await submitFeed(feedDocument([message(1, "SKU-1", 4), message(2, "GHOST", 1), message(3, "SKU-2", 9), { messageId: 4, sku: "SKU-3", operationType: "PARTIAL_UPDATE", productType: "LUGGAGE", attributes: { fulfillment_availability: [{ fulfillment_channel_code: "DEFAULT", quantity: 2 }] } }]));
    expect(submitted).toMatchObject({ status: 202, rateLimit: "0.0083", body: { feedId: expect.any(String) } });
    const feedId = submitted.body["feedId"] as string;

    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body).toMatchObject({ feedId, feedType: "JSON_LISTINGS_FEED", processingStatus: "IN_QUEUE" });
    clock += 500;
    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body).not.toHaveProperty("resultFeedDocumentId");
    expect(amazon.feedStatus(feedId)).toBe("IN_PROGRESS");
    clock += 500;
    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body).toMatchObject({ processingStatus: "DONE", resultFeedDocumentId: expect.any(String) });
    expect(await resultOf(feedId)).toEqual({
      header: { sellerId: seller.sellerId, version: "2.0", feedId },
      issues: [{ messageId: 2, code: "4000001", severity: "ERROR", message: expect.any(String) }],
      summary: { errors: 1, warnings: 0, messagesProcessed: 4, messagesAccepted: 3, messagesInvalid: 1 },
    });
    expect([amazon.quantity(seller.sellerId, "SKU-1"), amazon.quantity(seller.sellerId, "SKU-2"), amazon.quantity(seller.sellerId, "SKU-3")]).toEqual([4, 9, 2]);
    expect(amazon.stats).toMatchObject({ feedsCreated: 1, messagesApplied: 3, violations: 0 });
  });

  it("refuses the 6th JSON_LISTINGS_FEED within 5 minutes with 429 and a violation", async () => {
    for (let n = 1; n <= 5; n += 1) expect((await submitFeed(feedDocument([message(1, "SKU-1", n)]))).status).toBe(202);
    const refused = await submitFeed(feedDocument([message(1, "SKU-1", 6)]));
    expect(refused.status).toBe(429);
    expect(codes(refused)).toEqual(["QuotaExceeded"]);
    expect(amazon.violations.map((v) => v.bucket)).toEqual(["JSON_LISTINGS_FEED"]);
    clock += 60_000;
    expect((await submitFeed(feedDocument([message(1, "SKU-1", 6)]))).status).toBe(202);
    expect(amazon.stats.feedsCreated).toBe(6);
  });

  it("ends a feed of more than 25,000 messages in FATAL, a violation", async () => {
    const feedId = (await submitFeed(feedDocument(Array.from({ length: 25_001 }, (_, i) => message(i + 1, "SKU-1", 1))))).body["feedId"] as string;
    clock += 1_000;
    expect((await call("GET", `/feeds/2021-06-30/feeds/${feedId}`)).body).toMatchObject({ processingStatus: "FATAL" });
    expect(await resultOf(feedId)).toMatchObject({ summary: { messagesProcessed: 0 }, issues: [{ severity: "ERROR" }] });
    expect(amazon.violations.map((v) => v.kind)).toEqual(["feed_too_many_messages"]);
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBeNull();
  });

  it("refuses an upload whose Content-Type is not the signed one", async () => {
    const created = await call("POST", "/feeds/2021-06-30/documents", { contentType: "application/json; charset=UTF-8" });
    expect((await fetch(created.body["url"] as string, { method: "PUT", body: "{}" })).status).toBe(403);
  });
});

describe("faults", () => {
  it("answers the next calls with 5xx without applying, then normally", async () => {
    amazon.injectFault({ kind: "status", status: 503 }, 2);
    expect((await patch("SKU-1", 3)).status).toBe(503);
    expect((await patch("SKU-1", 3)).status).toBe(503);
    expect((await patch("SKU-1", 3)).status).toBe(200);
    clock += 100;
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBe(3);
    expect(amazon.stats).toMatchObject({ patches: 1, calls: 4 });
  });

  it("cuts the connection after accepting the patch", async () => {
    amazon.injectFault({ kind: "cut-after-apply" });
    await expect(patch("SKU-1", 6)).rejects.toThrow();
    clock += 100;
    expect(amazon.quantity(seller.sellerId, "SKU-1")).toBe(6);
  });
});

describe("orders: searchOrders, getOrder, confirmShipment", () => {
  const search = (query: Record<string, string>) => call("GET", `/orders/2026-01-01/orders?${new URLSearchParams(query)}`);
  const sinceHourAgo = () => ({ lastUpdatedAfter: new Date(clock - 3_600_000).toISOString(), marketplaceIds: marketplace, includedData: "RECIPIENT,FULFILLMENT,PROCEEDS" });
  const confirm = (orderId: string, packageDetail: Record<string, unknown>, marketplaceId = marketplace) =>
    call("POST", `/orders/v0/orders/${orderId}/shipmentConfirmation`, { marketplaceId, packageDetail });
  const packageOf = (orderItemId: string, quantity: number, packageReferenceId = "1") => ({ packageReferenceId, carrierCode: "UPS", trackingNumber: "1Z999", shipDate: new Date(clock).toISOString(), orderItems: [{ orderItemId, quantity }] });
  const ordersOf = (a: Answer) => a.body["orders"] as { orderId: string; fulfillment?: { fulfillmentStatus: string }; recipient?: unknown; orderItems: { proceeds?: { breakdowns: { type: string; subtotal: { amount: string } }[] } }[] }[];

  it("lists orders updated before now minus two minutes, with the datasets asked for, and says up to when", async () => {
    const paid = amazon.orders.add({ items: [{ sku: "SKU-1", qty: 2, unitPrice: "19.99", tax: "3.20", shipping: "4.99" }] });
    const pending = amazon.orders.add({ status: "PENDING", items: [{ sku: "SKU-2", qty: 1, unitPrice: "5.00" }] });
    expect(ordersOf(await search(sinceHourAgo()))).toEqual([]);
    clock += 120_001;
    const listed = await search(sinceHourAgo());
    expect(listed).toMatchObject({ status: 200, rateLimit: "0.0056", body: { lastUpdatedBefore: new Date(clock - 120_000).toISOString() } });
    const [first, second] = ordersOf(listed);
    expect(first).toMatchObject({ orderId: paid.orderId, fulfillment: { fulfillmentStatus: "UNSHIPPED" }, recipient: { deliveryAddress: { countryCode: "US" } } });
    expect(first!.orderItems[0]!.proceeds!.breakdowns.map((b) => [b.type, b.subtotal.amount])).toEqual([["ITEM", "39.98"], ["SHIPPING", "4.99"], ["TAX", "3.20"]]);
    expect(second).toMatchObject({ orderId: pending.orderId, fulfillment: { fulfillmentStatus: "PENDING" } });
    expect(second).not.toHaveProperty("recipient");
    const bare = ordersOf(await search({ lastUpdatedAfter: new Date(clock - 3_600_000).toISOString() }))[0]!;
    expect(bare).not.toHaveProperty("fulfillment");

    // Paid: an update, listed by the next search from the previous bound.
    amazon.orders.pay(pending.orderId);
    clock += 120_001;
    const next = await search({ ...sinceHourAgo(), lastUpdatedAfter: listed.body["lastUpdatedBefore"] as string });
    expect(ordersOf(next).map((o) => [o.orderId, o.fulfillment?.fulfillmentStatus])).toEqual([[pending.orderId, "UNSHIPPED"]]);
  });

  it("refuses a search without exactly one of createdAfter and lastUpdatedAfter, or with a bound less than two minutes old", async () => {
    const now = new Date(clock).toISOString();
    expect(codes(await search({ marketplaceIds: marketplace }))).toEqual(["InvalidInput"]);
    expect((await search({ createdAfter: now, lastUpdatedAfter: now })).status).toBe(400);
    expect((await search({ lastUpdatedAfter: new Date(clock - 600_000).toISOString(), lastUpdatedBefore: new Date(clock - 60_000).toISOString() })).status).toBe(400);
    expect((await search({ lastUpdatedAfter: "yesterday" })).status).toBe(400);
    expect((await search({ lastUpdatedAfter: now, maxResultsPerPage: "101" })).status).toBe(400);
  });

  it("pages by paginationToken, which must come with the same filters and expires after 24 hours", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => amazon.orders.add({ items: [{ sku: `SKU-${i}`, qty: 1, unitPrice: "1.00" }] }).orderId);
    clock += 120_001;
    const query = { ...sinceHourAgo(), maxResultsPerPage: "2" };
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await search(token ? { ...query, paginationToken: token } : query);
      expect(page.status).toBe(200);
      seen.push(...ordersOf(page).map((o) => o.orderId));
      token = (page.body["pagination"] as { nextToken?: string } | undefined)?.nextToken;
      pages += 1;
    } while (token);
    expect([pages, seen]).toEqual([3, ids]);

    const first = await search(query);
    const nextToken = (first.body["pagination"] as { nextToken: string }).nextToken;
    expect((await search({ ...query, marketplaceIds: "A1F83G8C2ARO7P", paginationToken: nextToken })).status).toBe(400);
    expect((await search({ ...query, maxResultsPerPage: "100", paginationToken: nextToken })).status).toBe(200);
    clock += 24 * 3_600_000 + 1;
    accessToken = await issueToken();
    const expired = await search({ ...query, paginationToken: nextToken });
    expect(expired).toMatchObject({ status: 400, body: { errors: [{ code: "InvalidInput", message: expect.stringContaining("expired") }] } });
  });

  it("confirms a shipment with 204, shows its package on getOrder, and refuses too many units, a repeated package, a pending or unknown order", async () => {
    const order = amazon.orders.add({ items: [{ sku: "SKU-1", qty: 3, unitPrice: "10.00" }] });
    const itemId = order.items[0]!.orderItemId;
    const shipped = await confirm(order.orderId, packageOf(itemId, 2));
    expect(shipped).toMatchObject({ status: 204, rateLimit: "2" });
    expect(amazon.orders.view(order.orderId)).toMatchObject({ status: "PARTIALLY_SHIPPED", items: [{ shipped: 2 }], packages: [{ packageReferenceId: "1", carrierCode: "UPS", trackingNumber: "1Z999" }] });
    const read = await call("GET", `/orders/2026-01-01/orders/${order.orderId}?includedData=PACKAGES,FULFILLMENT`);
    expect(read).toMatchObject({ status: 200, rateLimit: "0.5", body: { order: { fulfillment: { fulfillmentStatus: "PARTIALLY_SHIPPED" }, packages: [{ packageReferenceId: "1", carrier: "UPS", trackingNumber: "1Z999", packageItems: [{ orderItemId: itemId, quantity: 2 }] }] } } });

    expect(codes(await confirm(order.orderId, packageOf(itemId, 2, "2")))).toEqual(["InvalidInput"]);
    expect((await confirm(order.orderId, packageOf(itemId, 1, "1"))).status).toBe(400);
    expect((await confirm(order.orderId, packageOf("999", 1, "2"))).status).toBe(400);
    expect((await confirm(order.orderId, { ...packageOf(itemId, 1, "2"), carrierCode: "" })).status).toBe(400);
    expect((await confirm(order.orderId, packageOf(itemId, 1, "X"))).status).toBe(400);
    expect((await confirm(order.orderId, packageOf(itemId, 1, "2"), "A1F83G8C2ARO7P")).status).toBe(400);
    expect((await confirm("114-0000000-0000000", packageOf(itemId, 1, "2"))).status).toBe(404);
    const pending = amazon.orders.add({ status: "PENDING", items: [{ sku: "SKU-2", qty: 1, unitPrice: "1.00" }] });
    expect((await confirm(pending.orderId, packageOf(pending.items[0]!.orderItemId, 1))).status).toBe(400);
    expect((await call("GET", "/orders/2026-01-01/orders/114-0000000-0000000")).status).toBe(404);

    expect((await confirm(order.orderId, packageOf(itemId, 1, "2"))).status).toBe(204);
    expect(amazon.orders.view(order.orderId)).toMatchObject({ status: "SHIPPED", items: [{ shipped: 3 }] });
    expect(amazon.orders.confirmations).toBe(2);
  });

  it("cancels an order, an update the next search lists as CANCELLED", async () => {
    const order = amazon.orders.add({ items: [{ sku: "SKU-1", qty: 1, unitPrice: "10.00" }] });
    clock += 1_000;
    amazon.orders.cancel(order.orderId);
    clock += 120_001;
    expect(ordersOf(await search(sinceHourAgo())).map((o) => o.fulfillment?.fulfillmentStatus)).toEqual(["CANCELLED"]);
    expect((await confirm(order.orderId, packageOf(order.items[0]!.orderItemId, 1))).status).toBe(400);
  });

  it("refuses the 21st quick search and the 11th quick confirmation with 429, counting each violation", async () => {
    for (let n = 1; n <= 20; n += 1) expect((await search(sinceHourAgo())).status).toBe(200);
    const throttled = await search(sinceHourAgo());
    expect(throttled.status).toBe(429);
    expect(codes(throttled)).toEqual(["QuotaExceeded"]);
    clock += 179_000;
    expect((await search(sinceHourAgo())).status).toBe(200);

    const order = amazon.orders.add({ items: [{ sku: "SKU-1", qty: 20, unitPrice: "1.00" }] });
    for (let n = 1; n <= 10; n += 1) expect((await confirm(order.orderId, packageOf(order.items[0]!.orderItemId, 1, String(n)))).status).toBe(204);
    expect((await confirm(order.orderId, packageOf(order.items[0]!.orderItemId, 1, "11"))).status).toBe(429);
    expect(amazon.violations.map((v) => v.bucket)).toEqual(["searchOrders", "confirmShipment"]);
    expect(amazon.stats.violations).toBe(2);
  });

  it("cuts the connection after applying a confirmation when told to, only on the path given", async () => {
    const order = amazon.orders.add({ items: [{ sku: "SKU-1", qty: 2, unitPrice: "1.00" }] });
    amazon.injectFault({ kind: "cut-after-apply" }, 1, /\/shipmentConfirmation$/);
    amazon.injectFault({ kind: "status", status: 503 }, 1, /\/shipmentConfirmation$/);
    expect((await getItem("SKU-1")).status).toBe(200);
    await expect(confirm(order.orderId, packageOf(order.items[0]!.orderItemId, 1))).rejects.toThrow();
    expect(amazon.orders.view(order.orderId).items[0]!.shipped).toBe(1);
    expect((await confirm(order.orderId, packageOf(order.items[0]!.orderItemId, 1, "2"))).status).toBe(503);
    expect(amazon.orders.view(order.orderId).items[0]!.shipped).toBe(1);
  });
});
