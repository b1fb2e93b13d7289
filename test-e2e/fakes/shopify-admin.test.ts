import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { affordableAt, spend, type BucketState } from "../../durable/connectors/cost-bucket.ts";
import {
  availableAt,
  availableAtLocationDocument,
  createFulfillment,
  openLineItems,
  inventoryItemsOf,
  setAvailable,
  setAvailableDocument,
  variantsBySkuDocument,
  type QuantityToSet,
  type ShopifyTarget,
} from "../../durable/connectors/shopify-admin.ts";
import { FakeShopifyAdmin, fakeApiVersion, type FakeShopifyAdminOptions, type SandboxLevel } from "./shopify-admin.ts";

interface GraphqlAnswer {
  status: number;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[] | string;
    extensions?: { cost: { requestedQueryCost: number; actualQueryCost: number | null; throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } } };
  };
}

let clock = 1_760_000_000_000;
let shop: FakeShopifyAdmin;
let location: string;
let item: string;

async function startShop(options: FakeShopifyAdminOptions = {}): Promise<void> {
  shop = await FakeShopifyAdmin.start({ now: () => clock, ...options });
  location = shop.addLocation();
  item = shop.addVariant("SKU-1");
  shop.setQuantity(item, location, 5);
}

beforeEach(() => startShop());
afterEach(() => shop.close());

const target = (overrides: Partial<ShopifyTarget> = {}): ShopifyTarget => ({
  baseUrl: shop.url,
  apiVersion: fakeApiVersion,
  accessToken: shop.accessToken,
  now: () => clock,
  ...overrides,
});

async function post(query: string, variables: object = {}, headers: Record<string, string> = { "x-shopify-access-token": shop.accessToken }, version = fakeApiVersion): Promise<GraphqlAnswer> {
  const response = await fetch(shop.endpoint(version), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as GraphqlAnswer["body"] };
}

const setInput = (quantities: Partial<QuantityToSet>[], name = "available") => ({
  name,
  reason: "correction",
  referenceDocumentUri: "gid://shelfsync/Connection/test",
  quantities: quantities.map((q) => ({ inventoryItemId: item, locationId: location, quantity: 7, changeFromQuantity: 5, ...q })),
});

const setWithChanges = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason referenceDocumentUri changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { code field message }
  }
}`;

const errorCodes = (answer: GraphqlAnswer) => (Array.isArray(answer.body.errors) ? answer.body.errors.map((e) => e.extensions?.["code"]) : []);

describe("the client's own documents", () => {
  it("setAvailableDocument applies, and availableAtLocationDocument reads the quantity back", async () => {
    const written = await setAvailable(target(), [{ inventoryItemId: item, locationId: location, quantity: 7, changeFromQuantity: 5 }], "key-1", "gid://shelfsync/Connection/c1");
    expect(written).toMatchObject({ ok: true, data: { userErrors: [] }, cost: 10 });
    expect(shop.available("SKU-1", location)).toBe(7);
    expect(shop.stats).toMatchObject({ writes: 1, replays: 0, violations: 0 });
    expect(shop.idempotencyKeys).toEqual([expect.objectContaining({ key: "key-1", outcome: "applied" })]);

    const read = await availableAt(target(), [item], location);
    expect(read.ok && read.data).toEqual(new Map([[item, 7]]));
    expect(read.ok && read.cost).toBe(3);
  });

  it("variantsBySkuDocument finds inventory items by SKU, quoted and joined by OR", async () => {
    const other = shop.addVariant('odd "sku" \\ 2');
    shop.addVariant("SKU-3");
    const found = await inventoryItemsOf(target(), ["SKU-1", 'odd "sku" \\ 2', "NOT-IN-SHOP"]);
    expect(found.ok && found.data).toEqual(
      new Map([
        ["SKU-1", item],
        ['odd "sku" \\ 2', other],
      ]),
    );
    // The page is sized to the 3 SKUs asked: 2 for the connection, plus 2 per item (a variant and its inventory item).
    expect(found.ok && found.cost).toBe(2 + 3 * 2);
  });

  it("parses and validates each document against the schema", async () => {
    for (const [document, variables] of [
      [setAvailableDocument, { input: setInput([{}]), idempotencyKey: "doc-check" }],
      [variantsBySkuDocument, { query: "sku:SKU-1", first: 1 }],
      [availableAtLocationDocument, { ids: [item], locationId: location }],
    ] as const) {
      const answer = await post(document, variables);
      expect(answer.body.errors, document).toBeUndefined();
      expect(answer.body.data, document).toBeTruthy();
    }
  });
});

describe("inventorySetQuantities", () => {
  it("returns the adjustment group with every change on success", async () => {
    const answer = await post(setWithChanges, { input: setInput([{}]), key: "k" });
    expect(answer.body.data?.["inventorySetQuantities"]).toEqual({
      inventoryAdjustmentGroup: {
        reason: "correction",
        referenceDocumentUri: "gid://shelfsync/Connection/test",
        changes: [
          { name: "available", delta: 2, quantityAfterChange: 7, item: { id: item }, location: { id: location } },
          { name: "on_hand", delta: 2, quantityAfterChange: 7, item: { id: item }, location: { id: location } },
        ],
      },
      userErrors: [],
    });
    expect(answer.body.extensions?.cost).toMatchObject({ requestedQueryCost: 10, actualQueryCost: 10, throttleStatus: { maximumAvailable: 1000, currentlyAvailable: 990, restoreRate: 100 } });
  });

  it("replays the same key and variables without applying anything", async () => {
    const first = await post(setWithChanges, { input: setInput([{}]), key: "same" });
    shop.setQuantity(item, location, 3);
    const again = await post(setWithChanges, { input: setInput([{}]), key: "same" });
    expect(again.body.data).toEqual(first.body.data);
    expect(shop.available(item, location)).toBe(3);
    expect(shop.stats).toMatchObject({ writes: 1, replays: 1 });
    expect(shop.idempotencyKeys.map((use) => use.outcome)).toEqual(["applied", "replayed"]);
    expect(shop.idempotencyKeys[1]!.variables).toEqual({ input: setInput([{}]), key: "same" });
  });

  it("refuses the same key with other variables: IDEMPOTENCY_KEY_PARAMETER_MISMATCH", async () => {
    await post(setWithChanges, { input: setInput([{}]), key: "same" });
    const other = await post(setWithChanges, { input: setInput([{ quantity: 9, changeFromQuantity: 7 }]), key: "same" });
    expect(other.body.data?.["inventorySetQuantities"]).toMatchObject({ inventoryAdjustmentGroup: null, userErrors: [{ code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" }] });
    expect(shop.available(item, location)).toBe(7);
    expect(shop.stats.writes).toBe(1);
    expect(shop.idempotencyKeys.map((use) => use.outcome)).toEqual(["applied", "mismatch"]);
  });

  it("refuses a stale changeFromQuantity and applies none of the call's quantities", async () => {
    const second = shop.addVariant("SKU-2");
    shop.setQuantity(item, location, 4);
    const answer = await post(setWithChanges, { input: setInput([{ inventoryItemId: second, changeFromQuantity: 0 }, {}]), key: "stale" });
    expect(answer.body.data?.["inventorySetQuantities"]).toEqual({
      inventoryAdjustmentGroup: null,
      userErrors: [{ code: "CHANGE_FROM_QUANTITY_STALE", field: ["input", "quantities", "1", "changeFromQuantity"], message: expect.any(String) }],
    });
    expect([shop.available(second, location), shop.available(item, location)]).toEqual([0, 4]);
    expect(shop.stats.writes).toBe(0);
  });

  it("skips the compare when changeFromQuantity is an explicit null", async () => {
    shop.setQuantity(item, location, 4);
    const answer = await post(setWithChanges, { input: setInput([{ changeFromQuantity: null }]), key: "no-compare" });
    expect(answer.body.data?.["inventorySetQuantities"]).toMatchObject({ userErrors: [] });
    expect(shop.available(item, location)).toBe(7);
  });

  it("names unknown items and locations by the quantity's index", async () => {
    const answer = await post(setWithChanges, {
      input: setInput([{}, { inventoryItemId: "gid://shopify/InventoryItem/999999" }, { locationId: "gid://shopify/Location/999999" }], "committed"),
      key: "unknown",
    });
    const payload = answer.body.data?.["inventorySetQuantities"] as { userErrors: { code: string; field: string[] }[] };
    expect(payload.userErrors.map((e) => [e.code, e.field.join(".")])).toEqual([
      ["INVALID_NAME", "input.name"],
      ["INVALID_INVENTORY_ITEM", "input.quantities.1.inventoryItemId"],
      ["INVALID_LOCATION", "input.quantities.2.locationId"],
    ]);
    expect(shop.available(item, location)).toBe(5);
  });

  it("refuses a quantity that leaves changeFromQuantity out, and a call without @idempotent", async () => {
    const { changeFromQuantity: _, ...absent } = setInput([{}]).quantities[0]!;
    const noCompare = await post(setWithChanges, { input: { ...setInput([]), quantities: [absent] }, key: "absent" });
    expect(noCompare.body.data).toEqual({ inventorySetQuantities: null });
    expect(errorCodes(noCompare)).toEqual(["INVALID_FIELD_ARGUMENTS"]);

    const withoutKey = `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`;
    const noKey = await post(withoutKey, { input: setInput([{}]) });
    expect(noKey.body.data).toEqual({ inventorySetQuantities: null });
    expect(noKey.body.errors).toMatchObject([{ message: expect.stringContaining("@idempotent"), path: ["inventorySetQuantities"], extensions: { code: "BAD_REQUEST" } }]);
    expect(shop.available(item, location)).toBe(5);
    expect(shop.stats.writes).toBe(0);
    expect(shop.idempotencyKeys.map((use) => [use.key, use.outcome])).toEqual([["absent", "invalid"]]);
  });

  it("refuses more than 250 quantities before running anything", async () => {
    const answer = await post(setWithChanges, { input: setInput(Array.from({ length: 251 }, () => ({}))), key: "long" });
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toMatchObject([
      { message: "The input array size of 251 is greater than the maximum allowed of 250.", path: ["inventorySetQuantities", "input", "quantities"], extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" } },
    ]);
    expect(shop.stats).toMatchObject({ writes: 0, violations: 1 });
    expect(shop.idempotencyKeys).toEqual([expect.objectContaining({ key: "long", outcome: "not_run" })]);
  });
});

describe("cost and throttling", () => {
  beforeEach(async () => {
    await shop.close();
    await startShop({ maximumAvailable: 100, restoreRate: 10 });
  });

  const quantity = (n: number) => [{ inventoryItemId: item, locationId: location, quantity: n, changeFromQuantity: null }];

  it("answers THROTTLED, applies nothing and counts a violation when the bucket is short", async () => {
    for (let n = 0; n < 10; n += 1) expect((await setAvailable(target(), quantity(n), `k${n}`, "gid://t/1")).ok).toBe(true);
    const answer = await post(setAvailableDocument, { input: setInput([{ quantity: 42, changeFromQuantity: null }]), idempotencyKey: "k10" });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
      extensions: { cost: { requestedQueryCost: 10, actualQueryCost: null, throttleStatus: { maximumAvailable: 100, currentlyAvailable: 0, restoreRate: 10 } } },
    });
    expect(shop.available(item, location)).toBe(9);
    expect(shop.stats).toMatchObject({ writes: 10, throttled: 1, violations: 1 });
    expect(shop.violations).toEqual([expect.objectContaining({ kind: "throttled" })]);
    expect(shop.idempotencyKeys.at(-1)).toMatchObject({ key: "k10", outcome: "not_run" });

    clock += 1_000;
    expect(await setAvailable(target(), quantity(42), "k10", "gid://t/1")).toMatchObject({ ok: true, bucket: { currentlyAvailable: 0 } });
    expect(shop.available(item, location)).toBe(42);
  });

  it("never throttles a client that waits for the bucket it models", async () => {
    let bucket: BucketState = { maximumAvailable: 100, currentlyAvailable: 100, restoreRate: 10, at: clock };
    for (let n = 0; n < 30; n += 1) {
      clock = affordableAt(bucket, 10, clock);
      bucket = spend(bucket, 10, clock);
      const answer = await setAvailable(target(), quantity(n), `paced-${n}`, "gid://t/1");
      expect(answer.ok).toBe(true);
      if (answer.ok && answer.bucket) bucket = answer.bucket;
    }
    expect(shop.stats).toMatchObject({ writes: 30, throttled: 0, violations: 0 });
  });

  it("refuses a query above the 1000-point cap whatever the bucket holds", async () => {
    await shop.close();
    await startShop({ maximumAvailable: 2000 });
    const deep = `{ productVariants(first: 250) { nodes { inventoryItem { variant { inventoryItem { id } } } } } }`;
    const answer = await post(deep);
    expect(errorCodes(answer)).toEqual(["MAX_COST_EXCEEDED"]);
    expect(answer.body.extensions?.cost).toMatchObject({ requestedQueryCost: 1002, actualQueryCost: null, throttleStatus: { currentlyAvailable: 2000 } });
    expect(shop.violations.map((v) => v.kind)).toEqual(["max_cost_exceeded"]);
  });
});

describe("the HTTP surface", () => {
  it("answers 401 to a wrong or missing access token", async () => {
    for (const headers of [{ "x-shopify-access-token": "shpat_wrong" }, {}] as Record<string, string>[]) {
      const answer = await post(variantsBySkuDocument, { query: "sku:SKU-1", first: 1 }, headers);
      expect(answer).toEqual({ status: 401, body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" } });
    }
    expect((await setAvailable(target({ accessToken: "nope" }), [], "k", "gid://t/1")).ok).toBe(false);
  });

  it("answers 404 to API versions before 2026-04", async () => {
    expect((await post(variantsBySkuDocument, { query: "sku:SKU-1", first: 1 }, undefined, "2026-01")).status).toBe(404);
    expect((await post(variantsBySkuDocument, { query: "sku:SKU-1", first: 1 }, undefined, "2026-04")).status).toBe(200);
  });

  it("answers an invalid document with GraphQL errors and charges nothing", async () => {
    const answer = await post(`{ productVariants(first: 1) { nodes { price } } }`);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors).toMatchObject([{ message: expect.stringContaining("price") }]);
    expect(answer.body.extensions?.cost.throttleStatus.currentlyAvailable).toBe(1000);
  });
});

describe("the sandbox window", () => {
  it("lists every level, or one SKU's, without a token, outside stats and faults", async () => {
    shop.addVariant("SKU-2");
    shop.injectFault({ kind: "status", status: 503 });
    const levels = async (query = "") => {
      const response = await fetch(`${shop.url}/sandbox/levels${query}`);
      return { status: response.status, body: (await response.json()) as { levels: SandboxLevel[] } };
    };
    expect(await levels()).toEqual({
      status: 200,
      body: {
        levels: [
          { sku: "SKU-1", inventoryItemId: item, locationId: location, available: 5, onHand: 5 },
          { sku: "SKU-2", inventoryItemId: expect.stringMatching(/^gid:\/\/shopify\/InventoryItem\//), locationId: location, available: 0, onHand: 0 },
        ],
      },
    });
    expect((await levels("?sku=SKU-1")).body.levels).toEqual([expect.objectContaining({ sku: "SKU-1", available: 5 })]);
    expect((await levels("?sku=NONE")).body.levels).toEqual([]);
    expect((await fetch(`${shop.url}/sandbox/levels`, { method: "POST" })).status).toBe(405);
    expect(shop.stats.calls).toBe(0);
    expect((await post(variantsBySkuDocument, { query: "sku:SKU-1", first: 1 })).status).toBe(503);
  });

  it("listens on the port asked for", async () => {
    const taken = Number(new URL(shop.url).port);
    await expect(FakeShopifyAdmin.start({ port: taken })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("reads", () => {
  it("finds variants by sku: terms, refuses other syntax and pages above 250", async () => {
    shop.addVariant("SKU-2");
    const query = `query($q: String, $first: Int!) { productVariants(first: $first, query: $q) { nodes { sku } pageInfo { hasNextPage } } }`;
    const skus = async (q: string | null, first = 10) => {
      const answer = await post(query, { q, first });
      return answer.body.errors ?? answer.body.data?.["productVariants"];
    };
    expect(await skus('sku:SKU-1 OR sku:"sku-2"')).toEqual({ nodes: [{ sku: "SKU-1" }, { sku: "SKU-2" }], pageInfo: { hasNextPage: false } });
    expect(await skus(null, 1)).toEqual({ nodes: [{ sku: "SKU-1" }], pageInfo: { hasNextPage: true } });
    expect(await skus("title:shirt")).toMatchObject([{ message: expect.stringContaining("sku:X") }]);
    expect(await skus("sku:SKU-1", 251)).toMatchObject([{ extensions: { code: "BAD_REQUEST" } }]);
    expect(shop.violations.map((v) => v.kind)).toEqual(["page_size_exceeded"]);
  });

  it("reads inventory levels through nodes(ids:)", async () => {
    const query = `query($ids: [ID!]!, $loc: ID!) {
      nodes(ids: $ids) { id ... on InventoryItem { sku inventoryLevel(locationId: $loc) { quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } }
    }`;
    const answer = await post(query, { ids: [item, "gid://shopify/InventoryItem/424242", location], loc: location });
    expect(answer.body.data?.["nodes"]).toEqual([
      {
        id: item,
        sku: "SKU-1",
        inventoryLevel: {
          quantities: [
            { name: "available", quantity: 5 },
            { name: "on_hand", quantity: 5 },
            { name: "committed", quantity: 0 },
          ],
        },
      },
      null,
      { id: location },
    ]);
    expect(answer.body.extensions?.cost.requestedQueryCost).toBe(9);
    const elsewhere = await availableAt(target(), [item], "gid://shopify/Location/424242");
    expect(elsewhere.ok && elsewhere.data).toEqual(new Map([[item, null]]));
  });
});

describe("faults", () => {
  const write = (key: string, timeoutMs?: number) =>
    setAvailable(target({ timeoutMs }), [{ inventoryItemId: item, locationId: location, quantity: 7, changeFromQuantity: 5 }], key, "gid://t/1");

  it("answers the next calls with 5xx, then normally", async () => {
    shop.injectFault({ kind: "status", status: 503 }, 2);
    expect(await write("k")).toMatchObject({ ok: false, kind: "transient" });
    expect(await write("k")).toMatchObject({ ok: false, kind: "transient" });
    expect(await write("k")).toMatchObject({ ok: true });
    expect(shop.stats).toMatchObject({ calls: 3, writes: 1 });
  });

  it("hangs until the client gives up, with or without applying", async () => {
    shop.injectFault({ kind: "hang" });
    expect(await write("k", 200)).toMatchObject({ ok: false, kind: "transient" });
    expect(shop.available(item, location)).toBe(5);

    shop.injectFault({ kind: "hang", apply: true });
    expect(await write("k", 200)).toMatchObject({ ok: false, kind: "transient" });
    expect(shop.available(item, location)).toBe(7);
  });

  it("cuts the connection after applying: the retry with the same key is a replay", async () => {
    shop.injectFault({ kind: "cut-after-apply" });
    expect(await write("cut")).toMatchObject({ ok: false, kind: "transient" });
    expect(shop.available(item, location)).toBe(7);
    expect(await write("cut")).toMatchObject({ ok: true, data: { userErrors: [] } });
    expect(shop.stats).toMatchObject({ writes: 1, replays: 1 });
  });
});

describe("the fake shop's orders and fulfillments", () => {
  it("lists what is left to ship, ships it once per call with tracking, and refuses more than is left, shipping nothing", async () => {
    shop.orders.add("5001", [
      { sku: "SKU-1", qty: 3 },
      { sku: "SKU-2", qty: 1 },
    ]);
    const open = await openLineItems(target(), "5001");
    if (!open.ok || !open.data) throw new Error(`no open line items: ${JSON.stringify(open)}`);
    expect(open.data.map(({ sku, remainingQuantity }) => ({ sku, remainingQuantity }))).toEqual([
      { sku: "SKU-1", remainingQuantity: 3 },
      { sku: "SKU-2", remainingQuantity: 1 },
    ]);
    // The read is charged as Shopify's rules count it: the order, 5 fulfillment orders of 50 line items each.
    expect(open.cost).toBe(3 + 5 * 53);
    const line = open.data[0]!;
    const ship = (quantity: number) =>
      createFulfillment(target(), {
        lineItemsByFulfillmentOrder: [{ fulfillmentOrderId: line.fulfillmentOrderId, fulfillmentOrderLineItems: [{ id: line.id, quantity }] }],
        notifyCustomer: false,
        trackingInfo: { company: "UPS", number: "1Z1" },
      });
    expect(await ship(2)).toMatchObject({ ok: true, data: { fulfillmentId: expect.stringMatching(/^gid:\/\/shopify\/Fulfillment\//), userErrors: [] } });
    expect(await ship(2)).toMatchObject({ ok: true, data: { fulfillmentId: null, userErrors: [{ message: "Invalid fulfillment order line item quantity requested." }] } });
    expect(shop.orders.remaining("5001", "SKU-1")).toBe(1);
    expect(shop.orders.fulfillments).toEqual([expect.objectContaining({ lines: [{ sku: "SKU-1", qty: 2 }], company: "UPS", number: "1Z1", notifyCustomer: false })]);
    expect(await openLineItems(target(), "9999")).toMatchObject({ ok: true, data: null });
    expect(shop.stats.violations).toBe(0);
  });
});
