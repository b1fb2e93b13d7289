import type { BucketState } from "./cost-bucket.ts";

/** Where and as whom a connection calls the shop's Admin GraphQL API. */
export interface ShopifyTarget {
  /** `https://<shop>.myshopify.com` or a test host. */
  baseUrl: string;
  apiVersion: string;
  accessToken: string;
  /** Epoch ms, for the bucket the answer reports. */
  now: () => number;
  timeoutMs?: number;
}

export interface QuantityToSet {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  /** The quantity the connection last knew to be on Shopify; null when it does not know (no compare). */
  changeFromQuantity: number | null;
}

export interface ShopifyUserError {
  code: string | null;
  field: string[] | null;
  message: string;
}

/**
 * How a call ended. `throttled`: the bucket was short (answered with the
 * bucket); `rejected`: the credentials or the app's scopes were refused,
 * nothing will work until they change; `transient`: 5xx, a timeout, a
 * dropped connection, worth retrying as it was; `invalid`: the remote says
 * the request itself is wrong, retrying it as it is would not help;
 * `denied`: the token is good but lacks this call's scope (ACCESS_DENIED).
 */
export type ShopifyAnswer<T> =
  | { ok: true; data: T; bucket: BucketState | null; cost: number | null }
  | { ok: false; kind: "throttled"; bucket: BucketState | null; message: string }
  | { ok: false; kind: "rejected" | "denied" | "transient" | "invalid"; message: string };

/**
 * The mutation that sets absolute `available` quantities. From API version
 * 2026-04 Shopify requires both the `@idempotent` key (a retry must repeat the
 * key and the variables) and `changeFromQuantity` on every quantity.
 */
export const setAvailableDocument = `mutation SetAvailable($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { reason }
    userErrors { code field message }
  }
}`;

export const variantsBySkuDocument = `query VariantsBySku($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) {
    nodes { sku inventoryItem { id } }
  }
}`;

export const availableAtLocationDocument = `query AvailableAtLocation($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } }
    }
  }
}`;

/** An order's open work: its fulfillment orders and what each line item has left to ship. */
export const fulfillmentOrdersDocument = `query FulfillmentOrders($id: ID!, $orders: Int!, $items: Int!) {
  order(id: $id) {
    fulfillmentOrders(first: $orders) {
      nodes { id status lineItems(first: $items) { nodes { id sku remainingQuantity } } }
    }
  }
}`;

/** Ships fulfillment order line items with tracking information. Shopify documents no idempotency key for it. */
export const fulfillmentCreateDocument = `mutation CreateFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}`;

/** Fulfillment orders, and line items of each, read per order: enough for an order split over a few locations. */
export const fulfillmentOrdersPerRead = 5;
export const lineItemsPerFulfillmentOrder = 50;

export interface OpenLineItem {
  fulfillmentOrderId: string;
  id: string;
  sku: string | null;
  remainingQuantity: number;
}

export interface FulfillmentToCreate {
  lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems: { id: string; quantity: number }[] }[];
  notifyCustomer: boolean;
  trackingInfo?: { company?: string; number?: string };
}

/** At most this many quantities (or ids) in one call: Shopify caps every input array at 250. */
export const maxQuantitiesPerCall = 250;
/** SKUs looked up per search query, short enough for a search string. */
export const skusPerLookup = 50;

/** Sets `available` at each quantity's location, once per key: the same key and variables again return the first answer. */
export async function setAvailable(
  target: ShopifyTarget,
  quantities: QuantityToSet[],
  idempotencyKey: string,
  referenceDocumentUri: string,
): Promise<ShopifyAnswer<{ userErrors: ShopifyUserError[] }>> {
  const input = { name: "available", reason: "correction", referenceDocumentUri, quantities };
  const answer = await call<{ inventorySetQuantities: { userErrors: ShopifyUserError[] } | null }>(target, setAvailableDocument, { input, idempotencyKey });
  if (!answer.ok) return answer;
  const payload = answer.data.inventorySetQuantities;
  if (!payload) return { ok: false, kind: "invalid", message: "inventorySetQuantities answered null" };
  return { ...answer, data: { userErrors: payload.userErrors } };
}

/** The inventory item of each SKU that a product variant of the shop carries; SKUs Shopify does not know are left out. */
export async function inventoryItemsOf(target: ShopifyTarget, skus: string[]): Promise<ShopifyAnswer<Map<string, string>>> {
  const query = skus.map((sku) => `sku:${JSON.stringify(sku)}`).join(" OR ");
  // A page as large as the SKUs asked for: a connection's cost is `first` times its nodes'.
  const answer = await call<{ productVariants: { nodes: { sku: string | null; inventoryItem: { id: string } }[] } }>(target, variantsBySkuDocument, {
    query,
    first: Math.min(skus.length, maxQuantitiesPerCall),
  });
  if (!answer.ok) return answer;
  const wanted = new Set(skus);
  const items = new Map<string, string>();
  for (const node of answer.data.productVariants.nodes) if (node.sku !== null && wanted.has(node.sku)) items.set(node.sku, node.inventoryItem.id);
  return { ...answer, data: items };
}

/** What Shopify holds as `available` for each item at `locationId` (null: the item is not stocked there). */
export async function availableAt(target: ShopifyTarget, inventoryItemIds: string[], locationId: string): Promise<ShopifyAnswer<Map<string, number | null>>> {
  type Level = { quantities: { name: string; quantity: number }[] } | null;
  const answer = await call<{ nodes: ({ id: string; inventoryLevel: Level } | null)[] }>(target, availableAtLocationDocument, { ids: inventoryItemIds, locationId });
  if (!answer.ok) return answer;
  const levels = new Map<string, number | null>();
  for (const node of answer.data.nodes) {
    if (node) levels.set(node.id, node.inventoryLevel?.quantities.find((q) => q.name === "available")?.quantity ?? null);
  }
  return { ...answer, data: levels };
}

/** The line items of the order's fulfillment orders that can still ship (open or in progress); null when Shopify has no such order. */
export async function openLineItems(target: ShopifyTarget, orderId: string): Promise<ShopifyAnswer<OpenLineItem[] | null>> {
  type Node = { id: string; status: string; lineItems: { nodes: { id: string; sku: string | null; remainingQuantity: number }[] } };
  const answer = await call<{ order: { fulfillmentOrders: { nodes: Node[] } } | null }>(target, fulfillmentOrdersDocument, {
    id: `gid://shopify/Order/${orderId}`,
    orders: fulfillmentOrdersPerRead,
    items: lineItemsPerFulfillmentOrder,
  });
  if (!answer.ok) return answer;
  if (!answer.data.order) return { ...answer, data: null };
  const open = answer.data.order.fulfillmentOrders.nodes.filter((fo) => fo.status === "OPEN" || fo.status === "IN_PROGRESS");
  return { ...answer, data: open.flatMap((fo) => fo.lineItems.nodes.map((item) => ({ fulfillmentOrderId: fo.id, ...item }))) };
}

/** Creates one fulfillment; the user errors say why Shopify refused it (nothing shipped then). */
export async function createFulfillment(target: ShopifyTarget, fulfillment: FulfillmentToCreate): Promise<ShopifyAnswer<{ fulfillmentId: string | null; userErrors: { message: string }[] }>> {
  const answer = await call<{ fulfillmentCreate: { fulfillment: { id: string } | null; userErrors: { message: string }[] } | null }>(target, fulfillmentCreateDocument, { fulfillment });
  if (!answer.ok) return answer;
  const payload = answer.data.fulfillmentCreate;
  if (!payload) return { ok: false, kind: "invalid", message: "fulfillmentCreate answered null" };
  return { ...answer, data: { fulfillmentId: payload.fulfillment?.id ?? null, userErrors: payload.userErrors } };
}

interface GraphqlBody<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } } };
}

async function call<T>(target: ShopifyTarget, query: string, variables: object): Promise<ShopifyAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}/admin/api/${target.apiVersion}/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": target.accessToken },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(target.timeoutMs ?? 15_000),
    });
  } catch (error) {
    return { ok: false, kind: "transient", message: `no answer from Shopify: ${String(error)}` };
  }
  if (response.status === 401 || response.status === 403) return { ok: false, kind: "rejected", message: `Shopify refused the access token (HTTP ${response.status})` };
  if (response.status >= 500) return { ok: false, kind: "transient", message: `HTTP ${response.status} from Shopify` };
  let body: GraphqlBody<T> | null = null;
  try {
    body = (await response.json()) as GraphqlBody<T>;
  } catch {
    // Not JSON: told apart by the status alone below.
  }
  const throttle = body?.extensions?.cost?.throttleStatus;
  const bucket = throttle ? { ...throttle, at: target.now() } : null;
  // Throttling is told by the error code; some answers carry HTTP 429 as well.
  if (response.status === 429 || body?.errors?.some((error) => error.extensions?.code === "THROTTLED")) return { ok: false, kind: "throttled", bucket, message: "THROTTLED" };
  if (!body) return { ok: false, kind: "transient", message: `HTTP ${response.status} from Shopify with a body that is not JSON` };
  if (body.errors?.some((error) => error.extensions?.code === "ACCESS_DENIED")) return { ok: false, kind: "denied", message: body.errors[0]!.message };
  if (response.status >= 400 || body.errors?.length || !body.data) {
    return { ok: false, kind: "invalid", message: body.errors?.map((error) => error.message).join("; ") || `HTTP ${response.status} from Shopify` };
  }
  return { ok: true, data: body.data, bucket, cost: body.extensions?.cost?.requestedQueryCost ?? null };
}
