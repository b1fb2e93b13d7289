/**
 * Walmart Marketplace (US) calls a connection makes (REFERENCE.md §3): an
 * access token from client credentials (15 minutes), one SKU's inventory at a
 * ship node, and the bulk MP_INVENTORY feed and its status.
 */

export interface WalmartTarget {
  baseUrl: string;
  serviceName: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

/** A token and when it stops working (epoch ms). */
export interface WalmartToken {
  value: string;
  expiresAt: number;
}

/**
 * How a call ended: `throttled` (429, with Retry-After in ms when given),
 * `unauthorized` (the token is not taken: get another), `rejected` (the
 * credentials themselves are refused), `notFound` (Walmart has no such item),
 * `transient` (5xx, timeout, network), `invalid` (the request is wrong).
 */
export type WalmartAnswer<T> =
  | { ok: true; data: T }
  | { ok: false; kind: "throttled"; retryAfterMs: number | null; message: string }
  | { ok: false; kind: "unauthorized" | "rejected" | "notFound" | "transient" | "invalid"; message: string };

export interface FeedItemStatus {
  sku: string;
  ingestionStatus: string;
  ingestionErrors?: { ingestionError?: { type?: string; code?: string; description?: string }[] };
}

export interface FeedStatus {
  feedId: string;
  feedStatus: "RECEIVED" | "INPROGRESS" | "PROCESSED" | "ERROR";
  itemDetails?: { itemIngestionStatus?: FeedItemStatus[] };
}

/** Client credentials for a token; a refresh token exists only in the authorization-code flow. */
export async function fetchToken(target: WalmartTarget, now: number): Promise<WalmartAnswer<WalmartToken>> {
  const answer = await call<{ access_token: string; expires_in: number }>(target, null, "POST", "/v3/token", {
    headers: { authorization: `Basic ${btoa(`${target.clientId}:${target.clientSecret}`)}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  if (!answer.ok) return answer.kind === "unauthorized" ? { ok: false, kind: "rejected", message: "Walmart refused the client id and secret" } : answer;
  return { ok: true, data: { value: answer.data.access_token, expiresAt: now + answer.data.expires_in * 1000 } };
}

/** Sets one SKU's quantity at a ship node. */
export async function setInventory(target: WalmartTarget, token: string, sku: string, shipNode: string, amount: number): Promise<WalmartAnswer<unknown>> {
  const query = new URLSearchParams({ sku, shipNode });
  return call(target, token, "PUT", `/v3/inventory?${query}`, { body: JSON.stringify({ sku, quantity: { unit: "EACH", amount } }), headers: { "content-type": "application/json" } });
}

/** Submits an MP_INVENTORY feed (spec 1.5) setting each SKU's quantity at each of its ship nodes (one item per SKU); answers its feed id. */
export async function submitInventoryFeed(target: WalmartTarget, token: string, items: { sku: string; nodes: { shipNode: string; amount: number }[] }[]): Promise<WalmartAnswer<string>> {
  const feed = {
    inventoryHeader: { version: "1.5" },
    inventory: items.map(({ sku, nodes }) => ({ sku, shipNodes: nodes.map(({ shipNode, amount }) => ({ shipNode, quantity: { unit: "EACH", amount } })) })),
  };
  const form = new FormData();
  form.append("file", new Blob([JSON.stringify(feed)], { type: "application/json" }), "inventory.json");
  const answer = await call<{ feedId: string }>(target, token, "POST", "/v3/feeds?feedType=MP_INVENTORY", { body: form });
  return answer.ok ? { ok: true, data: answer.data.feedId } : answer;
}

/** An order as GET /v3/orders lists it: the fields the canonical order needs. */
export interface WalmartOrder {
  purchaseOrderId: string;
  customerOrderId: string;
  customerEmailId?: string;
  orderDate: number | string;
  shippingInfo: { postalAddress: { name: string; address1: string; address2?: string | null; city: string; state?: string; postalCode?: string; country: string } };
  orderLines: {
    orderLine: {
      lineNumber: string;
      item: { sku: string; productName?: string };
      charges?: { charge: { chargeType: string; chargeAmount: { currency: string; amount: number | string }; tax?: { taxAmount: { amount: number | string } } | null }[] };
      orderLineQuantity: { amount: string | number };
      orderLineStatuses?: { orderLineStatus: { status: string; statusQuantity: { amount: string | number } }[] };
    }[];
  };
}

/**
 * One page of orders: `query` filters the first page (status, dates, limit);
 * a later page is asked for by the cursor the previous one gave, which
 * carries the filters itself.
 */
export async function listOrders(target: WalmartTarget, token: string, query: Record<string, string>, cursor: string | null): Promise<WalmartAnswer<{ orders: WalmartOrder[]; nextCursor: string | null }>> {
  const search = cursor === null ? `?${new URLSearchParams(query)}` : cursor.startsWith("?") ? cursor : `?${new URLSearchParams({ nextCursor: cursor })}`;
  const answer = await call<{ list?: { meta?: { nextCursor?: string | null }; elements?: { order?: WalmartOrder[] } } }>(target, token, "GET", `/v3/orders${search}`, {});
  if (!answer.ok) return answer.kind === "notFound" ? { ok: true, data: { orders: [], nextCursor: null } } : answer;
  return { ok: true, data: { orders: answer.data?.list?.elements?.order ?? [], nextCursor: answer.data?.list?.meta?.nextCursor || null } };
}

/** Tells Walmart the order is taken; allowed again on an acknowledged order. */
export function acknowledgeOrder(target: WalmartTarget, token: string, purchaseOrderId: string): Promise<WalmartAnswer<unknown>> {
  return call(target, token, "POST", `/v3/orders/${encodeURIComponent(purchaseOrderId)}/acknowledge`, {});
}

/** One order as Walmart holds it now (its line statuses say what was shipped). */
export async function getOrder(target: WalmartTarget, token: string, purchaseOrderId: string): Promise<WalmartAnswer<WalmartOrder>> {
  const answer = await call<{ order: WalmartOrder }>(target, token, "GET", `/v3/orders/${encodeURIComponent(purchaseOrderId)}`, {});
  return answer.ok ? { ok: true, data: answer.data.order } : answer;
}

export interface ShippedLine {
  lineNumber: string;
  qty: number;
  carrier: string;
  tracking: string;
  /** Epoch ms, as Walmart's order dates are. */
  shippedAt: number;
}

/** Confirms units of order lines shipped, with the carrier and tracking number. */
export function shipOrderLines(target: WalmartTarget, token: string, purchaseOrderId: string, lines: ShippedLine[]): Promise<WalmartAnswer<unknown>> {
  const body = {
    orderShipment: {
      orderLines: {
        orderLine: lines.map((line) => ({
          lineNumber: line.lineNumber,
          orderLineStatuses: {
            orderLineStatus: [
              {
                status: "Shipped",
                statusQuantity: { unitOfMeasurement: "EACH", amount: String(line.qty) },
                trackingInfo: { shipDateTime: line.shippedAt, carrierName: { carrier: line.carrier }, methodCode: "Standard", trackingNumber: line.tracking },
              },
            ],
          },
        })),
      },
    },
  };
  return call(target, token, "POST", `/v3/orders/${encodeURIComponent(purchaseOrderId)}/shipping`, { body: JSON.stringify(body), headers: { "content-type": "application/json" } });
}

/** Item details come in pages of at most this many. */
const detailPage = 50;

/** The feed's status and, once processed, every item's ingestion status (all pages). */
export async function feedStatus(target: WalmartTarget, token: string, feedId: string): Promise<WalmartAnswer<FeedStatus>> {
  const path = (offset: number) => `/v3/feeds/${encodeURIComponent(feedId)}?includeDetails=true&offset=${offset}&limit=${detailPage}`;
  const first = await call<FeedStatus & { itemsReceived?: number }>(target, token, "GET", path(0), {});
  if (!first.ok || (first.data.feedStatus !== "PROCESSED" && first.data.feedStatus !== "ERROR")) return first;
  const items = [...(first.data.itemDetails?.itemIngestionStatus ?? [])];
  const received = first.data.itemsReceived ?? items.length;
  while (items.length < received) {
    const page = await call<FeedStatus>(target, token, "GET", path(items.length), {});
    if (!page.ok) return page;
    const more = page.data.itemDetails?.itemIngestionStatus ?? [];
    if (more.length === 0) break;
    items.push(...more);
  }
  return { ok: true, data: { ...first.data, itemDetails: { itemIngestionStatus: items } } };
}

async function call<T>(target: WalmartTarget, token: string | null, method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> }): Promise<WalmartAnswer<T>> {
  const headers: Record<string, string> = { accept: "application/json", "WM_SVC.NAME": target.serviceName, "WM_QOS.CORRELATION_ID": crypto.randomUUID(), ...init.headers };
  if (token) headers["WM_SEC.ACCESS_TOKEN"] = token;
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}${path}`, { method, headers, body: init.body, signal: AbortSignal.timeout(target.timeoutMs ?? 15_000) });
  } catch (error) {
    return { ok: false, kind: "transient", message: `no answer from Walmart: ${String(error)}` };
  }
  const text = await response.text();
  const message = `HTTP ${response.status} from Walmart${text ? `: ${text.slice(0, 200)}` : ""}`;
  if (response.status === 429) {
    const seconds = Number(response.headers.get("retry-after"));
    return { ok: false, kind: "throttled", retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null, message };
  }
  if (response.status === 401) return { ok: false, kind: "unauthorized", message };
  if (response.status === 403) return { ok: false, kind: "rejected", message };
  if (response.status === 404) return { ok: false, kind: "notFound", message };
  if (response.status >= 500) return { ok: false, kind: "transient", message };
  if (response.status >= 400) return { ok: false, kind: "invalid", message };
  try {
    return { ok: true, data: (text ? JSON.parse(text) : null) as T };
  } catch {
    return { ok: false, kind: "transient", message: `${message} (not JSON)` };
  }
}
