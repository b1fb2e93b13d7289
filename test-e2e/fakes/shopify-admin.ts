/*
 * Longer than the ~400 lines files keep to, on purpose: the fake shop's state,
 * its HTTP handling and its GraphQL resolvers share one class's private fields
 * (levels, idempotency keys, bucket, faults). The schema, the cost model and
 * the limits already live apart (shopify-admin-schema.ts, shopify-admin-limits.ts).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  executeSync,
  getArgumentValues,
  getDirectiveValues,
  GraphQLError,
  Kind,
  parse,
  validate,
  validateExecutionArgs,
  type DocumentNode,
  type GraphQLResolveInfo,
  type ValidatedExecutionArgs,
} from "graphql";
import { inputLimitError, shopifyCostModel, type CostModel, type LimitKind } from "./shopify-admin-limits.ts";
import { adminSchema as schema, fakeApiVersion, idempotentDirective, parseGid, parseSkuQuery, servedVersion } from "./shopify-admin-schema.ts";
import { listenOnLoopback } from "./loopback.ts";
import { ShopOrders } from "./shopify-orders.ts";

export { fakeApiVersion };

const invalidToken = "[API] Invalid API key or access token (unrecognized login or wrong password)";
const throttleDocumentation = "https://shopify.dev/api/usage/rate-limits";
/** Quantity names an inventory level reports; `on_hand` is the sum of the states that are physically there. */
const stateNames = ["available", "committed", "reserved", "damaged", "quality_control", "safety_stock", "incoming"] as const;
const onHandStates = ["available", "committed", "reserved", "damaged", "quality_control", "safety_stock"] as const;
const settableNames = new Set(["available", "on_hand"]);

export interface FakeShopifyAdminOptions {
  /** The `X-Shopify-Access-Token` the shop accepts. */
  accessToken?: string;
  /** Bucket size; Standard's current figure is unpublished, older docs said 1000. */
  maximumAvailable?: number;
  /** Points restored per second: 100 is Standard, 200 Advanced, 1000 Plus. */
  restoreRate?: number;
  /** Epoch ms, for the bucket's refill and `createdAt`. */
  now?: () => number;
  /** The requested cost of a request; Shopify's documented rules by default. */
  costModel?: CostModel;
  /** The most one request may cost, refused before the bucket is consulted (Shopify: 1000). */
  maxQueryCost?: number;
  /** The longest input array and the largest page (Shopify: 250). */
  maxInputSize?: number;
  /** HTTP status of a THROTTLED answer: sources disagree between 200 and 429. */
  throttledStatus?: 200 | 429;
  /** The loopback port to listen on; 0, the default, lets the OS choose. */
  port?: number;
}

/**
 * A fault for the next request(s), whatever they are:
 * - `status`: answers that status at once (a JSON `errors` body), nothing run or charged;
 * - `hang`: reads the request and never answers until `close()`; with
 *   `apply`, runs it first (a mutation applies, the client times out);
 * - `cut-after-apply`: runs the request, then destroys the connection
 *   without answering (the mutation applied, the client never hears).
 */
export type FakeFault = { kind: "status"; status: number } | { kind: "hang"; apply?: boolean } | { kind: "cut-after-apply" };

export interface FakeShopifyStats {
  /** Every HTTP request received, faults and refusals included. */
  calls: number;
  /** `inventorySetQuantities` calls that applied their quantities. */
  writes: number;
  /** Calls answered from an idempotency key's first result. */
  replays: number;
  /** THROTTLED answers. */
  throttled: number;
  /** Requests that broke a documented limit (throttled ones included): a client that models the limits has none. */
  violations: number;
}

export type ViolationKind = "throttled" | "max_cost_exceeded" | LimitKind;

export interface Violation {
  kind: ViolationKind;
  message: string;
  at: number;
}

export interface IdempotencyKeyUse {
  key: string;
  /** The mutation's `input` argument, coerced. */
  input: unknown;
  /** The request's variables as sent. */
  variables: Record<string, unknown>;
  /**
   * `applied`; `refused` (user errors, nothing applied); `replayed` (the
   * first result again); `mismatch` (same key, other input); `invalid` (a
   * GraphQL error, the key stays unused); `not_run` (throttled or over a
   * limit before execution, the key stays unused).
   */
  outcome: "applied" | "refused" | "replayed" | "mismatch" | "invalid" | "not_run";
  at: number;
}

export interface AppliedAdjustment {
  idempotencyKey: string;
  name: string;
  reason: string;
  referenceDocumentUri: string | null;
  changes: { inventoryItemId: string; locationId: string; name: string; delta: number; quantityAfterChange: number }[];
  at: number;
}

/** One item at one location, as `GET /sandbox/levels` lists it. */
export interface SandboxLevel {
  sku: string | null;
  inventoryItemId: string;
  locationId: string;
  available: number;
  onHand: number;
}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

interface UserError {
  code: string;
  field: string[] | null;
  message: string;
}

interface SetQuantitiesPayload {
  inventoryAdjustmentGroup: object | null;
  userErrors: UserError[];
}

interface QuantityInput {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  changeFromQuantity?: number | null;
}

interface SetQuantitiesInput {
  name: string;
  reason: string;
  referenceDocumentUri?: string | null;
  quantities: QuantityInput[];
}

interface Variant {
  id: string;
  sku: string | null;
  itemId: string;
}

type Level = Record<(typeof stateNames)[number], number>;

interface RequestContext {
  variables: Record<string, unknown>;
}

interface HttpAnswer {
  status: number;
  body: unknown;
}

/**
 * A loopback HTTP server that speaks the documented subset of Shopify's Admin
 * GraphQL API for one shop: requests are parsed, validated and executed by
 * graphql-js against `adminSchemaSdl` (shopify-admin-schema.ts), so a wrong
 * document gets the errors a GraphQL server gives. It enforces the limits (a leaky cost bucket, the
 * 1000-point query cap, 250-item input arrays and pages), the 2026-04 rules
 * (`@idempotent` and `changeFromQuantity` required) and compare-and-swap, and
 * counts every limit a client breaks. State and faults are set from the test.
 * Outside the Admin API, `GET /sandbox/levels[?sku=…]` lists every item's
 * `available` and `on_hand` at every location, without a token: a window for
 * people (`npm start`'s sandbox), neither counted in `stats` nor met by faults.
 *
 * @example
 * const shop = await FakeShopifyAdmin.start({ restoreRate: 100 });
 * const location = shop.addLocation();
 * const item = shop.addVariant("SKU-1");
 * shop.setQuantity("SKU-1", location, 5);
 * // … point the client at `${shop.url}/admin/api/${fakeApiVersion}/graphql.json` with shop.accessToken
 * expect(shop.available(item, location)).toBe(7);
 * expect(shop.stats.violations).toBe(0);
 * await shop.close();
 */
export class FakeShopifyAdmin {
  readonly accessToken: string;
  readonly #server: Server;
  readonly #requestedPort: number;
  readonly #now: () => number;
  readonly #costModel: CostModel;
  readonly #maxQueryCost: number;
  readonly #maxInputSize: number;
  readonly #throttledStatus: number;
  readonly #bucket: { maximumAvailable: number; restoreRate: number; available: number; at: number };
  readonly #variants: Variant[] = [];
  readonly #locations = new Map<string, string>();
  readonly #levels = new Map<string, Level>();
  readonly #keys = new Map<string, { fingerprint: string; payload: SetQuantitiesPayload }>();
  readonly #keyUses: IdempotencyKeyUse[] = [];
  readonly #violations: Violation[] = [];
  readonly #adjustments: AppliedAdjustment[] = [];
  readonly #faults: { fault: FakeFault; bodyMatch: RegExp | undefined }[] = [];
  readonly #stats: FakeShopifyStats = { calls: 0, writes: 0, replays: 0, throttled: 0, violations: 0 };
  readonly #rootValue: object;
  /** The shop's orders and fulfillments (`addOrder`, `orders.fulfillments`). */
  readonly orders: ShopOrders;
  #nextId = 1;
  #port = 0;

  private constructor(options: FakeShopifyAdminOptions) {
    this.accessToken = options.accessToken ?? "shpat_fake_admin_token";
    this.#now = options.now ?? Date.now;
    this.#costModel = options.costModel ?? shopifyCostModel();
    this.#maxQueryCost = options.maxQueryCost ?? 1000;
    this.#maxInputSize = options.maxInputSize ?? 250;
    this.#throttledStatus = options.throttledStatus ?? 200;
    this.#requestedPort = options.port ?? 0;
    const maximumAvailable = options.maximumAvailable ?? 1000;
    this.#bucket = { maximumAvailable, restoreRate: options.restoreRate ?? 100, available: maximumAvailable, at: this.#now() };
    this.orders = new ShopOrders(() => this.#nextId++, this.#now);
    this.#rootValue = {
      ...this.orders.resolvers(),
      productVariants: (args: { first: number; after?: string | null; query?: string | null }) => this.#productVariants(args),
      nodes: (args: { ids: string[] }) => args.ids.map((id) => this.#node(id)),
      node: (args: { id: string }) => this.#node(args.id),
      inventorySetQuantities: (args: { input: SetQuantitiesInput }, context: RequestContext, info: GraphQLResolveInfo) =>
        this.#setQuantities(args.input, context, info),
    };
    this.#server = createServer((req, res) => {
      // A bug in the fake answers 500 with its message rather than passing for a network fault.
      this.#handle(req, res).catch((error: unknown) => (res.headersSent ? res.socket?.destroy() : send(res, { status: 500, body: { errors: `fake Shopify failed: ${String(error)}` } })));
    });
  }

  static async start(options: FakeShopifyAdminOptions = {}): Promise<FakeShopifyAdmin> {
    const fake = new FakeShopifyAdmin(options);
    fake.#port = await listenOnLoopback(fake.#server, fake.#requestedPort);
    return fake;
  }

  /** The shop's base URL, as a connection's `baseUrl`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  endpoint(version = fakeApiVersion): string {
    return `${this.url}/admin/api/${version}/graphql.json`;
  }

  addLocation(name?: string): string {
    const id = `gid://shopify/Location/${this.#nextId++}`;
    this.#locations.set(id, name ?? `Location ${this.#locations.size + 1}`);
    return id;
  }

  /** A product variant with this SKU; returns its inventory item, stocked (at 0) at every location. */
  addVariant(sku: string | null): string {
    const n = this.#nextId++;
    const variant = { id: `gid://shopify/ProductVariant/${n}`, sku, itemId: `gid://shopify/InventoryItem/${n}` };
    this.#variants.push(variant);
    return variant.itemId;
  }

  /** What the shop holds as `available` for an item (or a SKU) at a location. */
  available(skuOrItemId: string, locationId: string): number {
    return this.quantity(skuOrItemId, locationId, "available");
  }

  quantity(skuOrItemId: string, locationId: string, name: string): number {
    return quantityOf(this.#level(this.#itemId(skuOrItemId), this.#knownLocation(locationId)), name);
  }

  /** Sets a quantity behind the client's back (a sale in the shop): its next `changeFromQuantity` is stale. */
  setQuantity(skuOrItemId: string, locationId: string, quantity: number, name: "available" | "on_hand" = "available"): void {
    setQuantityOf(this.#level(this.#itemId(skuOrItemId), this.#knownLocation(locationId)), name, quantity);
  }

  /** The next `times` requests (with `bodyMatch`, only those whose body matches it, e.g. /fulfillmentCreate/) meet this fault, in the order injected. */
  injectFault(fault: FakeFault, times = 1, bodyMatch?: RegExp): void {
    for (let i = 0; i < times; i += 1) this.#faults.push({ fault, bodyMatch });
  }

  /** The bucket as the next answer would report it, refilled up to now. */
  get throttleStatus(): ThrottleStatus {
    this.#refill();
    const { maximumAvailable, restoreRate, available } = this.#bucket;
    return { maximumAvailable, currentlyAvailable: Math.floor(available), restoreRate };
  }

  /** Empties (or fills) the bucket to `points` now. */
  setBucket(points: number): void {
    this.#bucket.available = Math.min(this.#bucket.maximumAvailable, points);
    this.#bucket.at = this.#now();
  }

  get stats(): FakeShopifyStats {
    return { ...this.#stats };
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** Every `@idempotent` key received, in order, with the input it came with and what became of it. */
  get idempotencyKeys(): readonly IdempotencyKeyUse[] {
    return this.#keyUses;
  }

  get adjustments(): readonly AppliedAdjustment[] {
    return this.#adjustments;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Every item at every location, or one SKU's; the sandbox window, not Shopify's API. */
  levels(sku?: string): SandboxLevel[] {
    return this.#variants
      .filter((variant) => sku === undefined || variant.sku === sku)
      .flatMap((variant) =>
        [...this.#locations.keys()].map((locationId) => {
          const level = this.#level(variant.itemId, locationId);
          return { sku: variant.sku, inventoryItemId: variant.itemId, locationId, available: quantityOf(level, "available"), onHand: quantityOf(level, "on_hand") };
        }),
      );
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname === "/sandbox/levels") {
      if (req.method !== "GET") return send(res, { status: 405, body: { errors: "Method Not Allowed" } });
      return send(res, { status: 200, body: { levels: this.levels(url.searchParams.get("sku") ?? undefined) } });
    }
    this.#stats.calls += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const faultAt = this.#faults.findIndex((f) => !f.bodyMatch || f.bodyMatch.test(rawBody));
    const fault = faultAt < 0 ? undefined : this.#faults.splice(faultAt, 1)[0]!.fault;
    if (fault?.kind === "status") return send(res, { status: fault.status, body: { errors: `fake fault: HTTP ${fault.status}` } });
    // A hung request keeps its socket open until close() destroys every connection.
    if (fault?.kind === "hang" && !fault.apply) return;
    const answer = this.#answer(req, rawBody);
    if (fault?.kind === "hang") return;
    if (fault?.kind === "cut-after-apply") {
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  /** Runs one request to its answer synchronously, so requests never interleave: each one is atomic. */
  #answer(req: IncomingMessage, rawBody: string): HttpAnswer {
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const version = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(path)?.[1];
    if (!version || !servedVersion(version)) return { status: 404, body: { errors: "Not Found" } };
    if (req.method !== "POST") return { status: 405, body: { errors: "Method Not Allowed" } };
    if (req.headers["x-shopify-access-token"] !== this.accessToken) return { status: 401, body: { errors: invalidToken } };
    let body: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      body = JSON.parse(rawBody) as typeof body;
    } catch {
      body = {};
    }
    const variables = body?.variables ?? {};
    if (typeof body?.query !== "string" || typeof variables !== "object" || Array.isArray(variables)) {
      return { status: 400, body: { errors: { query: "Required parameter missing or invalid" } } };
    }
    const operationName = typeof body.operationName === "string" ? body.operationName : undefined;
    return this.#graphql(body.query, variables as Record<string, unknown>, operationName);
  }

  #graphql(query: string, variables: Record<string, unknown>, operationName: string | undefined): HttpAnswer {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      return this.#refused([error as GraphQLError], 0);
    }
    const invalid = validate(schema, document);
    if (invalid.length > 0) return this.#refused(invalid, 0);
    const contextValue: RequestContext = { variables };
    const args = { schema, document, variableValues: variables, operationName, rootValue: this.#rootValue, contextValue };
    const validated = validateExecutionArgs(args);
    if ("length" in validated) return this.#refused(validated, 0);
    const tooLarge = inputLimitError(validated, this.#maxInputSize);
    if (tooLarge) {
      this.#notRun(validated, variables);
      return this.#refused([this.#violation(tooLarge.kind, tooLarge.error)], 0);
    }
    const requested = this.#costModel(validated);
    if (requested > this.#maxQueryCost) {
      const message = `Query cost is ${requested}, which exceeds the single query max cost limit (${this.#maxQueryCost}).`;
      const error = new GraphQLError(message, { extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: this.#maxQueryCost, documentation: throttleDocumentation } });
      this.#notRun(validated, variables);
      return this.#refused([this.#violation("max_cost_exceeded", error)], requested);
    }
    this.#refill();
    if (requested > this.#bucket.available) {
      this.#stats.throttled += 1;
      this.#notRun(validated, variables);
      const error = new GraphQLError("Throttled", { extensions: { code: "THROTTLED", documentation: throttleDocumentation } });
      return { status: this.#throttledStatus, body: { errors: [this.#violation("throttled", error)], extensions: this.#costExtension(requested, null) } };
    }
    this.#bucket.available -= requested;
    const result = executeSync(args);
    return { status: 200, body: { ...result, extensions: this.#costExtension(requested, requested) } };
  }

  /** Records the `@idempotent` keys of a mutation that stopped before execution. */
  #notRun(validated: ValidatedExecutionArgs, variables: Record<string, unknown>): void {
    const fields = schema.getMutationType()?.getFields() ?? {};
    if (validated.operation.operation !== "mutation") return;
    for (const selection of validated.operation.selectionSet.selections) {
      const definition = selection.kind === Kind.FIELD ? fields[selection.name.value] : undefined;
      if (!definition || selection.kind !== Kind.FIELD) continue;
      const key = getDirectiveValues(idempotentDirective, selection, validated.variableValues)?.["key"];
      if (typeof key !== "string") continue;
      const input = getArgumentValues(definition, selection, validated.variableValues)["input"];
      this.#keyUses.push({ key, input: JSON.parse(canonicalJson(input)), variables, outcome: "not_run", at: this.#now() });
    }
  }

  #refused(errors: readonly GraphQLError[], requested: number): HttpAnswer {
    return { status: 200, body: { errors, extensions: this.#costExtension(requested, null) } };
  }

  #costExtension(requested: number, actual: number | null): { cost: object } {
    return { cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: this.throttleStatus } };
  }

  #violation(kind: ViolationKind, error: GraphQLError): GraphQLError {
    this.#stats.violations += 1;
    this.#violations.push({ kind, message: error.message, at: this.#now() });
    return error;
  }

  #refill(): void {
    const now = this.#now();
    const bucket = this.#bucket;
    bucket.available = Math.min(bucket.maximumAvailable, bucket.available + (bucket.restoreRate * Math.max(0, now - bucket.at)) / 1000);
    bucket.at = Math.max(bucket.at, now);
  }

  #productVariants(args: { first: number; after?: string | null; query?: string | null }): object {
    const skus = args.query ? parseSkuQuery(args.query) : null;
    const matching = this.#variants.filter((v) => skus === null || (v.sku !== null && skus.has(v.sku.toLowerCase())));
    const start = args.after ? Number(Buffer.from(args.after, "base64url").toString("utf8")) + 1 : 0;
    if (!Number.isInteger(start)) throw new GraphQLError(`Invalid cursor '${args.after}'`);
    const page = matching.slice(start, start + args.first);
    const cursor = (index: number) => Buffer.from(String(index)).toString("base64url");
    return {
      nodes: page.map((v) => this.#variantView(v)),
      pageInfo: {
        hasNextPage: start + page.length < matching.length,
        hasPreviousPage: start > 0,
        startCursor: page.length > 0 ? cursor(start) : null,
        endCursor: page.length > 0 ? cursor(start + page.length - 1) : null,
      },
    };
  }

  #node(id: string): object | null {
    const gid = parseGid(id);
    if (!gid) throw new GraphQLError(`Invalid global id '${id}'`);
    const variant = this.#variants.find((v) => v.id === id || v.itemId === id);
    if (gid.type === "ProductVariant" && variant) return this.#variantView(variant);
    if (gid.type === "InventoryItem" && variant) return this.#itemView(variant);
    if (gid.type === "Location" && this.#locations.has(id)) return this.#locationView(id);
    return null;
  }

  /**
   * inventorySetQuantities, all or nothing: any user error and no quantity
   * changes. A key's first result is kept; the same key with the same input
   * gets that result again and nothing is applied.
   */
  #setQuantities(input: SetQuantitiesInput, context: RequestContext, info: GraphQLResolveInfo): SetQuantitiesPayload {
    const field = info.fieldNodes[0]!;
    const directive = getDirectiveValues(idempotentDirective, field, info.variableValues);
    const key = directive?.["key"];
    if (typeof key !== "string") {
      throw new GraphQLError("The @idempotent directive is required for this mutation but was not provided.", { nodes: field, extensions: { code: "BAD_REQUEST" } });
    }
    if (input.quantities.some((q) => !("changeFromQuantity" in q))) {
      this.#keyUses.push({ key, input: JSON.parse(canonicalJson(input)), variables: context.variables, outcome: "invalid", at: this.#now() });
      throw new GraphQLError("InventoryQuantityInput must include the following argument: changeFromQuantity.", { nodes: field, extensions: { code: "INVALID_FIELD_ARGUMENTS" } });
    }
    const fingerprint = canonicalJson(input);
    const use = (outcome: IdempotencyKeyUse["outcome"]) =>
      this.#keyUses.push({ key, input: JSON.parse(fingerprint), variables: context.variables, outcome, at: this.#now() });
    const earlier = this.#keys.get(key);
    if (earlier && earlier.fingerprint === fingerprint) {
      this.#stats.replays += 1;
      use("replayed");
      return earlier.payload;
    }
    if (earlier) {
      use("mismatch");
      const message = "The same idempotency key was already used with different parameters.";
      return { inventoryAdjustmentGroup: null, userErrors: [{ code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", field: null, message }] };
    }
    const userErrors = this.#checkQuantities(input);
    const payload = userErrors.length > 0 ? { inventoryAdjustmentGroup: null, userErrors } : { inventoryAdjustmentGroup: this.#apply(input, key), userErrors: [] };
    this.#keys.set(key, { fingerprint, payload });
    use(userErrors.length > 0 ? "refused" : "applied");
    return payload;
  }

  #checkQuantities(input: SetQuantitiesInput): UserError[] {
    const errors: UserError[] = [];
    if (!settableNames.has(input.name)) {
      errors.push({ code: "INVALID_NAME", field: ["input", "name"], message: "The quantity name must be either 'available' or 'on_hand'." });
    }
    input.quantities.forEach((q, index) => {
      const at = (name: string) => ["input", "quantities", String(index), name];
      const item = this.#variants.find((v) => v.itemId === q.inventoryItemId);
      if (!item) errors.push({ code: "INVALID_INVENTORY_ITEM", field: at("inventoryItemId"), message: "The specified inventory item could not be found." });
      if (!this.#locations.has(q.locationId)) errors.push({ code: "INVALID_LOCATION", field: at("locationId"), message: "The specified location could not be found." });
      if (!item || !this.#locations.has(q.locationId) || !settableNames.has(input.name) || q.changeFromQuantity == null) return;
      const current = quantityOf(this.#level(item.itemId, q.locationId), input.name);
      if (q.changeFromQuantity !== current) {
        const message = `The changeFromQuantity (${q.changeFromQuantity}) does not match the current ${input.name} quantity (${current}).`;
        errors.push({ code: "CHANGE_FROM_QUANTITY_STALE", field: at("changeFromQuantity"), message });
      }
    });
    return errors;
  }

  #apply(input: SetQuantitiesInput, key: string): object {
    const at = this.#now();
    const changes: AppliedAdjustment["changes"] = [];
    for (const q of input.quantities) {
      const level = this.#level(q.inventoryItemId, q.locationId);
      const delta = q.quantity - quantityOf(level, input.name);
      setQuantityOf(level, input.name, q.quantity);
      for (const name of [input.name, input.name === "available" ? "on_hand" : "available"]) {
        changes.push({ inventoryItemId: q.inventoryItemId, locationId: q.locationId, name, delta, quantityAfterChange: quantityOf(level, name) });
      }
    }
    const referenceDocumentUri = input.referenceDocumentUri ?? null;
    this.#adjustments.push({ idempotencyKey: key, name: input.name, reason: input.reason, referenceDocumentUri, changes, at });
    this.#stats.writes += 1;
    return {
      __typename: "InventoryAdjustmentGroup",
      id: `gid://shopify/InventoryAdjustmentGroup/${this.#nextId++}`,
      createdAt: new Date(at).toISOString(),
      reason: input.reason,
      referenceDocumentUri,
      changes: (args: { inventoryItemIds?: string[] | null; locationIds?: string[] | null; quantityNames?: string[] | null }) =>
        changes
          .filter((c) => (!args.inventoryItemIds || args.inventoryItemIds.includes(c.inventoryItemId)) && (!args.locationIds || args.locationIds.includes(c.locationId)))
          .filter((c) => !args.quantityNames || args.quantityNames.includes(c.name))
          .map((c) => ({
            ...c,
            ledgerDocumentUri: null,
            item: () => this.#node(c.inventoryItemId),
            location: () => this.#locationView(c.locationId),
          })),
    };
  }

  #variantView(variant: Variant): object {
    return { __typename: "ProductVariant", id: variant.id, sku: variant.sku, inventoryItem: () => this.#itemView(variant) };
  }

  #itemView(variant: Variant): object {
    return {
      __typename: "InventoryItem",
      id: variant.itemId,
      sku: variant.sku,
      tracked: true,
      variant: () => this.#variantView(variant),
      inventoryLevel: (args: { locationId: string }) => (this.#locations.has(args.locationId) ? this.#levelView(variant, args.locationId) : null),
    };
  }

  #levelView(variant: Variant, locationId: string): object {
    const level = this.#level(variant.itemId, locationId);
    return {
      __typename: "InventoryLevel",
      id: `gid://shopify/InventoryLevel/${parseGid(locationId)?.number}?inventory_item_id=${parseGid(variant.itemId)?.number}`,
      item: () => this.#itemView(variant),
      location: () => this.#locationView(locationId),
      quantities: (args: { names: string[] }) => args.names.map((name) => ({ name, quantity: quantityOf(level, name) })),
    };
  }

  #locationView(id: string): object {
    return { __typename: "Location", id, name: this.#locations.get(id) };
  }

  #level(itemId: string, locationId: string): Level {
    const key = `${itemId}|${locationId}`;
    let level = this.#levels.get(key);
    if (!level) {
      level = Object.fromEntries(stateNames.map((name) => [name, 0])) as Level;
      this.#levels.set(key, level);
    }
    return level;
  }

  #itemId(skuOrItemId: string): string {
    if (this.#variants.some((v) => v.itemId === skuOrItemId)) return skuOrItemId;
    const bySku = this.#variants.filter((v) => v.sku === skuOrItemId);
    if (bySku.length !== 1) throw new Error(`${bySku.length} variants have SKU ${skuOrItemId}`);
    return bySku[0]!.itemId;
  }

  #knownLocation(locationId: string): string {
    if (!this.#locations.has(locationId)) throw new Error(`no location ${locationId}`);
    return locationId;
  }
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "x-request-id": randomUUID() });
  res.end(body);
}

function quantityOf(level: Level, name: string): number {
  if (name === "on_hand") return onHandStates.reduce((sum, state) => sum + level[state], 0);
  if (Object.hasOwn(level, name)) return level[name as keyof Level];
  throw new GraphQLError(`Invalid quantity name '${name}'.`);
}

/** Setting on_hand moves `available` by the same delta: the other states stay as they are. */
function setQuantityOf(level: Level, name: string, quantity: number): void {
  if (name === "on_hand") level.available += quantity - quantityOf(level, "on_hand");
  else level.available = quantity;
}

/** JSON with keys sorted at every level, so the same input always gives the same string. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
