import { boundLagMs, datasets, invalidInput, listParam, parseJson, readPackage, readQuery, readToken, sameFilters, spError } from "./amazon-wire.ts";
import type { AmazonPackage, PageToken } from "./amazon-wire.ts";
import { isRecord } from "./walmart-wire.ts";
import type { HttpAnswer } from "./walmart-wire.ts";

/**
 * The fake Amazon's orders: state, and the three operations a connection
 * uses: searchOrders and getOrder (Orders API v2026-01-01) and
 * confirmShipment (Orders API v0). Shapes follow amzn/selling-partner-api-models
 * `models/orders-api-model/orders_2026-01-01.json` and `ordersV0.json`;
 * what they do not say is marked INVENTED. `amazon.ts` authenticates,
 * throttles and routes.
 */

const minuteMs = 60_000;
/** INVENTED: a listing without an explicit bound leaves orders changed in the last two minutes to the next one (the default of `listingLagMs`). */
export const defaultListingLagMs = boundLagMs;
/** A pagination token expires after 24 hours (the model). */
const tokenLifetimeMs = 24 * 60 * minuteMs;

export type FulfillmentStatus = "PENDING_AVAILABILITY" | "PENDING" | "UNSHIPPED" | "PARTIALLY_SHIPPED" | "SHIPPED" | "CANCELLED" | "UNFULFILLABLE";

export interface AmazonAddress {
  name: string;
  addressLine1: string;
  addressLine2?: string;
  city: string;
  stateOrRegion: string;
  postalCode: string;
  countryCode: string;
}

/** What `add` builds an order from: money as decimal strings in `currency`. */
export interface AmazonOrderSeed {
  orderId?: string;
  sellerId?: string;
  marketplaceId?: string;
  /** PENDING: placed, payment not confirmed (no address yet); UNSHIPPED (the default): ready to ship. */
  status?: "PENDING" | "UNSHIPPED";
  fulfilledBy?: "MERCHANT" | "AMAZON";
  currency?: string;
  items: { sku: string; qty: number; unitPrice: string; tax?: string; shipping?: string; discount?: string }[];
  shipTo?: Partial<AmazonAddress>;
}

interface ItemRecord {
  orderItemId: string;
  sku: string;
  qty: number;
  unitPrice: string;
  tax: string | null;
  shipping: string | null;
  discount: string | null;
  shipped: number;
}

interface OrderRecord {
  seq: number;
  orderId: string;
  sellerId: string;
  marketplaceId: string;
  fulfilledBy: "MERCHANT" | "AMAZON";
  currency: string;
  status: FulfillmentStatus;
  createdAt: number;
  updatedAt: number;
  items: ItemRecord[];
  shipTo: AmazonAddress;
  packages: AmazonPackage[];
}

/** An order as the test reads it. */
export interface FakeAmazonOrder {
  orderId: string;
  status: FulfillmentStatus;
  updatedAt: number;
  items: { orderItemId: string; sku: string; qty: number; shipped: number }[];
  packages: AmazonPackage[];
}

export class AmazonOrderBook {
  readonly #now: () => number;
  readonly #records = new Map<string, OrderRecord>();
  /** Shipment confirmations that applied. */
  confirmations = 0;
  /** searchOrders calls answered 200 (pages). */
  searches = 0;
  /** getOrder calls answered 200. */
  reads = 0;
  readonly #listed = new Map<string, number>();
  #seq = 0;

  /** `defaults` are the seller and marketplace an order belongs to when its seed names none. */
  // No parameter properties: Node runs this file (the benchmarks) by stripping types only.
  private readonly defaults: { sellerId: string; marketplaceId: string; listingLagMs: number; pageLimit: number };

  constructor(now: () => number, defaults: { sellerId: string; marketplaceId: string; listingLagMs: number; pageLimit: number }) {
    this.#now = now;
    this.defaults = defaults;
  }

  /** An order placed now. INVENTED: ids from a counter in Amazon's 3-7-7 and 14-digit shapes; the address. */
  add(seed: AmazonOrderSeed): FakeAmazonOrder {
    if (seed.items.length === 0) throw new Error("an order needs at least one item");
    this.#seq += 1;
    const n = this.#seq;
    const orderId = seed.orderId ?? `114-${String(3_000_000 + n).padStart(7, "0")}-${String(1_000_000 + n * 7).padStart(7, "0")}`;
    if (this.#records.has(orderId)) throw new Error(`order ${orderId} exists`);
    const now = this.#now();
    this.#records.set(orderId, {
      seq: n,
      orderId,
      sellerId: seed.sellerId ?? this.defaults.sellerId,
      marketplaceId: seed.marketplaceId ?? this.defaults.marketplaceId,
      fulfilledBy: seed.fulfilledBy ?? "MERCHANT",
      currency: seed.currency ?? "USD",
      status: seed.status ?? "UNSHIPPED",
      createdAt: now,
      updatedAt: now,
      items: seed.items.map((item, index) => {
        if (!Number.isInteger(item.qty) || item.qty < 1) throw new Error(`item ${index + 1}: qty must be a whole number ≥ 1`);
        return { orderItemId: String(40_000_000_000_000 + n * 100 + index), sku: item.sku, qty: item.qty, unitPrice: item.unitPrice, tax: item.tax ?? null, shipping: item.shipping ?? null, discount: item.discount ?? null, shipped: 0 };
      }),
      shipTo: { name: "Jane Doe", addressLine1: "410 Terry Ave N", city: "Seattle", stateOrRegion: "WA", postalCode: "98109", countryCode: "US", ...seed.shipTo },
      packages: [],
    });
    return this.view(orderId);
  }

  /** Payment confirmed: PENDING → UNSHIPPED, an update. */
  pay(orderId: string): void {
    const record = this.#record(orderId);
    if (record.status !== "PENDING" && record.status !== "PENDING_AVAILABILITY") throw new Error(`order ${orderId} is ${record.status}, not pending`);
    this.#update(record, "UNSHIPPED");
  }

  /** Any other change Amazon makes (an address corrected, say): the status stays, the order counts as updated. */
  touch(orderId: string): void {
    const record = this.#record(orderId);
    this.#update(record, record.status);
  }

  /** How many times searchOrders has served the order. */
  timesListed(orderId: string): number {
    return this.#listed.get(orderId) ?? 0;
  }

  /** The buyer or Amazon cancels an order nothing of which shipped. */
  cancel(orderId: string): void {
    const record = this.#record(orderId);
    if (record.items.some((item) => item.shipped > 0)) throw new Error(`order ${orderId} has shipped units: the fake cancels whole orders only`);
    this.#update(record, "CANCELLED");
  }

  view(orderId: string): FakeAmazonOrder {
    const record = this.#record(orderId);
    return {
      orderId,
      status: record.status,
      updatedAt: record.updatedAt,
      items: record.items.map(({ orderItemId, sku, qty, shipped }) => ({ orderItemId, sku, qty, shipped })),
      packages: structuredClone(record.packages),
    };
  }

  /** Answers searchOrders, getOrder or confirmShipment for `sellerId` (authenticated and throttled by the caller). */
  answer(operation: "searchOrders" | "getOrder" | "confirmShipment", sellerId: string, params: string[], url: URL, raw: Buffer): HttpAnswer {
    if (operation === "searchOrders") return this.#search(sellerId, url);
    const record = this.#records.get(params[0] ?? "");
    if (!record || record.sellerId !== sellerId) return spError(404, "NotFound", `No order ${params[0] ?? ""} for this seller.`);
    if (operation === "getOrder") {
      const included = listParam(url, "includedData");
      const unknown = included.find((name) => !datasets.includes(name));
      if (unknown) return invalidInput(`includedData: ${unknown} is not a dataset.`);
      this.reads += 1;
      return { status: 200, body: { order: this.#wire(record, included) } };
    }
    return this.#confirm(record, raw);
  }

  #search(sellerId: string, url: URL): HttpAnswer {
    const now = this.#now();
    const limitText = url.searchParams.get("maxResultsPerPage") ?? "100";
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 100) return invalidInput("maxResultsPerPage must be a whole number from 1 to 100.");
    const included = listParam(url, "includedData");
    const unknown = included.find((name) => !datasets.includes(name));
    if (unknown) return invalidInput(`includedData: ${unknown} is not a dataset.`);
    const query = readQuery(url, now, this.defaults.listingLagMs);
    if (typeof query === "string") return invalidInput(query);
    let after: [number, number] | null = null;
    const tokenText = url.searchParams.get("paginationToken");
    if (tokenText !== null) {
      const token = readToken(tokenText);
      if (!token) return invalidInput("paginationToken is not a token this server gave.");
      if (now - token.issuedAt > tokenLifetimeMs) return invalidInput("paginationToken has expired (24 hours).");
      // The model: every parameter but maxResultsPerPage and includedData must be the same as in the first request.
      if (!sameFilters(token.query, query)) return invalidInput("The parameters must be the same as those of the request that gave the paginationToken.");
      query.bound = token.query.bound;
      after = token.last;
    }
    const time = (record: OrderRecord) => (query.field === "created" ? record.createdAt : record.updatedAt);
    const matching = [...this.#records.values()]
      .filter(
        (record) =>
          record.sellerId === sellerId &&
          time(record) >= query.after &&
          time(record) < query.bound &&
          (query.marketplaceIds.length === 0 || query.marketplaceIds.includes(record.marketplaceId)) &&
          (query.statuses.length === 0 || query.statuses.includes(record.status)) &&
          (query.fulfilledBy.length === 0 || query.fulfilledBy.includes(record.fulfilledBy)),
      )
      .sort((a, b) => time(a) - time(b) || a.seq - b.seq)
      .filter((record) => !after || time(record) > after[0] || (time(record) === after[0] && record.seq > after[1]));
    // A page may hold fewer than maxResultsPerPage (a maximum): `pageLimit` makes tests page with few orders.
    const served = matching.slice(0, Math.min(limit, this.defaults.pageLimit));
    for (const record of served) this.#listed.set(record.orderId, this.timesListed(record.orderId) + 1);
    this.searches += 1;
    const body: Record<string, unknown> = { orders: served.map((record) => this.#wire(record, included)) };
    if (matching.length > served.length) {
      const last = served.at(-1)!;
      const token: PageToken = { query, last: [time(last), last.seq], issuedAt: now };
      body["pagination"] = { nextToken: Buffer.from(JSON.stringify(token)).toString("base64url") };
    }
    body[query.field === "created" ? "createdBefore" : "lastUpdatedBefore"] = iso(query.bound);
    return { status: 200, body };
  }

  /** confirmShipment: checks everything, then applies all of it; 204 with no body. */
  #confirm(record: OrderRecord, raw: Buffer): HttpAnswer {
    const body = parseJson(raw);
    if (!isRecord(body)) return invalidInput("The body must be { marketplaceId, packageDetail }.");
    if (typeof body["marketplaceId"] !== "string" || body["marketplaceId"] === "") return invalidInput("marketplaceId is required.");
    if (body["marketplaceId"] !== record.marketplaceId) return invalidInput(`Order ${record.orderId} was not placed in marketplace ${body["marketplaceId"]}.`);
    const detail = readPackage(body["packageDetail"]);
    if (typeof detail === "string") return invalidInput(detail);
    if (record.fulfilledBy !== "MERCHANT") return invalidInput(`Order ${record.orderId} is fulfilled by Amazon.`);
    if (record.status !== "UNSHIPPED" && record.status !== "PARTIALLY_SHIPPED") return invalidInput(`Order ${record.orderId} is ${record.status}: it cannot be shipped.`);
    // INVENTED: Amazon's answer to a repeated packageReferenceId is not documented; the fake refuses it.
    if (record.packages.some((p) => p.packageReferenceId === detail.packageReferenceId)) return invalidInput(`Order ${record.orderId} already has package ${detail.packageReferenceId}.`);
    for (const { orderItemId } of detail.items) {
      const item = record.items.find((i) => i.orderItemId === orderItemId);
      if (!item) return invalidInput(`Order ${record.orderId} has no order item ${orderItemId}.`);
      const asked = detail.items.filter((i) => i.orderItemId === orderItemId).reduce((sum, i) => sum + i.quantity, 0);
      if (asked > item.qty - item.shipped) return invalidInput(`Order item ${orderItemId}: ${asked} to ship, ${item.qty - item.shipped} left to ship.`);
    }
    for (const { orderItemId, quantity } of detail.items) record.items.find((i) => i.orderItemId === orderItemId)!.shipped += quantity;
    record.packages.push({ ...detail, at: this.#now() });
    this.confirmations += 1;
    this.#update(record, record.items.every((item) => item.shipped === item.qty) ? "SHIPPED" : "PARTIALLY_SHIPPED");
    return { status: 204, body: Buffer.alloc(0) };
  }

  /** The order on the wire, with the datasets asked for. INVENTED: the recipient is withheld while the order is pending. */
  #wire(record: OrderRecord, included: string[]): object {
    const money = (amount: string) => ({ amount, currencyCode: record.currency });
    const has = (name: string) => included.includes(name);
    const items = record.items.map((item) => {
      const breakdowns = [{ type: "ITEM", subtotal: money(times(item.unitPrice, item.qty)) }];
      if (item.shipping) breakdowns.push({ type: "SHIPPING", subtotal: money(item.shipping) });
      if (item.tax) breakdowns.push({ type: "TAX", subtotal: money(item.tax) });
      // INVENTED: the sign of a DISCOUNT subtotal is not documented; the fake sends it negative.
      if (item.discount) breakdowns.push({ type: "DISCOUNT", subtotal: money(`-${item.discount}`) });
      const total = breakdowns.reduce((sum, b) => sum + Math.round(Number(b.subtotal.amount) * 100), 0);
      return {
        orderItemId: item.orderItemId,
        quantityOrdered: item.qty,
        product: { asin: `B0${item.sku.replace(/[^A-Z0-9]/gi, "").slice(0, 8).toUpperCase().padEnd(8, "0")}`, title: `Product ${item.sku}`, sellerSku: item.sku, price: { unitPrice: money(item.unitPrice) } },
        ...(has("PROCEEDS") ? { proceeds: { proceedsTotal: money((total / 100).toFixed(2)), breakdowns } } : {}),
        ...(has("FULFILLMENT") ? { fulfillment: { quantityFulfilled: item.shipped, quantityUnfulfilled: record.status === "CANCELLED" ? 0 : item.qty - item.shipped } } : {}),
      };
    });
    const pending = record.status === "PENDING" || record.status === "PENDING_AVAILABILITY";
    return {
      orderId: record.orderId,
      createdTime: iso(record.createdAt),
      lastUpdatedTime: iso(record.updatedAt),
      salesChannel: { channelName: "AMAZON", marketplaceId: record.marketplaceId },
      ...(has("RECIPIENT") && !pending ? { recipient: { deliveryAddress: { ...record.shipTo, addressType: "RESIDENTIAL" } } } : {}),
      ...(has("FULFILLMENT") ? { fulfillment: { fulfillmentStatus: record.status, fulfilledBy: record.fulfilledBy } } : {}),
      orderItems: items,
      ...(has("PACKAGES") && record.fulfilledBy === "MERCHANT"
        ? {
            packages: record.packages.map((p) => ({
              packageReferenceId: p.packageReferenceId,
              createdTime: iso(p.at),
              packageStatus: { status: "SHIPPED" },
              carrier: p.carrierCode,
              shipTime: p.shipDate,
              trackingNumber: p.trackingNumber,
              packageItems: p.items.map(({ orderItemId, quantity }) => ({ orderItemId, quantity })),
            })),
          }
        : {}),
    };
  }

  #update(record: OrderRecord, status: FulfillmentStatus): void {
    record.status = status;
    // Every change is an update: strictly later than the last, so a listing after it sees it.
    record.updatedAt = Math.max(this.#now(), record.updatedAt + 1);
  }

  #record(orderId: string): OrderRecord {
    const record = this.#records.get(orderId);
    if (!record) throw new Error(`no order ${orderId}`);
    return record;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A unit price times a quantity, as a decimal string with two places (the fake's currencies have cents). */
function times(amount: string, qty: number): string {
  return ((Math.round(Number(amount) * 100) * qty) / 100).toFixed(2);
}
