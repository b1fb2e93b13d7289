/**
 * Amazon Selling Partner API calls a connection makes (REFERENCE.md §2): an
 * LWA access token from the seller's refresh token (an hour), a listing's
 * product type and fulfillment availability, patchListingsItem, the
 * JSON_LISTINGS_FEED flow of the Feeds API 2021-06-30, and orders:
 * searchOrders and getOrder (Orders API v2026-01-01) and confirmShipment
 * (Orders API v0, which v2026-01-01 has no replacement for).
 */

export interface AmazonTarget {
  baseUrl: string;
  tokenUrl: string;
  sellerId: string;
  marketplaceIds: string[];
  refreshToken: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
}

export interface AmazonToken {
  value: string;
  expiresAt: number;
}

/**
 * How a call ended: `throttled` (429), `unauthorized` (the access token was
 * not taken: get another), `rejected` (LWA refused the refresh token or the
 * client), `notFound`, `transient` (5xx, timeout, network), `invalid`.
 */
export type AmazonAnswer<T> =
  | { ok: true; data: T }
  | { ok: false; kind: "throttled"; message: string }
  | { ok: false; kind: "unauthorized" | "rejected" | "notFound" | "transient" | "invalid"; message: string };

export interface Listing {
  sku: string;
  summaries?: { marketplaceId: string; productType: string }[];
  fulfillmentAvailability?: { fulfillmentChannelCode: string; quantity?: number }[];
}

export interface ListingSubmission {
  sku: string;
  status: "ACCEPTED" | "INVALID" | "VALID";
  submissionId: string;
  issues?: { code: string; message: string; severity: string }[];
}

export interface FeedState {
  feedId: string;
  processingStatus: "IN_QUEUE" | "IN_PROGRESS" | "DONE" | "CANCELLED" | "FATAL";
  resultFeedDocumentId?: string;
}

export interface ProcessingReport {
  issues?: { messageId: number; code: string; severity: string; message: string }[];
  summary?: { messagesProcessed?: number; messagesAccepted?: number; messagesInvalid?: number };
}

/** A quantity for one `fulfillment_channel_code`. */
export interface ChannelQuantity {
  channelCode: string;
  quantity: number;
}

export interface FeedMessage {
  messageId: number;
  sku: string;
  productType: string;
  quantities: ChannelQuantity[];
}

const availabilityOf = (quantities: ChannelQuantity[]) => quantities.map(({ channelCode, quantity }) => ({ fulfillment_channel_code: channelCode, quantity }));

/** The refresh-token grant: an access token for an hour. */
export async function fetchToken(target: AmazonTarget, now: number): Promise<AmazonAnswer<AmazonToken>> {
  const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: target.refreshToken, client_id: target.clientId, client_secret: target.clientSecret });
  const answer = await call<{ access_token: string; expires_in: number }>(target.tokenUrl, null, "POST", { body: body.toString(), headers: { "content-type": "application/x-www-form-urlencoded" } }, target.timeoutMs);
  if (!answer.ok) return answer.kind === "invalid" || answer.kind === "unauthorized" ? { ok: false, kind: "rejected", message: `Login with Amazon refused the refresh token or the client: ${answer.message}` } : answer;
  return { ok: true, data: { value: answer.data.access_token, expiresAt: now + answer.data.expires_in * 1000 } };
}

export function getListing(target: AmazonTarget, token: string, sku: string, includedData: string): Promise<AmazonAnswer<Listing>> {
  const query = new URLSearchParams({ marketplaceIds: target.marketplaceIds.join(","), includedData });
  return call(`${target.baseUrl}/listings/2021-08-01/items/${target.sellerId}/${encodeURIComponent(sku)}?${query}`, token, "GET", {}, target.timeoutMs);
}

/** Sets the SKU's quantity for each fulfillment channel named with `merge`, leaving the other channels and availability fields as they are. */
export function patchQuantity(target: AmazonTarget, token: string, sku: string, productType: string, quantities: ChannelQuantity[]): Promise<AmazonAnswer<ListingSubmission>> {
  const query = new URLSearchParams({ marketplaceIds: target.marketplaceIds.join(",") });
  const body = { productType, patches: [{ op: "merge", path: "/attributes/fulfillment_availability", value: availabilityOf(quantities) }] };
  return call(`${target.baseUrl}/listings/2021-08-01/items/${target.sellerId}/${encodeURIComponent(sku)}?${query}`, token, "PATCH", { body: JSON.stringify(body), headers: { "content-type": "application/json" } }, target.timeoutMs);
}

/** The JSON_LISTINGS_FEED document (schema v2) that merges each message's quantities, one message per SKU. */
export function listingsFeed(sellerId: string, messages: FeedMessage[]): string {
  return JSON.stringify({
    header: { sellerId, version: "2.0", issueLocale: "en_US" },
    messages: messages.map(({ messageId, sku, productType, quantities }) => ({
      messageId,
      sku,
      operationType: "PATCH",
      productType,
      patches: [{ op: "merge", path: "/attributes/fulfillment_availability", value: availabilityOf(quantities) }],
    })),
  });
}

export function createFeedDocument(target: AmazonTarget, token: string): Promise<AmazonAnswer<{ feedDocumentId: string; url: string }>> {
  return call(`${target.baseUrl}/feeds/2021-06-30/documents`, token, "POST", { body: JSON.stringify({ contentType: "application/json; charset=UTF-8" }), headers: { "content-type": "application/json" } }, target.timeoutMs);
}

/** Uploads the document to the URL createFeedDocument gave (presigned: no token). */
export async function uploadFeedDocument(url: string, document: string, timeoutMs?: number): Promise<AmazonAnswer<null>> {
  return call(url, null, "PUT", { body: document, headers: { "content-type": "application/json; charset=UTF-8" } }, timeoutMs, false);
}

export async function createFeed(target: AmazonTarget, token: string, inputFeedDocumentId: string): Promise<AmazonAnswer<string>> {
  const body = { feedType: "JSON_LISTINGS_FEED", marketplaceIds: target.marketplaceIds, inputFeedDocumentId };
  const answer = await call<{ feedId: string }>(`${target.baseUrl}/feeds/2021-06-30/feeds`, token, "POST", { body: JSON.stringify(body), headers: { "content-type": "application/json" } }, target.timeoutMs);
  return answer.ok ? { ok: true, data: answer.data.feedId } : answer;
}

export function getFeed(target: AmazonTarget, token: string, feedId: string): Promise<AmazonAnswer<FeedState>> {
  return call(`${target.baseUrl}/feeds/2021-06-30/feeds/${encodeURIComponent(feedId)}`, token, "GET", {}, target.timeoutMs);
}

/** The feed's processing report: its document's URL, then the (possibly gzipped) JSON behind it. */
export async function feedResult(target: AmazonTarget, token: string, documentId: string): Promise<AmazonAnswer<ProcessingReport>> {
  const document = await call<{ url: string; compressionAlgorithm?: string }>(`${target.baseUrl}/feeds/2021-06-30/documents/${encodeURIComponent(documentId)}`, token, "GET", {}, target.timeoutMs);
  if (!document.ok) return document;
  let response: Response;
  try {
    response = await fetch(document.data.url, { signal: AbortSignal.timeout(target.timeoutMs ?? 15_000) });
  } catch (error) {
    return { ok: false, kind: "transient", message: `the processing report did not download: ${String(error)}` };
  }
  if (!response.ok || !response.body) return { ok: false, kind: "transient", message: `HTTP ${response.status} downloading the processing report` };
  const stream = document.data.compressionAlgorithm === "GZIP" ? response.body.pipeThrough(new DecompressionStream("gzip")) : response.body;
  try {
    return { ok: true, data: JSON.parse(await new Response(stream).text()) as ProcessingReport };
  } catch {
    return { ok: false, kind: "transient", message: "the processing report is not JSON" };
  }
}

/** Money as the Orders API v2026-01-01 gives it: a decimal string and its currency. */
export interface AmazonMoney {
  amount: string;
  currencyCode: string;
}

export type FulfillmentStatus = "PENDING_AVAILABILITY" | "PENDING" | "UNSHIPPED" | "PARTIALLY_SHIPPED" | "SHIPPED" | "CANCELLED" | "UNFULFILLABLE";

/**
 * An order as searchOrders and getOrder (v2026-01-01) give it, with the
 * fields the connection uses (amzn/selling-partner-api-models
 * models/orders-api-model/orders_2026-01-01.json, definitions Order,
 * OrderItem, ItemProduct, ItemProceeds, OrderFulfillment, Recipient, OrderPackage).
 */
export interface AmazonOrder {
  orderId: string;
  createdTime: string;
  lastUpdatedTime: string;
  salesChannel: { channelName: string; marketplaceId?: string };
  recipient?: {
    deliveryAddress?: { name?: string; addressLine1?: string; addressLine2?: string; city?: string; stateOrRegion?: string; postalCode?: string; countryCode?: string };
  };
  fulfillment?: { fulfillmentStatus: FulfillmentStatus; fulfilledBy?: string };
  orderItems: {
    orderItemId: string;
    quantityOrdered: number;
    product: { sellerSku?: string; price?: { unitPrice?: AmazonMoney } };
    proceeds?: { proceedsTotal?: AmazonMoney; breakdowns?: { type: string; subtotal: AmazonMoney }[] };
    fulfillment?: { quantityFulfilled?: number; quantityUnfulfilled?: number };
  }[];
  packages?: { packageReferenceId: string; carrier?: string; trackingNumber?: string; packageItems?: { orderItemId: string; quantity: number }[] }[];
}

export interface OrderPage {
  orders: AmazonOrder[];
  nextToken: string | null;
  /** Orders updated before this were listed: the next listing's `lastUpdatedAfter`. */
  lastUpdatedBefore: string | null;
}

/**
 * One page of searchOrders: the seller's merchant-fulfilled orders in the
 * connection's marketplaces updated at or after `lastUpdatedAfter`. A later
 * page repeats the same parameters with the token the previous one gave.
 */
export async function searchOrders(target: AmazonTarget, token: string, lastUpdatedAfter: string, paginationToken: string | null, includedData: string[]): Promise<AmazonAnswer<OrderPage>> {
  const query = new URLSearchParams({ lastUpdatedAfter, marketplaceIds: target.marketplaceIds.join(","), fulfilledBy: "MERCHANT", maxResultsPerPage: "100", includedData: includedData.join(",") });
  if (paginationToken) query.set("paginationToken", paginationToken);
  const answer = await call<{ orders: AmazonOrder[]; pagination?: { nextToken?: string }; lastUpdatedBefore?: string }>(`${target.baseUrl}/orders/2026-01-01/orders?${query}`, token, "GET", {}, target.timeoutMs);
  if (!answer.ok) return answer;
  return { ok: true, data: { orders: answer.data.orders ?? [], nextToken: answer.data.pagination?.nextToken || null, lastUpdatedBefore: answer.data.lastUpdatedBefore ?? null } };
}

/** One order as Amazon holds it now (its items always come with it). */
export async function getOrder(target: AmazonTarget, token: string, orderId: string, includedData: string[]): Promise<AmazonAnswer<AmazonOrder>> {
  const query = new URLSearchParams({ includedData: includedData.join(",") });
  const answer = await call<{ order: AmazonOrder }>(`${target.baseUrl}/orders/2026-01-01/orders/${encodeURIComponent(orderId)}?${query}`, token, "GET", {}, target.timeoutMs);
  return answer.ok ? { ok: true, data: answer.data.order } : answer;
}

export interface PackageDetail {
  /** Seller-supplied, unique within the order; only positive numbers are supported. */
  packageReferenceId: string;
  carrierCode: string;
  trackingNumber: string;
  /** ISO 8601. */
  shipDate: string;
  orderItems: { orderItemId: string; quantity: number }[];
}

/** confirmShipment (Orders API v0, 2 requests a second, burst 10): one package of the order shipped; 204 when taken. */
export function confirmShipment(target: AmazonTarget, token: string, orderId: string, marketplaceId: string, packageDetail: PackageDetail): Promise<AmazonAnswer<null>> {
  const body = { marketplaceId, packageDetail };
  return call(`${target.baseUrl}/orders/v0/orders/${encodeURIComponent(orderId)}/shipmentConfirmation`, token, "POST", { body: JSON.stringify(body), headers: { "content-type": "application/json" } }, target.timeoutMs, false);
}

async function call<T>(url: string, token: string | null, method: string, init: { body?: string; headers?: Record<string, string> }, timeoutMs?: number, json = true): Promise<AmazonAnswer<T>> {
  const headers: Record<string, string> = { ...(json ? { accept: "application/json" } : {}), ...init.headers };
  if (token) headers["x-amz-access-token"] = token;
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body: init.body, signal: AbortSignal.timeout(timeoutMs ?? 15_000) });
  } catch (error) {
    return { ok: false, kind: "transient", message: `no answer from Amazon: ${String(error)}` };
  }
  const text = await response.text();
  const message = `HTTP ${response.status} from Amazon${text ? `: ${text.slice(0, 200)}` : ""}`;
  if (response.status === 429) return { ok: false, kind: "throttled", message };
  if (response.status === 401 || response.status === 403) return { ok: false, kind: "unauthorized", message };
  if (response.status === 404) return { ok: false, kind: "notFound", message };
  if (response.status >= 500) return { ok: false, kind: "transient", message };
  if (response.status >= 400) return { ok: false, kind: "invalid", message };
  if (!json) return { ok: true, data: null as T };
  try {
    return { ok: true, data: (text ? JSON.parse(text) : null) as T };
  } catch {
    return { ok: false, kind: "transient", message: `${message} (not JSON)` };
  }
}
