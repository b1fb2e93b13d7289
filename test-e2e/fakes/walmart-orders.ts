import { isRecord, notAllowed, walmartErrors } from "./walmart-wire.ts";
import type { HttpAnswer } from "./walmart-wire.ts";

/**
 * The fake Walmart's orders: state and the four calls (`GET /v3/orders`,
 * `GET /v3/orders/{id}`, `POST …/acknowledge`, `POST …/shipping`). Shapes
 * follow the orders model (highsidelabs/walmart-api-php
 * `models/us/mp/orders.json` @044255b) and REFERENCE.md §3; what neither
 * says is marked "Invented" below. `walmart.ts` authenticates and routes.
 */

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** Walmart keeps 180 days of orders (REFERENCE.md §3). */
const retentionMs = 180 * dayMs;
/** Walmart: acknowledge within 4 hours (REFERENCE.md §3). */
export const acknowledgeWithinMs = 4 * hourMs;
const defaultLimit = 100;
const maxLimit = 200;

export type LineStatus = "Created" | "Acknowledged" | "Shipped" | "Delivered" | "Cancelled" | "Refund";
/** The `status` filter of `GET /v3/orders` (REFERENCE.md §3). */
const listStatuses: readonly string[] = ["Created", "Acknowledged", "Shipped", "Delivered", "Cancelled"];

export interface WalmartQuantity {
  unitOfMeasurement: "EACH";
  /** A string on the wire, as in the model's examples. */
  amount: string;
}

export interface WalmartMoney {
  currency: "USD";
  amount: number;
}

export interface WalmartPostalAddress {
  name: string;
  address1: string;
  address2?: string | null;
  city: string;
  state: string;
  postalCode: string;
  country: string;
  addressType: string;
}

export interface WalmartTrackingInfo {
  shipDateTime: number;
  carrierName: { carrier?: string; otherCarrier?: string };
  methodCode: string;
  trackingNumber: string;
  trackingURL?: string;
}

export interface WalmartLineStatus {
  status: LineStatus;
  statusQuantity: WalmartQuantity;
  trackingInfo?: WalmartTrackingInfo;
}

export interface WalmartCharge {
  chargeType: "PRODUCT" | "SHIPPING";
  chargeName: string;
  chargeAmount: WalmartMoney;
  tax?: { taxName: string; taxAmount: WalmartMoney } | null;
}

export interface WalmartOrderLine {
  lineNumber: string;
  item: { productName: string; sku: string };
  charges: { charge: WalmartCharge[] };
  orderLineQuantity: WalmartQuantity;
  statusDate: number;
  orderLineStatuses: { orderLineStatus: WalmartLineStatus[] };
}

/** An order as Walmart serves it (the model's required fields only). */
export interface WalmartOrder {
  purchaseOrderId: string;
  customerOrderId: string;
  customerEmailId: string;
  /** Epoch ms. */
  orderDate: number;
  shippingInfo: {
    phone: string;
    estimatedDeliveryDate: number;
    estimatedShipDate: number;
    methodCode: string;
    postalAddress: WalmartPostalAddress;
  };
  orderLines: { orderLine: WalmartOrderLine[] };
}

/** What `walmartOrder` builds an order from. */
export interface WalmartOrderSeed {
  purchaseOrderId?: string;
  customerOrderId?: string;
  customerEmailId?: string;
  /** Epoch ms; default the fake's now. */
  orderDate?: number;
  methodCode?: string;
  phone?: string;
  /** `unitPrice` and `tax` in dollars (19.99); `tax` is the line's whole tax. */
  lines: { sku: string; qty: number; unitPrice: number; tax?: number; productName?: string }[];
  shipTo?: Partial<WalmartPostalAddress>;
}

export interface WalmartShipment {
  /** The fake's clock when the shipping call applied. */
  at: number;
  lineNumber: string;
  quantity: number;
  trackingInfo: WalmartTrackingInfo;
}

/** An order as the test reads it. */
export interface FakeWalmartOrder {
  purchaseOrderId: string;
  orderDate: number;
  lines: { lineNumber: string; sku: string; quantity: number; statuses: { status: LineStatus; quantity: number }[] }[];
  acknowledged: boolean;
  /** The first acknowledgement that applied; a repeat keeps it. */
  acknowledgedAt: number | null;
  /** Acknowledged at most 4 hours after `orderDate`, on the fake's clock. */
  acknowledgedInTime: boolean;
  shipments: WalmartShipment[];
  modifiedAt: number;
  /** The order as `GET /v3/orders/{id}` serves it now. */
  wire: WalmartOrder;
}

interface OrderRecord {
  seq: number;
  order: WalmartOrder;
  acknowledgedAt: number | null;
  shipments: WalmartShipment[];
  modifiedAt: number;
}

/** The list's filters; a cursor carries them with the page's position. */
interface ListQuery {
  limit: number;
  status: string | null;
  createdStart: number;
  createdEnd: number | null;
  modifiedStart: number | null;
  modifiedEnd: number | null;
  sku: string | null;
  customerOrderId: string | null;
  purchaseOrderId: string | null;
  /** The `seq` of the last order served: the next page starts after it. */
  after: number | null;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const each = (amount: number): WalmartQuantity => ({ unitOfMeasurement: "EACH", amount: String(amount) });

/**
 * A documented-shape order in `Created`. Invented where the model is silent:
 * ids (13 digits from a counter), the relay email, phone, address, ship and
 * delivery estimates (+1 and +5 days), `chargeAmount` as the line total
 * (unitPrice × qty; whether Walmart sends unit or line price is [U]) and
 * `taxName: "Tax1"` (the model's example).
 */
export function walmartOrder(seed: WalmartOrderSeed, now: number, n = 1): WalmartOrder {
  if (seed.lines.length === 0) throw new Error("an order needs at least one line");
  const orderDate = seed.orderDate ?? now;
  const purchaseOrderId = seed.purchaseOrderId ?? String(1_800_000_000_000 + n);
  return {
    purchaseOrderId,
    customerOrderId: seed.customerOrderId ?? String(5_200_000_000_000 + n),
    customerEmailId: seed.customerEmailId ?? `${purchaseOrderId}@relay.walmart.com`,
    orderDate,
    shippingInfo: {
      phone: seed.phone ?? "5105550100",
      estimatedDeliveryDate: orderDate + 5 * dayMs,
      estimatedShipDate: orderDate + dayMs,
      methodCode: seed.methodCode ?? "Standard",
      postalAddress: { name: "Jane Doe", address1: "123 Main Street", city: "Sunnyvale", state: "CA", postalCode: "94086", country: "USA", addressType: "RESIDENTIAL", ...seed.shipTo },
    },
    orderLines: {
      orderLine: seed.lines.map((line, index) => {
        if (!Number.isInteger(line.qty) || line.qty < 1) throw new Error(`line ${index + 1}: qty must be a whole number ≥ 1`);
        if (!(line.unitPrice >= 0)) throw new Error(`line ${index + 1}: unitPrice must be ≥ 0`);
        const charge: WalmartCharge = { chargeType: "PRODUCT", chargeName: "ItemPrice", chargeAmount: { currency: "USD", amount: round2(line.unitPrice * line.qty) } };
        if (line.tax !== undefined) charge.tax = { taxName: "Tax1", taxAmount: { currency: "USD", amount: round2(line.tax) } };
        return {
          lineNumber: String(index + 1),
          item: { productName: line.productName ?? `Product ${line.sku}`, sku: line.sku },
          charges: { charge: [charge] },
          orderLineQuantity: each(line.qty),
          statusDate: orderDate,
          orderLineStatuses: { orderLineStatus: [{ status: "Created", statusQuantity: each(line.qty) }] },
        };
      }),
    },
  };
}

export class WalmartOrders {
  readonly #now: () => number;
  readonly #throttleList: () => HttpAnswer | null;
  readonly #records = new Map<string, OrderRecord>();
  #seq = 0;

  /** `throttleList` takes a token of the list's bucket: a 429 answer when empty. */
  constructor(now: () => number, throttleList: () => HttpAnswer | null) {
    this.#now = now;
    this.#throttleList = throttleList;
  }

  add(input: WalmartOrder | WalmartOrderSeed): WalmartOrder {
    this.#seq += 1;
    const order = "orderLines" in input ? structuredClone(input) : walmartOrder(input, this.#now(), this.#seq);
    if (this.#records.has(order.purchaseOrderId)) throw new Error(`order ${order.purchaseOrderId} exists`);
    this.#records.set(order.purchaseOrderId, { seq: this.#seq, order, acknowledgedAt: null, shipments: [], modifiedAt: order.orderDate });
    return structuredClone(order);
  }

  /** The customer or Walmart cancels: every unshipped quantity becomes Cancelled. */
  cancel(purchaseOrderId: string): void {
    const record = this.#record(purchaseOrderId);
    for (const line of record.order.orderLines.orderLine) {
      const open = quantityIn(line, ["Created", "Acknowledged"]);
      if (open > 0) this.#move(record, line, ["Created", "Acknowledged"], "Cancelled", open);
    }
  }

  view(purchaseOrderId: string): FakeWalmartOrder {
    const { order, acknowledgedAt, shipments, modifiedAt } = this.#record(purchaseOrderId);
    return {
      purchaseOrderId,
      orderDate: order.orderDate,
      lines: order.orderLines.orderLine.map((line) => ({
        lineNumber: line.lineNumber,
        sku: line.item.sku,
        quantity: Number(line.orderLineQuantity.amount),
        statuses: line.orderLineStatuses.orderLineStatus.map((s) => ({ status: s.status, quantity: Number(s.statusQuantity.amount) })),
      })),
      acknowledged: acknowledgedAt !== null,
      acknowledgedAt,
      acknowledgedInTime: acknowledgedAt !== null && acknowledgedAt - order.orderDate <= acknowledgeWithinMs,
      shipments: structuredClone(shipments),
      modifiedAt,
      wire: structuredClone(order),
    };
  }

  ids(): string[] {
    return [...this.#records.values()].sort(byAge).map((r) => r.order.purchaseOrderId);
  }

  /** Answers a request under `/v3/orders`, or null when the path is not an orders path. */
  answer(method: string, url: URL, raw: Buffer): HttpAnswer | null {
    if (url.pathname === "/v3/orders") {
      if (method !== "GET") return notAllowed();
      return this.#throttleList() ?? this.#list(url);
    }
    const match = /^\/v3\/orders\/([^/]+)(?:\/(acknowledge|shipping))?$/.exec(url.pathname);
    if (!match) return null;
    const id = decodeURIComponent(match[1]!);
    const action = match[2];
    if (action === undefined ? method !== "GET" : method !== "POST") return notAllowed();
    const record = this.#records.get(id);
    if (!record) return { status: 404, body: walmartErrors("CONTENT_NOT_FOUND.GMP_ORDER_API", `No order ${id}.`, "purchaseOrderId") };
    if (action === "acknowledge") return this.#acknowledge(record);
    if (action === "shipping") return this.#ship(record, raw);
    return { status: 200, body: { order: structuredClone(record.order) } };
  }

  /**
   * `{ list: { meta: { totalCount, limit, nextCursor? }, elements: { order: [] } } }`, oldest first.
   * The cursor is Walmart-like (`?limit=…&hasMoreElements=true&soIndex=…&poIndex=…&<filters>`) and
   * is read back either as `?nextCursor=<cursor>` or appended to the path as Walmart's docs say.
   */
  #list(url: URL): HttpAnswer {
    const cursor = url.searchParams.get("nextCursor");
    const fromCursor = cursor !== null || url.searchParams.has("hasMoreElements");
    const params = cursor !== null ? new URLSearchParams(cursor.replace(/^\?/, "")) : url.searchParams;
    const query = this.#readQuery(params, fromCursor);
    if (typeof query === "string") return listError(query);
    const now = this.#now();
    const matching = [...this.#records.values()].filter((record) => matches(record, query, now)).sort(byAge);
    const start = query.after === null ? 0 : matching.findIndex((record) => byAge(record, this.#bySeq(query.after!)) > 0);
    const rest = start < 0 ? [] : matching.slice(start);
    const served = rest.slice(0, query.limit);
    const meta: Record<string, unknown> = { totalCount: matching.length, limit: query.limit };
    if (rest.length > served.length) meta["nextCursor"] = cursorOf(query, served.at(-1)!.seq, matching.length);
    return { status: 200, body: { list: { meta, elements: { order: served.map((record) => structuredClone(record.order)) } } } };
  }

  #readQuery(params: URLSearchParams, fromCursor: boolean): ListQuery | string {
    const text = (name: string) => params.get(name) || null;
    const limitText = params.get("limit") ?? String(defaultLimit);
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > maxLimit) return `limit must be a whole number from 1 to ${maxLimit}.`;
    const status = text("status");
    if (status !== null && !listStatuses.includes(status)) return `status must be one of ${listStatuses.join(", ")}.`;
    const dates: Record<string, number | null> = {};
    for (const name of ["createdStartDate", "createdEndDate", "lastModifiedStartDate", "lastModifiedEndDate"]) {
      const value = text(name);
      const ms = value === null ? null : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (Number.isNaN(ms)) return `${name} must be a date, a timestamp or epoch ms.`;
      dates[name] = ms;
    }
    let after: number | null = null;
    if (fromCursor) {
      after = Number(params.get("poIndex"));
      if (!Number.isInteger(after) || !this.#bySeqOrNull(after)) return "nextCursor is not a cursor this server gave.";
    }
    return {
      limit,
      status,
      // Invented: the 7-day default applies only when lastModifiedStartDate is not given.
      createdStart: dates["createdStartDate"] ?? (dates["lastModifiedStartDate"] === null ? this.#now() - 7 * dayMs : 0),
      createdEnd: dates["createdEndDate"] ?? null,
      modifiedStart: dates["lastModifiedStartDate"] ?? null,
      modifiedEnd: dates["lastModifiedEndDate"] ?? null,
      sku: text("sku"),
      customerOrderId: text("customerOrderId"),
      purchaseOrderId: text("purchaseOrderId"),
      after,
    };
  }

  /** Created → Acknowledged on every line; a repeat is a no-op; shipped or cancelled → 400. */
  #acknowledge(record: OrderRecord): HttpAnswer {
    const lines = record.order.orderLines.orderLine;
    const closed = lines.flatMap((line) => line.orderLineStatuses.orderLineStatus).find((s) => s.status !== "Created" && s.status !== "Acknowledged");
    if (closed) return orderError(`Order ${record.order.purchaseOrderId} has ${closed.status} quantity: only a Created order can be acknowledged.`, "purchaseOrderId");
    for (const line of lines) {
      const created = quantityIn(line, ["Created"]);
      if (created > 0) this.#move(record, line, ["Created"], "Acknowledged", created);
    }
    record.acknowledgedAt ??= this.#now();
    return { status: 200, body: { order: structuredClone(record.order) } };
  }

  /** Validates every line first, then ships all of them: all or nothing. */
  #ship(record: OrderRecord, raw: Buffer): HttpAnswer {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return orderError("The body is not JSON.", "body");
    }
    const requested = isRecord(body) && isRecord(body["orderShipment"]) && isRecord(body["orderShipment"]["orderLines"]) ? body["orderShipment"]["orderLines"]["orderLine"] : undefined;
    if (!Array.isArray(requested) || requested.length === 0) return orderError("orderShipment.orderLines.orderLine must list at least one line.", "orderLine");
    const plan: { line: WalmartOrderLine; quantity: number; trackingInfo: WalmartTrackingInfo }[] = [];
    for (const entry of requested as unknown[]) {
      const lineNumber = isRecord(entry) ? String(entry["lineNumber"]) : "";
      const line = record.order.orderLines.orderLine.find((l) => l.lineNumber === lineNumber);
      if (!line) return orderError(`Order ${record.order.purchaseOrderId} has no line ${lineNumber}.`, "lineNumber");
      const statuses = isRecord(entry) && isRecord(entry["orderLineStatuses"]) ? entry["orderLineStatuses"]["orderLineStatus"] : undefined;
      if (!Array.isArray(statuses) || statuses.length === 0) return orderError(`Line ${lineNumber}: orderLineStatuses.orderLineStatus is required.`, "orderLineStatus");
      for (const status of statuses as unknown[]) {
        const problem = shipmentError(status);
        if (problem) return orderError(`Line ${lineNumber}: ${problem}`, "orderLineStatus");
        const s = status as { statusQuantity: { amount: string | number }; trackingInfo: WalmartTrackingInfo };
        plan.push({ line, quantity: Number(s.statusQuantity.amount), trackingInfo: s.trackingInfo });
      }
    }
    for (const line of new Set(plan.map((p) => p.line))) {
      const asked = plan.filter((p) => p.line === line).reduce((sum, p) => sum + p.quantity, 0);
      const open = quantityIn(line, ["Created", "Acknowledged"]);
      if (asked > open) return orderError(`Line ${line.lineNumber}: ${asked} to ship, ${open} left to ship (ordered ${line.orderLineQuantity.amount}).`, "statusQuantity");
    }
    for (const { line, quantity, trackingInfo } of plan) {
      // Invented: Acknowledged quantity ships first, then Created (Walmart MP does not say shipping needs an acknowledgement).
      this.#move(record, line, ["Acknowledged", "Created"], "Shipped", quantity, trackingInfo);
      record.shipments.push({ at: this.#now(), lineNumber: line.lineNumber, quantity, trackingInfo: structuredClone(trackingInfo) });
    }
    return { status: 200, body: { order: structuredClone(record.order) } };
  }

  /** Moves `quantity` out of the `from` statuses (in that order) into `to`; Shipped keeps one entry per tracking. */
  #move(record: OrderRecord, line: WalmartOrderLine, from: LineStatus[], to: LineStatus, quantity: number, trackingInfo?: WalmartTrackingInfo): void {
    const list = line.orderLineStatuses.orderLineStatus;
    let left = quantity;
    for (const status of from) {
      for (const entry of list.filter((s) => s.status === status)) {
        const take = Math.min(left, Number(entry.statusQuantity.amount));
        entry.statusQuantity = each(Number(entry.statusQuantity.amount) - take);
        left -= take;
      }
    }
    const into = trackingInfo ? undefined : list.find((s) => s.status === to);
    if (into) into.statusQuantity = each(Number(into.statusQuantity.amount) + quantity);
    else list.push(trackingInfo ? { status: to, statusQuantity: each(quantity), trackingInfo: structuredClone(trackingInfo) } : { status: to, statusQuantity: each(quantity) });
    line.orderLineStatuses.orderLineStatus = list.filter((s) => Number(s.statusQuantity.amount) > 0);
    line.statusDate = this.#now();
    record.modifiedAt = this.#now();
  }

  #record(purchaseOrderId: string): OrderRecord {
    const record = this.#records.get(purchaseOrderId);
    if (!record) throw new Error(`no order ${purchaseOrderId}`);
    return record;
  }

  #bySeqOrNull(seq: number): OrderRecord | undefined {
    return [...this.#records.values()].find((record) => record.seq === seq);
  }

  #bySeq(seq: number): OrderRecord {
    return this.#bySeqOrNull(seq)!;
  }
}

function quantityIn(line: WalmartOrderLine, statuses: LineStatus[]): number {
  return line.orderLineStatuses.orderLineStatus.filter((s) => statuses.includes(s.status)).reduce((sum, s) => sum + Number(s.statusQuantity.amount), 0);
}

/** Oldest first by `orderDate`, then in the order added. */
function byAge(a: OrderRecord, b: OrderRecord): number {
  return a.order.orderDate - b.order.orderDate || a.seq - b.seq;
}

function matches({ order, modifiedAt }: OrderRecord, q: ListQuery, now: number): boolean {
  const statuses = order.orderLines.orderLine.flatMap((line) => line.orderLineStatuses.orderLineStatus.map((s) => s.status as string));
  return (
    order.orderDate >= Math.max(q.createdStart, now - retentionMs) &&
    (q.createdEnd === null || order.orderDate <= q.createdEnd) &&
    (q.modifiedStart === null || modifiedAt >= q.modifiedStart) &&
    (q.modifiedEnd === null || modifiedAt <= q.modifiedEnd) &&
    (q.status === null || statuses.includes(q.status)) &&
    (q.sku === null || order.orderLines.orderLine.some((line) => line.item.sku === q.sku)) &&
    (q.customerOrderId === null || order.customerOrderId === q.customerOrderId) &&
    (q.purchaseOrderId === null || order.purchaseOrderId === q.purchaseOrderId)
  );
}

/** Invented format, shaped like Walmart's: `soIndex` is the total, `poIndex` the last order served (the fake's own sequence number). */
function cursorOf(q: ListQuery, after: number, total: number): string {
  const params = new URLSearchParams({ limit: String(q.limit), hasMoreElements: "true", soIndex: String(total), poIndex: String(after) });
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const filters: [string, string | null][] = [
    ["status", q.status],
    ["createdStartDate", iso(q.createdStart)],
    ["createdEndDate", iso(q.createdEnd)],
    ["lastModifiedStartDate", iso(q.modifiedStart)],
    ["lastModifiedEndDate", iso(q.modifiedEnd)],
    ["sku", q.sku],
    ["customerOrderId", q.customerOrderId],
    ["purchaseOrderId", q.purchaseOrderId],
  ];
  for (const [name, value] of filters) if (value !== null) params.set(name, value);
  return `?${params.toString()}`;
}

/** Why one `orderLineStatus` of a shipping request is not a shipment, or null. */
function shipmentError(status: unknown): string | null {
  if (!isRecord(status) || status["status"] !== "Shipped") return 'each orderLineStatus must have status "Shipped".';
  const quantity = status["statusQuantity"];
  const amount = isRecord(quantity) ? Number(quantity["amount"]) : Number.NaN;
  if (!isRecord(quantity) || quantity["unitOfMeasurement"] !== "EACH" || !Number.isInteger(amount) || amount < 1) return 'statusQuantity must be { unitOfMeasurement: "EACH", amount: <whole number ≥ 1> }.';
  const tracking = status["trackingInfo"];
  if (!isRecord(tracking)) return "trackingInfo is required.";
  if (typeof tracking["shipDateTime"] !== "number") return "trackingInfo.shipDateTime must be epoch ms.";
  const carrier = tracking["carrierName"];
  if (!isRecord(carrier) || (typeof carrier["carrier"] !== "string" && typeof carrier["otherCarrier"] !== "string")) return "trackingInfo.carrierName needs carrier or otherCarrier.";
  if (typeof tracking["methodCode"] !== "string" || !tracking["methodCode"]) return "trackingInfo.methodCode is required.";
  if (typeof tracking["trackingNumber"] !== "string" || !tracking["trackingNumber"]) return "trackingInfo.trackingNumber is required.";
  if (tracking["trackingURL"] !== undefined && typeof tracking["trackingURL"] !== "string") return "trackingInfo.trackingURL must be a string.";
  return null;
}

function orderError(description: string, field: string): HttpAnswer {
  return { status: 400, body: walmartErrors("INVALID_REQUEST_CONTENT.GMP_ORDER_API", description, field, "DATA") };
}

function listError(description: string): HttpAnswer {
  return { status: 400, body: walmartErrors("INVALID_REQUEST_PARAM.GMP_ORDER_API", description, undefined, "REQUEST") };
}
