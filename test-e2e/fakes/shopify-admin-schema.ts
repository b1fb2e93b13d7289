import { buildSchema, GraphQLError } from "graphql";

/**
 * The subset of Shopify's Admin GraphQL schema the fake serves (names and
 * types as in Shopify's reference, see REFERENCE.md section 1).
 */
export const adminSchemaSdl = `
directive @idempotent(key: String!) on FIELD

scalar DateTime

interface Node { id: ID! }

type Query {
  productVariants(first: Int!, after: String, query: String): ProductVariantConnection!
  nodes(ids: [ID!]!): [Node]!
  node(id: ID!): Node
  order(id: ID!): Order
}

type Mutation {
  inventorySetQuantities(input: InventorySetQuantitiesInput!): InventorySetQuantitiesPayload
  fulfillmentCreate(fulfillment: FulfillmentInput!, message: String): FulfillmentCreatePayload
}

scalar URL

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type ProductVariantConnection { nodes: [ProductVariant!]! pageInfo: PageInfo! }
type ProductVariant implements Node { id: ID! sku: String inventoryItem: InventoryItem! }
type Location implements Node { id: ID! name: String! }

type InventoryItem implements Node {
  id: ID!
  sku: String
  tracked: Boolean!
  variant: ProductVariant!
  inventoryLevel(locationId: ID!): InventoryLevel
}

type InventoryLevel implements Node {
  id: ID!
  item: InventoryItem!
  location: Location!
  quantities(names: [String!]!): [InventoryQuantity!]!
}

type InventoryQuantity { name: String! quantity: Int! }

input InventorySetQuantitiesInput {
  name: String!
  reason: String!
  referenceDocumentUri: String
  quantities: [InventoryQuantityInput!]!
}

input InventoryQuantityInput { inventoryItemId: ID! locationId: ID! quantity: Int! changeFromQuantity: Int }

type InventorySetQuantitiesPayload {
  inventoryAdjustmentGroup: InventoryAdjustmentGroup
  userErrors: [InventorySetQuantitiesUserError!]!
}

enum InventorySetQuantitiesUserErrorCode {
  CHANGE_FROM_QUANTITY_STALE
  COMPARE_QUANTITY_REQUIRED
  COMPARE_QUANTITY_STALE
  IDEMPOTENCY_CONCURRENT_REQUEST
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
  INVALID_INVENTORY_ITEM
  INVALID_LOCATION
  INVALID_NAME
}

type InventorySetQuantitiesUserError { code: InventorySetQuantitiesUserErrorCode field: [String!] message: String! }

type InventoryAdjustmentGroup implements Node {
  id: ID!
  createdAt: DateTime!
  reason: String!
  referenceDocumentUri: String
  changes(inventoryItemIds: [ID!], locationIds: [ID!], quantityNames: [String!]): [InventoryChange!]!
}

type Order implements Node {
  id: ID!
  name: String!
  fulfillmentOrders(first: Int, after: String, query: String): FulfillmentOrderConnection!
}

type FulfillmentOrderConnection { nodes: [FulfillmentOrder!]! pageInfo: PageInfo! }
enum FulfillmentOrderStatus { OPEN IN_PROGRESS CLOSED CANCELLED INCOMPLETE ON_HOLD SCHEDULED }
type FulfillmentOrder implements Node {
  id: ID!
  status: FulfillmentOrderStatus!
  lineItems(first: Int, after: String): FulfillmentOrderLineItemConnection!
}
type FulfillmentOrderLineItemConnection { nodes: [FulfillmentOrderLineItem!]! pageInfo: PageInfo! }
type FulfillmentOrderLineItem implements Node { id: ID! sku: String totalQuantity: Int! remainingQuantity: Int! }

input FulfillmentInput {
  lineItemsByFulfillmentOrder: [FulfillmentOrderLineItemsInput!]!
  notifyCustomer: Boolean = false
  trackingInfo: FulfillmentTrackingInput
}
input FulfillmentOrderLineItemsInput { fulfillmentOrderId: ID! fulfillmentOrderLineItems: [FulfillmentOrderLineItemInput!] }
input FulfillmentOrderLineItemInput { id: ID! quantity: Int! }
input FulfillmentTrackingInput { company: String number: String url: URL numbers: [String!] urls: [URL!] }

enum FulfillmentStatus { SUCCESS CANCELLED ERROR FAILURE OPEN PENDING }
type FulfillmentTrackingInfo { company: String number: String url: URL }
type Fulfillment implements Node { id: ID! status: FulfillmentStatus! trackingInfo(first: Int): [FulfillmentTrackingInfo!]! }
type UserError { field: [String!] message: String! }
type FulfillmentCreatePayload { fulfillment: Fulfillment userErrors: [UserError!]! }

type InventoryChange {
  name: String!
  delta: Int!
  quantityAfterChange: Int
  ledgerDocumentUri: String
  item: InventoryItem
  location: Location
}
`;

export const adminSchema = buildSchema(adminSchemaSdl);
export const idempotentDirective = adminSchema.getDirective("idempotent")!;

/** The newest stable version the fake serves; it serves 2026-04 and later (and `unstable`), anything else is a 404. */
export const fakeApiVersion = "2026-10";

export function servedVersion(version: string): boolean {
  return version === "unstable" || (/^\d{4}-(01|04|07|10)$/.test(version) && version >= "2026-04");
}

export function parseGid(id: string): { type: string; number: string } | null {
  const match = /^gid:\/\/shopify\/(\w+)\/(\d+)(\?.*)?$/.exec(id);
  return match ? { type: match[1]!, number: match[2]! } : null;
}

/**
 * The search syntax the fake understands: `sku:X` or `sku:"X"` (JSON-style
 * escapes) terms joined by ` OR `. SKUs match whole and case-insensitively.
 * Anything else is refused, so a client never mistakes an unsupported query
 * for an empty result.
 */
export function parseSkuQuery(query: string): Set<string> {
  const skus = new Set<string>();
  const term = /\s*sku:(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))\s*/y;
  let at = 0;
  for (;;) {
    term.lastIndex = at;
    const match = term.exec(query);
    if (!match) throw new GraphQLError(`The fake Shopify understands only sku:X terms joined by OR, not: ${query}`);
    skus.add((match[1] !== undefined ? (JSON.parse(`"${match[1]}"`) as string) : match[2]!).toLowerCase());
    at = term.lastIndex;
    if (at === query.length) return skus;
    if (!query.startsWith("OR ", at)) throw new GraphQLError(`The fake Shopify understands only sku:X terms joined by OR, not: ${query}`);
    at += 3;
  }
}
