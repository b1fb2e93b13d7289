import { isRecord } from "./walmart-wire.ts";
import type { HttpAnswer } from "./walmart-wire.ts";

/**
 * The fake Amazon SP-API's wire, both ways: its routes, the SP-API and LWA
 * error bodies, the quantity patches it understands, the JSON_LISTINGS_FEED
 * document and the processing report, and what the order operations
 * carry (searchOrders' parameters and page token, confirmShipment's
 * package). No state here; `amazon.ts` and `amazon-orders.ts` decide what a
 * parsed request does.
 */

/** The operations with a usage plan, plus the per-application and the feed-type buckets. */
export type Operation = "patchListingsItem" | "getListingsItem" | "createFeedDocument" | "getFeedDocument" | "createFeed" | "getFeed" | "searchOrders" | "getOrder" | "confirmShipment";

export type BucketName = Operation | "patchListingsItem/application" | "JSON_LISTINGS_FEED";

/** Tokens per second and bucket size, as SP-API usage plans state them. */
export interface Rate {
  rate: number;
  burst: number;
}

/**
 * REFERENCE.md §2. getListingsItem: the model says 5/10, the docs page 5/100/5; 5/10 is used.
 * The application-wide patch plan (500/s) states no burst; 500 is assumed. The
 * JSON_LISTINGS_FEED limit (5 per 5 minutes) is modelled as a bucket of 5 refilled at 1/60 s.
 * Orders: searchOrders 0.0056/20 and getOrder 0.5/30 (orders_2026-01-01.json), confirmShipment 2/10 (ordersV0.json).
 */
export const defaultRates: Record<BucketName, Rate> = {
  patchListingsItem: { rate: 5, burst: 5 },
  "patchListingsItem/application": { rate: 500, burst: 500 },
  getListingsItem: { rate: 5, burst: 10 },
  createFeedDocument: { rate: 0.5, burst: 15 },
  getFeedDocument: { rate: 0.0222, burst: 10 },
  createFeed: { rate: 0.0083, burst: 15 },
  getFeed: { rate: 2, burst: 15 },
  JSON_LISTINGS_FEED: { rate: 5 / 300, burst: 5 },
  searchOrders: { rate: 0.0056, burst: 20 },
  getOrder: { rate: 0.5, burst: 30 },
  confirmShipment: { rate: 2, burst: 10 },
};

export interface Route {
  operation: Operation;
  /** Path parameters, decoded: sellerId and sku, or feedId / feedDocumentId, or orderId. */
  params: string[];
}

const routes: { method: string; pattern: RegExp; operation: Operation }[] = [
  { method: "PATCH", pattern: /^\/listings\/2021-08-01\/items\/([^/]+)\/([^/]+)$/, operation: "patchListingsItem" },
  { method: "GET", pattern: /^\/listings\/2021-08-01\/items\/([^/]+)\/([^/]+)$/, operation: "getListingsItem" },
  { method: "POST", pattern: /^\/feeds\/2021-06-30\/documents$/, operation: "createFeedDocument" },
  { method: "GET", pattern: /^\/feeds\/2021-06-30\/documents\/([^/]+)$/, operation: "getFeedDocument" },
  { method: "POST", pattern: /^\/feeds\/2021-06-30\/feeds$/, operation: "createFeed" },
  { method: "GET", pattern: /^\/feeds\/2021-06-30\/feeds\/([^/]+)$/, operation: "getFeed" },
  { method: "GET", pattern: /^\/orders\/2026-01-01\/orders$/, operation: "searchOrders" },
  { method: "GET", pattern: /^\/orders\/2026-01-01\/orders\/([^/]+)$/, operation: "getOrder" },
  { method: "POST", pattern: /^\/orders\/v0\/orders\/([^/]+)\/shipmentConfirmation$/, operation: "confirmShipment" },
];

export function spRoute(method: string, pathname: string): Route | null {
  for (const route of routes) {
    const match = route.method === method ? route.pattern.exec(pathname) : null;
    if (match) return { operation: route.operation, params: match.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return null;
}

/** SP-API's `ErrorList`: `{ errors: [{ code, message, details? }] }`. */
export function spError(status: number, code: string, message: string, details?: string): HttpAnswer {
  return { status, body: { errors: [details === undefined ? { code, message } : { code, message, details }] } };
}

export const invalidInput = (message: string): HttpAnswer => spError(400, "InvalidInput", message);

/** LWA's OAuth error body: `{ error, error_description }`. */
export function lwaError(status: 400 | 401, error: string, description: string): HttpAnswer {
  return { status, body: { error, error_description: description } };
}

/**
 * Issue codes of the fake. Amazon's listings issue codes are numeric strings,
 * but these particular numbers are INVENTED: no public list maps them.
 */
export const issueCodes = {
  unknownSku: "4000001",
  productTypeMismatch: "4000002",
  invalidPatch: "4000003",
  unsupported: "4000004",
  invalidMessage: "4000005",
  fatalDocument: "4000099",
} as const;

export interface Issue {
  code: string;
  message: string;
  severity: "ERROR" | "WARNING";
  attributeNames?: string[];
}

export interface ChannelQuantity {
  channel: string;
  /** Absent in a `merge` entry that leaves the quantity as it is. */
  quantity?: number;
}

/** `replace`/`add` set the whole fulfillment_availability; `merge` updates the channels it names. */
export interface AvailabilityUpdate {
  op: "replace" | "merge";
  entries: ChannelQuantity[];
}

export type PatchCheck = { ok: true; updates: AvailabilityUpdate[] } | { ok: false; issues: Issue[] };

const availabilityPath = "/attributes/fulfillment_availability";

/**
 * Reads a `patches` list as the fake understands it: `/attributes/fulfillment_availability`
 * applies, any other top-level `/attributes/<name>` is accepted and has no effect,
 * and `delete` of fulfillment_availability is refused as unsupported.
 *
 * @example
 * checkPatches([{ op: "replace", path: "/attributes/fulfillment_availability", value: [{ fulfillment_channel_code: "DEFAULT", quantity: 3 }] }]);
 * // { ok: true, updates: [{ op: "replace", entries: [{ channel: "DEFAULT", quantity: 3 }] }] }
 */
export function checkPatches(patches: unknown): PatchCheck {
  const issues: Issue[] = [];
  const updates: AvailabilityUpdate[] = [];
  const invalid = (message: string, code: string = issueCodes.invalidPatch) => issues.push({ code, message, severity: "ERROR", attributeNames: ["fulfillment_availability"] });
  if (!Array.isArray(patches) || patches.length === 0) return { ok: false, issues: [{ code: issueCodes.invalidPatch, message: "patches must list at least one patch.", severity: "ERROR" }] };
  for (const [index, patch] of patches.entries()) {
    const op = isRecord(patch) ? patch["op"] : undefined;
    const path = isRecord(patch) ? patch["path"] : undefined;
    if (op !== "add" && op !== "replace" && op !== "merge" && op !== "delete") {
      invalid(`patches[${index}].op must be add, replace, merge or delete.`);
      continue;
    }
    if (typeof path !== "string" || !/^\/attributes\/[^/]+$/.test(path)) {
      invalid(`patches[${index}].path must be a top-level attribute, /attributes/<name>.`);
      continue;
    }
    if (path !== availabilityPath) continue;
    if (op === "delete") {
      invalid(`patches[${index}]: this fake does not delete fulfillment_availability.`, issueCodes.unsupported);
      continue;
    }
    const entries = availabilityEntries((patch as Record<string, unknown>)["value"], op === "merge");
    if (typeof entries === "string") invalid(`patches[${index}].value: ${entries}`);
    else updates.push({ op: op === "merge" ? "merge" : "replace", entries });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, updates };
}

function availabilityEntries(value: unknown, isMerge: boolean): ChannelQuantity[] | string {
  if (!Array.isArray(value) || value.length === 0) return "must be a non-empty array of { fulfillment_channel_code, quantity }.";
  const entries: ChannelQuantity[] = [];
  for (const entry of value) {
    const channel = isRecord(entry) ? entry["fulfillment_channel_code"] : undefined;
    const quantity = isRecord(entry) ? entry["quantity"] : undefined;
    if (typeof channel !== "string" || channel === "") return "fulfillment_channel_code must be a non-empty string.";
    if (quantity === undefined && isMerge) {
      entries.push({ channel });
      continue;
    }
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 0) return "quantity must be a whole number, 0 or more.";
    entries.push({ channel, quantity });
  }
  return entries;
}

/** Applies one update to a listing's quantities by channel, in place. */
export function applyUpdate(availability: Map<string, number>, update: AvailabilityUpdate): void {
  if (update.op === "replace") availability.clear();
  for (const { channel, quantity } of update.entries) {
    if (quantity !== undefined) availability.set(channel, quantity);
    else if (!availability.has(channel)) availability.set(channel, 0);
  }
}

export interface FeedMessage {
  messageId: number;
  sku: unknown;
  operationType: unknown;
  productType: unknown;
  patches: unknown;
  attributes: unknown;
}

export type ParsedFeedDocument = { ok: true; sellerId: string; messages: FeedMessage[] } | { ok: false; message: string; tooManyMessages?: true };

/** JSON_LISTINGS_FEED v2 (listings-feed-schema-v2.json): at most 25,000 messages. */
export const maxFeedMessages = 25_000;

/**
 * Reads a JSON_LISTINGS_FEED document: header `{ sellerId, version: "2.0" }` and
 * 1..25,000 messages. A document that is not one fails the whole feed (FATAL);
 * a bad message fails alone, when the feed is processed.
 */
export function parseListingsFeed(text: string): ParsedFeedDocument {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { ok: false, message: "The feed document is not JSON." };
  }
  const header = isRecord(document) ? document["header"] : undefined;
  const messages = isRecord(document) ? document["messages"] : undefined;
  if (!isRecord(header) || typeof header["sellerId"] !== "string" || header["version"] !== "2.0") return { ok: false, message: 'The header must be { sellerId, version: "2.0" }.' };
  if (!Array.isArray(messages) || messages.length === 0) return { ok: false, message: "messages must list at least one message." };
  if (messages.length > maxFeedMessages) return { ok: false, message: `The feed has ${messages.length} messages; the most is ${maxFeedMessages}.`, tooManyMessages: true };
  return {
    ok: true,
    sellerId: header["sellerId"],
    messages: messages.map((m: unknown) => {
      const field = (name: string) => (isRecord(m) ? m[name] : undefined);
      const messageId = field("messageId");
      return { messageId: typeof messageId === "number" ? messageId : 0, sku: field("sku"), operationType: field("operationType"), productType: field("productType"), patches: field("patches"), attributes: field("attributes") };
    }),
  };
}

/**
 * PARTIAL_UPDATE replaces the attributes it names: for fulfillment_availability
 * that is a PATCH with `replace`; other attributes are accepted with no effect.
 */
export function messagePatches(message: FeedMessage): unknown {
  if (message.operationType === "PATCH") return message.patches;
  if (!isRecord(message.attributes)) return undefined;
  return Object.entries(message.attributes).map(([name, value]) => ({ op: "replace", path: `/attributes/${name}`, value }));
}

export interface ReportIssue extends Issue {
  /** Absent on a FATAL document's issue (INVENTED: the schema's samples always carry one). */
  messageId?: number;
}

/** The JSON processing report of a JSON_LISTINGS_FEED, from public samples. */
export function processingReport(sellerId: string, feedId: string, processed: number, issues: ReportIssue[]): object {
  const invalid = new Set(issues.filter((issue) => issue.severity === "ERROR" && issue.messageId !== undefined).map((issue) => issue.messageId)).size;
  return {
    header: { sellerId, version: "2.0", feedId },
    issues,
    summary: {
      errors: issues.filter((issue) => issue.severity === "ERROR").length,
      warnings: issues.filter((issue) => issue.severity === "WARNING").length,
      messagesProcessed: processed,
      messagesAccepted: processed - invalid,
      messagesInvalid: invalid,
    },
  };
}

/** The comma-separated `marketplaceIds` query parameter. */
export function marketplaceIdsOf(url: URL): string[] {
  return (url.searchParams.get("marketplaceIds") ?? "").split(",").filter((id) => id !== "");
}

export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

/* Orders (searchOrders, getOrder v2026-01-01; confirmShipment v0): what the requests carry, read as the models state it. */

/** An explicit lastUpdatedBefore / createdBefore must be at least two minutes before the request (the model). */
export const boundLagMs = 2 * 60_000;
const maxMarketplaceIds = 50;
const statuses: readonly string[] = ["PENDING_AVAILABILITY", "PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED", "UNFULFILLABLE"];
export const datasets: readonly string[] = ["BUYER", "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION", "CANCELLATION", "FULFILLMENT", "PACKAGES", "TAX", "PAYMENT", "FULFILLMENT_ORDERS"];

export interface AmazonPackage {
  packageReferenceId: string;
  carrierCode: string;
  trackingNumber: string;
  shipDate: string;
  /** The fake's clock when confirmShipment applied. */
  at: number;
  items: { orderItemId: string; quantity: number }[];
}

/** The filters of a listing; a page token carries them, so a later page is checked against the first. */
export interface SearchQuery {
  field: "created" | "lastUpdated";
  after: number;
  bound: number;
  marketplaceIds: string[];
  statuses: string[];
  fulfilledBy: string[];
}

export interface PageToken {
  query: SearchQuery;
  /** The (time, seq) of the last order served: the next page starts after it. */
  last: [number, number];
  issuedAt: number;
}

/** An array query parameter: comma-separated (Swagger 2.0's default collection format). */
export function listParam(url: URL, name: string): string[] {
  return (url.searchParams.get(name) ?? "").split(",").filter((value) => value !== "");
}

/** searchOrders' date and filter parameters, as the model states their rules; a string says what is wrong. */
export function readQuery(url: URL, now: number, listingLagMs: number): SearchQuery | string {
  const date = (name: string): number | null | string => {
    const text = url.searchParams.get(name);
    if (text === null) return null;
    const ms = Date.parse(text);
    return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(ms) ? ms : `${name} must be an ISO 8601 date-time.`;
  };
  const values = Object.fromEntries(["createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore"].map((name) => [name, date(name)]));
  const wrong = Object.values(values).find((value) => typeof value === "string");
  if (typeof wrong === "string") return wrong;
  const { createdAfter, createdBefore, lastUpdatedAfter, lastUpdatedBefore } = values as Record<string, number | null>;
  if ((createdAfter === null) === (lastUpdatedAfter === null)) return "Exactly one of createdAfter and lastUpdatedAfter is required.";
  const field = createdAfter !== null ? "created" : "lastUpdated";
  if (field === "created" && lastUpdatedBefore !== null) return "lastUpdatedBefore may not be given with createdAfter.";
  if (field === "lastUpdated" && createdBefore !== null) return "createdBefore may not be given with lastUpdatedAfter.";
  const after = (createdAfter ?? lastUpdatedAfter)!;
  const before = (field === "created" ? createdBefore : lastUpdatedBefore) ?? null;
  if (before !== null && (before < after || before > now - boundLagMs)) return `${field}Before must be at or after ${field}After and at least two minutes before the request.`;
  const marketplaceIds = listParam(url, "marketplaceIds");
  if (marketplaceIds.length > maxMarketplaceIds) return `marketplaceIds lists at most ${maxMarketplaceIds}.`;
  const wanted = listParam(url, "fulfillmentStatuses");
  const badStatus = wanted.find((status) => !statuses.includes(status));
  if (badStatus) return `fulfillmentStatuses: ${badStatus} is not a status.`;
  const fulfilledBy = listParam(url, "fulfilledBy");
  if (fulfilledBy.some((by) => by !== "MERCHANT" && by !== "AMAZON")) return "fulfilledBy takes MERCHANT and AMAZON.";
  return { field, after, bound: before ?? now - listingLagMs, marketplaceIds, statuses: wanted, fulfilledBy };
}

export function readToken(text: string): PageToken | null {
  try {
    const token = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as PageToken;
    return isRecord(token) && isRecord(token.query) && Array.isArray(token.last) ? token : null;
  } catch {
    return null;
  }
}

export function sameFilters(a: SearchQuery, b: SearchQuery): boolean {
  return a.field === b.field && a.after === b.after && [a.marketplaceIds, a.statuses, a.fulfilledBy].every((list, i) => list.join(",") === [b.marketplaceIds, b.statuses, b.fulfilledBy][i]!.join(","));
}

/** ordersV0.json `PackageDetail`: packageReferenceId (positive numeric), carrierCode, trackingNumber, shipDate, orderItems required. */
export function readPackage(value: unknown): Omit<AmazonPackage, "at"> | string {
  if (!isRecord(value)) return "packageDetail is required.";
  const { packageReferenceId, carrierCode, trackingNumber, shipDate, orderItems } = value;
  if (typeof packageReferenceId !== "string" || !/^[1-9]\d{0,17}$/.test(packageReferenceId)) return "packageDetail.packageReferenceId must be a positive number (as a string).";
  if (typeof carrierCode !== "string" || carrierCode === "") return "packageDetail.carrierCode is required.";
  if (typeof trackingNumber !== "string" || trackingNumber === "") return "packageDetail.trackingNumber is required.";
  if (typeof shipDate !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(shipDate) || Number.isNaN(Date.parse(shipDate))) return "packageDetail.shipDate must be an ISO 8601 date-time.";
  if (!Array.isArray(orderItems) || orderItems.length === 0) return "packageDetail.orderItems must list at least one order item.";
  const items: { orderItemId: string; quantity: number }[] = [];
  for (const item of orderItems as unknown[]) {
    if (!isRecord(item) || typeof item["orderItemId"] !== "string" || !Number.isInteger(item["quantity"]) || (item["quantity"] as number) < 1) return "each of packageDetail.orderItems needs orderItemId and a quantity of 1 or more.";
    items.push({ orderItemId: item["orderItemId"], quantity: item["quantity"] as number });
  }
  return { packageReferenceId, carrierCode, trackingNumber, shipDate, items };
}
