import { GraphQLError } from "graphql";
import { parseGid } from "./shopify-admin-schema.ts";

/**
 * The fake shop's orders, as far as a fulfilment app sees them: each order
 * has fulfillment orders (one per location in Shopify; the fake gives each
 * order one) whose line items track what is left to ship, and
 * `fulfillmentCreate` ships some of them with tracking information. Shopify
 * documents no idempotency for `fulfillmentCreate`: the same call twice ships
 * twice (or is refused when nothing is left), which is what a client must
 * guard against.
 */
export class ShopOrders {
  readonly #orders = new Map<string, ShopOrder>();
  readonly #fulfillments: ShopFulfillment[] = [];
  readonly #nextId: () => number;
  readonly #now: () => number;

  constructor(nextId: () => number, now: () => number) {
    this.#nextId = nextId;
    this.#now = now;
  }

  /** An order with this numeric id (as its webhook carries it) and one open fulfillment order holding its lines. */
  add(orderId: string, lines: { sku: string; qty: number }[]): ShopOrder {
    const order: ShopOrder = {
      id: `gid://shopify/Order/${orderId}`,
      name: `#${1000 + this.#orders.size + 1}`,
      fulfillmentOrders: [
        {
          id: `gid://shopify/FulfillmentOrder/${this.#nextId()}`,
          status: "OPEN",
          lineItems: lines.map((line) => ({ id: `gid://shopify/FulfillmentOrderLineItem/${this.#nextId()}`, sku: line.sku, totalQuantity: line.qty, remainingQuantity: line.qty })),
        },
      ],
    };
    this.#orders.set(order.id, order);
    return order;
  }

  /** Every fulfillment created, in order: what a test checks was shipped once. */
  get fulfillments(): readonly ShopFulfillment[] {
    return this.#fulfillments;
  }

  /** Units left to ship of `sku` on the order. */
  remaining(orderId: string, sku: string): number {
    const order = this.#orders.get(`gid://shopify/Order/${orderId}`);
    if (!order) throw new Error(`no order ${orderId}`);
    return order.fulfillmentOrders.flatMap((fo) => fo.lineItems).filter((item) => item.sku === sku).reduce((sum, item) => sum + item.remainingQuantity, 0);
  }

  /** The GraphQL resolvers of the fake's root value. */
  resolvers(): Record<string, (args: never) => unknown> {
    return {
      order: (args: { id: string }) => this.#order(args.id),
      fulfillmentCreate: (args: { fulfillment: FulfillmentInput }) => this.#create(args.fulfillment),
    };
  }

  #order(id: string): object | null {
    if (!parseGid(id)) throw new GraphQLError(`Invalid global id '${id}'`);
    const order = this.#orders.get(id);
    if (!order) return null;
    return {
      __typename: "Order",
      id: order.id,
      name: order.name,
      fulfillmentOrders: (args: { first?: number | null }) => connection(order.fulfillmentOrders, args.first, fulfillmentOrderView),
    };
  }

  /**
   * Ships the requested units (all of a fulfillment order's when its line
   * items are left out), all or nothing: any line item unknown, or asked for
   * more than it has left, and nothing ships.
   */
  #create(input: FulfillmentInput): object {
    const refuse = (message: string, field: string[]) => ({ fulfillment: null, userErrors: [{ field, message }] });
    const plan: { item: FulfillmentOrderLineItem; qty: number }[] = [];
    const orders = new Set<ShopOrder>();
    for (const [index, group] of input.lineItemsByFulfillmentOrder.entries()) {
      const order = [...this.#orders.values()].find((o) => o.fulfillmentOrders.some((fo) => fo.id === group.fulfillmentOrderId));
      const fo = order?.fulfillmentOrders.find((f) => f.id === group.fulfillmentOrderId);
      if (!order || !fo) return refuse("Fulfillment order does not exist.", ["fulfillment", "lineItemsByFulfillmentOrder", String(index), "fulfillmentOrderId"]);
      if (fo.status === "CLOSED" || fo.status === "CANCELLED") return refuse(`Fulfillment order ${fo.id} has an unfulfillable status= ${fo.status.toLowerCase()}.`, ["fulfillment"]);
      orders.add(order);
      const wanted = group.fulfillmentOrderLineItems ?? fo.lineItems.map((item) => ({ id: item.id, quantity: item.remainingQuantity }));
      for (const { id, quantity } of wanted) {
        const item = fo.lineItems.find((i) => i.id === id);
        if (!item || quantity <= 0) return refuse("Invalid fulfillment order line item quantity requested.", ["fulfillment"]);
        plan.push({ item, qty: quantity });
      }
    }
    if (orders.size !== 1) return refuse("All fulfillment orders must belong to the same order.", ["fulfillment"]);
    const asked = new Map<FulfillmentOrderLineItem, number>();
    for (const { item, qty } of plan) asked.set(item, (asked.get(item) ?? 0) + qty);
    if ([...asked].some(([item, qty]) => qty > item.remainingQuantity)) return refuse("Invalid fulfillment order line item quantity requested.", ["fulfillment"]);
    for (const [item, qty] of asked) item.remainingQuantity -= qty;
    const order = [...orders][0]!;
    for (const fo of order.fulfillmentOrders) {
      const left = fo.lineItems.reduce((sum, item) => sum + item.remainingQuantity, 0);
      fo.status = left === 0 ? "CLOSED" : fo.lineItems.some((item) => item.remainingQuantity < item.totalQuantity) ? "IN_PROGRESS" : "OPEN";
    }
    const tracking = input.trackingInfo ?? null;
    const fulfillment: ShopFulfillment = {
      id: `gid://shopify/Fulfillment/${this.#nextId()}`,
      orderId: order.id,
      lines: [...asked].map(([item, qty]) => ({ sku: item.sku, qty })),
      company: tracking?.company ?? null,
      number: tracking?.number ?? null,
      notifyCustomer: input.notifyCustomer ?? false,
      at: this.#now(),
    };
    this.#fulfillments.push(fulfillment);
    return {
      fulfillment: {
        __typename: "Fulfillment",
        id: fulfillment.id,
        status: "SUCCESS",
        trackingInfo: () => (fulfillment.number || fulfillment.company ? [{ company: fulfillment.company, number: fulfillment.number, url: null }] : []),
      },
      userErrors: [],
    };
  }
}

export interface FulfillmentOrderLineItem {
  id: string;
  sku: string;
  totalQuantity: number;
  remainingQuantity: number;
}

export interface FulfillmentOrder {
  id: string;
  status: "OPEN" | "IN_PROGRESS" | "CLOSED" | "CANCELLED";
  lineItems: FulfillmentOrderLineItem[];
}

export interface ShopOrder {
  id: string;
  name: string;
  fulfillmentOrders: FulfillmentOrder[];
}

export interface ShopFulfillment {
  id: string;
  orderId: string;
  lines: { sku: string; qty: number }[];
  company: string | null;
  number: string | null;
  notifyCustomer: boolean;
  at: number;
}

interface FulfillmentInput {
  lineItemsByFulfillmentOrder: { fulfillmentOrderId: string; fulfillmentOrderLineItems?: { id: string; quantity: number }[] | null }[];
  notifyCustomer?: boolean | null;
  trackingInfo?: { company?: string | null; number?: string | null; url?: string | null } | null;
}

/** The first page of a connection (the fake's orders are small: no cursors past it). */
function connection<T>(items: T[], first: number | null | undefined, view: (item: T) => object): object {
  const shown = items.slice(0, first ?? items.length);
  return { nodes: shown.map(view), pageInfo: { hasNextPage: shown.length < items.length, hasPreviousPage: false, startCursor: null, endCursor: null } };
}

function fulfillmentOrderView(fo: FulfillmentOrder): object {
  return {
    __typename: "FulfillmentOrder",
    id: fo.id,
    status: fo.status,
    lineItems: (args: { first?: number | null }) => connection(fo.lineItems, args.first, (item) => ({ __typename: "FulfillmentOrderLineItem", ...item })),
  };
}
