import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FakeFault } from "./shopify-admin.ts";
import { badRequest, bucket, feedListEntry, feedStatusBody, feedTypes, header, isRecord, notAllowed, page, parseFeedFile, quantityError, readUpload, send, skuNotFound, takeToken, walmartErrors } from "./walmart-wire.ts";
import type { Bucket, FakeWalmartFeed, FeedLine, FeedStatus, FeedType, HttpAnswer, IngestionError, ItemIngestion, ParsedFeed, Upload } from "./walmart-wire.ts";
import { listenOnLoopback } from "./loopback.ts";
import { WalmartOrders } from "./walmart-orders.ts";
import type { FakeWalmartOrder, WalmartOrder, WalmartOrderSeed } from "./walmart-orders.ts";

export type { FakeFault, FakeWalmartFeed, FeedStatus, FeedType, IngestionError, ItemIngestion };
export type { FakeWalmartOrder, LineStatus, WalmartOrder, WalmartOrderLine, WalmartOrderSeed, WalmartShipment, WalmartTrackingInfo } from "./walmart-orders.ts";
export { walmartOrder } from "./walmart-orders.ts";

const tokenLifetimeSeconds = 900;
const hourMs = 3_600_000;
const requiredHeaders = ["WM_SEC.ACCESS_TOKEN", "WM_SVC.NAME", "WM_QOS.CORRELATION_ID"] as const;
/** GET /v3/feeds/{feedId} pages item details by at most 50 (the feeds model's `limit`). */
const maxDetailsPage = 50;

export interface FakeWalmartOptions {
  clientId?: string;
  clientSecret?: string;
  /** Epoch ms: token expiry, feed processing and every rate limit read this clock. */
  now?: () => number;
  /** The loopback port to listen on; 0, the default, lets the OS choose. */
  port?: number;
  /** The node a call without `shipNode`, and an `inventory` (1.4) feed item without one, updates. */
  defaultShipNode?: string;
  /** Server-clock ms from submission to processing: RECEIVED for the first half, INPROGRESS for the second (Walmart: up to 30 min). */
  feedProcessingMs?: number;
  /** Inventory feeds, both types together, accepted per rolling hour (Walmart: 10). */
  feedsPerHour?: number;
  /** Largest feed file in bytes (Walmart: 5 MB, taken as 5 MiB). */
  maxFeedBytes?: number;
  /** Most items in one feed (Walmart: 50,000). */
  maxFeedItems?: number;
  /** `PUT /v3/inventory` refill rate; Walmart's per-endpoint number is unconfirmed, 300 is a guess. */
  inventoryCallsPerMinute?: number;
  inventoryBurst?: number;
  /** `POST /v3/token` refill rate and burst; generous by default. */
  tokenCallsPerMinute?: number;
  tokenBurst?: number;
  /** `GET /v3/orders` refill rate and burst; Walmart's number is [U], 20 a minute (burst 20) by default. */
  ordersCallsPerMinute?: number;
  ordersBurst?: number;
}

export interface FakeWalmartStats {
  /** Every HTTP request received, faults and refusals included. */
  calls: number;
  /** `PUT /v3/inventory` calls that applied. */
  inventoryWrites: number;
  /** Feeds accepted (a feedId returned). */
  feedsSubmitted: number;
  /** Feed items applied at processing. */
  itemsApplied: number;
  /** Requests that broke a documented or configured limit: a client that models the limits has none. */
  violations: number;
  tokensIssued: number;
}

export type ViolationKind = "inventory_rate_limited" | "token_rate_limited" | "orders_rate_limited" | "feed_rate_limited" | "feed_too_large" | "feed_too_many_items";

export interface Violation {
  kind: ViolationKind;
  message: string;
  at: number;
}

interface FeedRecord {
  feedId: string;
  feedType: FeedType;
  submittedAt: number;
  fileBytes: number;
  parsed: ParsedFeed;
  /** Set once, when the feed is processed; its items applied in the same step. */
  results: ItemIngestion[] | null;
}

/**
 * A loopback HTTP server for one Walmart Marketplace (US) seller: the token
 * call, single-SKU inventory, the two bulk inventory feeds and the orders
 * calls (list, get, acknowledge, ship: see `walmart-orders.ts`), with the
 * documented limits (15-minute tokens, 10 feeds an hour, 5 MB, 50,000 items)
 * and a configurable bucket for `PUT /v3/inventory`. Feeds are processed on
 * the server's clock, lazily: whatever is due is applied, in submission
 * order, before any request or any read from the test, so no timer runs.
 *
 * @example
 * const walmart = await FakeWalmart.start({ now: () => clock });
 * walmart.addItem("SKU-1");
 * // … point the client at walmart.url with walmart.clientId / walmart.clientSecret
 * expect(walmart.quantity("SKU-1")).toBe(7);
 * expect(walmart.stats.violations).toBe(0);
 * await walmart.close();
 */
export class FakeWalmart {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly defaultShipNode: string;
  readonly #server: Server;
  readonly #requestedPort: number;
  readonly #now: () => number;
  readonly #feedProcessingMs: number;
  readonly #feedsPerHour: number;
  readonly #maxFeedBytes: number;
  readonly #maxFeedItems: number;
  readonly #inventoryBucket: Bucket;
  readonly #tokenBucket: Bucket;
  readonly #ordersBucket: Bucket;
  readonly #orders: WalmartOrders;
  readonly #tokens = new Map<string, number>();
  readonly #items = new Set<string>();
  readonly #nodes = new Set<string>();
  readonly #quantities = new Map<string, number>();
  readonly #feeds: FeedRecord[] = [];
  readonly #correlationIds: string[] = [];
  readonly #violations: Violation[] = [];
  readonly #faults: { fault: FakeFault; path: RegExp | undefined }[] = [];
  readonly #stats: FakeWalmartStats = { calls: 0, inventoryWrites: 0, feedsSubmitted: 0, itemsApplied: 0, violations: 0, tokensIssued: 0 };
  #port = 0;

  private constructor(options: FakeWalmartOptions) {
    this.clientId = options.clientId ?? "fake-walmart-client-id";
    this.clientSecret = options.clientSecret ?? "fake-walmart-client-secret";
    this.defaultShipNode = options.defaultShipNode ?? "DEFAULT";
    this.#nodes.add(this.defaultShipNode);
    this.#now = options.now ?? Date.now;
    this.#requestedPort = options.port ?? 0;
    this.#feedProcessingMs = options.feedProcessingMs ?? 200;
    this.#feedsPerHour = options.feedsPerHour ?? 10;
    this.#maxFeedBytes = options.maxFeedBytes ?? 5 * 1024 * 1024;
    this.#maxFeedItems = options.maxFeedItems ?? 50_000;
    this.#inventoryBucket = bucket(options.inventoryCallsPerMinute ?? 300, options.inventoryBurst ?? 300, this.#now());
    this.#tokenBucket = bucket(options.tokenCallsPerMinute ?? 1000, options.tokenBurst ?? 1000, this.#now());
    this.#ordersBucket = bucket(options.ordersCallsPerMinute ?? 20, options.ordersBurst ?? 20, this.#now());
    this.#orders = new WalmartOrders(this.#now, () => this.#throttle(this.#ordersBucket, "orders_rate_limited", "GET /v3/orders"));
    this.#server = createServer((req, res) => {
      // A bug in the fake answers 500 with its message rather than passing for a network fault.
      this.#handle(req, res).catch((error: unknown) => (res.headersSent ? res.socket?.destroy() : send(res, { status: 500, body: walmartErrors("FAKE_BUG", String(error), undefined, "SYSTEM") })));
    });
  }

  static async start(options: FakeWalmartOptions = {}): Promise<FakeWalmart> {
    const fake = new FakeWalmart(options);
    fake.#port = await listenOnLoopback(fake.#server, fake.#requestedPort);
    return fake;
  }

  /** The base URL, in place of `https://marketplace.walmartapis.com`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The token call's `Authorization` header for this seller's credentials. */
  get authorization(): string {
    return `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString("base64")}`;
  }

  /** A SKU in the seller's catalog, at 0 on every ship node. */
  addItem(sku: string): void {
    this.#items.add(sku);
  }

  addShipNode(id: string): void {
    this.#nodes.add(id);
  }

  quantity(sku: string, shipNode = this.defaultShipNode): number {
    this.#settle();
    return this.#quantities.get(this.#key(sku, shipNode)) ?? 0;
  }

  /** Sets a quantity behind the client's back (a sale elsewhere). */
  setQuantity(sku: string, amount: number, shipNode = this.defaultShipNode): void {
    this.#settle();
    this.#quantities.set(this.#key(sku, shipNode), amount);
  }

  /** Seeds an order: a documented-shape one as is, or one built by `walmartOrder` from a seed (in Created). */
  addOrder(order: WalmartOrder | WalmartOrderSeed): WalmartOrder {
    return this.#orders.add(order);
  }

  /** Cancels every unshipped quantity of the order (the customer or Walmart cancels). */
  cancelOrder(purchaseOrderId: string): void {
    this.#orders.cancel(purchaseOrderId);
  }

  /** The order now: statuses per line, acknowledgement, shipments. Throws on an unknown id. */
  order(purchaseOrderId: string): FakeWalmartOrder {
    return this.#orders.view(purchaseOrderId);
  }

  /** Every order's purchaseOrderId, oldest first. */
  get orderIds(): string[] {
    return this.#orders.ids();
  }

  /** Whether the order was acknowledged within 4 hours of its orderDate, on the fake's clock. */
  acknowledgedInTime(purchaseOrderId: string): boolean {
    return this.#orders.view(purchaseOrderId).acknowledgedInTime;
  }

  /** The next `times` requests (only those whose path matches `path`, when given) meet this fault, in the order injected. */
  injectFault(fault: FakeFault, times = 1, path?: RegExp): void {
    for (let i = 0; i < times; i += 1) this.#faults.push({ fault, path });
  }

  get stats(): FakeWalmartStats {
    this.#settle();
    return { ...this.#stats };
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** Every `WM_QOS.CORRELATION_ID` received, in order (the token call's too, when it sends one). */
  get correlationIds(): readonly string[] {
    return this.#correlationIds;
  }

  /** Every feed accepted, in submission order, as the server sees it now. */
  get feeds(): FakeWalmartFeed[] {
    this.#settle();
    return this.#feeds.map((feed) => this.#view(feed));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#stats.calls += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const fault = this.#takeFault(new URL(req.url ?? "/", "http://fake").pathname);
    if (fault?.kind === "status") return send(res, { status: fault.status, body: walmartErrors("SYSTEM_ERROR.GMP_GATEWAY_API", `fake fault: HTTP ${fault.status}`, undefined, "SYSTEM") });
    // A hung request keeps its socket open until close() destroys every connection.
    if (fault?.kind === "hang" && !fault.apply) return;
    const isFeedUpload = req.method === "POST" && new URL(req.url ?? "/", "http://fake").pathname === "/v3/feeds";
    const upload = isFeedUpload ? await readUpload(req.headers["content-type"], raw) : null;
    const answer = this.#answer(req, raw, upload);
    if (fault?.kind === "hang") return;
    if (fault?.kind === "cut-after-apply") {
      req.socket.destroy();
      return;
    }
    send(res, answer);
  }

  /** The first fault injected for this path, removed from the queue. */
  #takeFault(pathname: string): FakeFault | undefined {
    const index = this.#faults.findIndex(({ path }) => path === undefined || path.test(pathname));
    return index === -1 ? undefined : this.#faults.splice(index, 1)[0]!.fault;
  }

  /** Runs one request to its answer synchronously, so requests never interleave: each one is atomic. */
  #answer(req: IncomingMessage, raw: Buffer, upload: Upload | null): HttpAnswer {
    this.#settle();
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    const correlationId = header(req, "WM_QOS.CORRELATION_ID");
    if (correlationId) this.#correlationIds.push(correlationId);
    if (url.pathname === "/v3/token") return method === "POST" ? this.#token(req, raw) : notAllowed();
    if (url.pathname === "/v3/orders" || url.pathname.startsWith("/v3/orders/")) {
      return this.#authenticate(req) ?? this.#orders.answer(method, url, raw) ?? notFound(url);
    }
    const feedId = /^\/v3\/feeds\/([^/]+)$/.exec(url.pathname)?.[1];
    if (url.pathname !== "/v3/inventory" && url.pathname !== "/v3/feeds" && feedId === undefined) {
      return notFound(url);
    }
    const refused = this.#authenticate(req);
    if (refused) return refused;
    if (url.pathname === "/v3/inventory" && method === "PUT") return this.#putInventory(url, raw);
    if (url.pathname === "/v3/inventory" && method === "GET") return this.#getInventory(url);
    if (url.pathname === "/v3/feeds" && method === "POST") return this.#submitFeed(url, upload);
    if (url.pathname === "/v3/feeds" && method === "GET") return this.#listFeeds(url);
    if (feedId !== undefined && method === "GET") return this.#feedStatus(decodeURIComponent(feedId), url);
    return notAllowed();
  }

  #token(req: IncomingMessage, raw: Buffer): HttpAnswer {
    const limited = this.#throttle(this.#tokenBucket, "token_rate_limited", "POST /v3/token");
    if (limited) return limited;
    const [scheme, encoded] = (req.headers.authorization ?? "").split(" ");
    if (scheme?.toLowerCase() !== "basic" || Buffer.from(encoded ?? "", "base64").toString("utf8") !== `${this.clientId}:${this.clientSecret}`) {
      const info = 'Unauthorized token or incorrect authorization header. Please verify correct format: "Authorization: Basic Base64Encode(clientId:clientSecret)"';
      return { status: 401, body: walmartErrors("UNAUTHORIZED.GMP_GATEWAY_API", info, "UNAUTHORIZED") };
    }
    if (!req.headers["content-type"]?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return badRequest("The token call's body must be application/x-www-form-urlencoded.", "Content-Type");
    }
    if (new URLSearchParams(raw.toString("utf8")).get("grant_type") !== "client_credentials") {
      return badRequest("The fake grants client_credentials only.", "grant_type");
    }
    const accessToken = `fake-wm-${randomUUID()}`;
    this.#tokens.set(accessToken, this.#now() + tokenLifetimeSeconds * 1000);
    this.#stats.tokensIssued += 1;
    return { status: 200, body: { access_token: accessToken, token_type: "Bearer", expires_in: tokenLifetimeSeconds } };
  }

  /** The three headers every call but the token call sends, then the token: missing → 400, unknown or expired → 401. */
  #authenticate(req: IncomingMessage): HttpAnswer | null {
    const missing = requiredHeaders.find((name) => !header(req, name));
    if (missing) return { status: 400, body: walmartErrors("INVALID_REQUEST_HEADER.GMP_GATEWAY_API", `The ${missing} header is required.`, missing, "REQUEST") };
    const expiresAt = this.#tokens.get(header(req, "WM_SEC.ACCESS_TOKEN") ?? "");
    if (expiresAt === undefined || this.#now() >= expiresAt) {
      return { status: 401, body: walmartErrors("UNAUTHORIZED.GMP_GATEWAY_API", "Unauthorized token or invalid service name.", "UNAUTHORIZED") };
    }
    return null;
  }

  #putInventory(url: URL, raw: Buffer): HttpAnswer {
    const limited = this.#throttle(this.#inventoryBucket, "inventory_rate_limited", "PUT /v3/inventory");
    if (limited) return limited;
    const sku = url.searchParams.get("sku");
    if (!sku) return badRequest("The sku query parameter is required.", "sku");
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return badRequest("The body is not JSON.", "body");
    }
    if (!isRecord(body) || body["sku"] !== sku) return badRequest("The body's sku must be the sku query parameter.", "sku");
    const invalid = quantityError(body["quantity"]);
    if (invalid) return badRequest(invalid, "quantity");
    const shipNode = url.searchParams.get("shipNode") ?? this.defaultShipNode;
    if (!this.#nodes.has(shipNode)) return badRequest(`Ship node ${shipNode} is not one of the seller's.`, "shipNode");
    if (!this.#items.has(sku)) return skuNotFound(sku);
    this.#quantities.set(this.#key(sku, shipNode), (body["quantity"] as { amount: number }).amount);
    this.#stats.inventoryWrites += 1;
    return { status: 200, body };
  }

  #getInventory(url: URL): HttpAnswer {
    const sku = url.searchParams.get("sku");
    if (!sku) return badRequest("The sku query parameter is required.", "sku");
    const shipNode = url.searchParams.get("shipNode") ?? this.defaultShipNode;
    if (!this.#nodes.has(shipNode)) return badRequest(`Ship node ${shipNode} is not one of the seller's.`, "shipNode");
    if (!this.#items.has(sku)) return skuNotFound(sku);
    return { status: 200, body: { sku, quantity: { unit: "EACH", amount: this.#quantities.get(this.#key(sku, shipNode)) ?? 0 } } };
  }

  #submitFeed(url: URL, upload: Upload | null): HttpAnswer {
    const feedType = url.searchParams.get("feedType") ?? "";
    if (!feedTypes.includes(feedType)) return badRequest("feedType must be inventory or MP_INVENTORY.", "feedType");
    const now = this.#now();
    const recent = this.#feeds.filter((feed) => feed.submittedAt > now - hourMs);
    if (recent.length >= this.#feedsPerHour) {
      const freedAt = recent[recent.length - this.#feedsPerHour]!.submittedAt + hourMs;
      return this.#tooMany("feed_rate_limited", `More than ${this.#feedsPerHour} inventory feeds in an hour.`, freedAt - now);
    }
    if (!upload?.ok) return badRequest(upload?.description ?? "No feed file.", "file");
    if (upload.bytes > this.#maxFeedBytes) {
      const message = `The feed file is ${upload.bytes} bytes; the most is ${this.#maxFeedBytes}.`;
      this.#violation("feed_too_large", message);
      return { status: 413, body: walmartErrors("REQUEST_ENTITY_TOO_LARGE.GMP_GATEWAY_API", message, "file", "REQUEST") };
    }
    const parsed = parseFeedFile(feedType as FeedType, upload.text);
    if (parsed.ok && parsed.lines.length > this.#maxFeedItems) {
      const message = `The feed has ${parsed.lines.length} items; the most is ${this.#maxFeedItems}.`;
      this.#violation("feed_too_many_items", message);
      return badRequest(message, "file");
    }
    const feedId = `${randomUUID().replaceAll("-", "").toUpperCase()}@AQMBAQA`;
    this.#feeds.push({ feedId, feedType: feedType as FeedType, submittedAt: now, fileBytes: upload.bytes, parsed, results: null });
    this.#stats.feedsSubmitted += 1;
    return { status: 200, body: { feedId } };
  }

  #feedStatus(feedId: string, url: URL): HttpAnswer {
    const feed = this.#feeds.find((f) => f.feedId === feedId);
    if (!feed) return { status: 404, body: walmartErrors("CONTENT_NOT_FOUND.GMP_FEED_API", `No feed ${feedId}.`, "feedId") };
    return { status: 200, body: feedStatusBody(this.#view(feed), url.searchParams.get("includeDetails") === "true" ? page(url, maxDetailsPage) : null) };
  }

  /** `GET /v3/feeds[?feedId=]`, newest first. */
  #listFeeds(url: URL): HttpAnswer {
    const feedId = url.searchParams.get("feedId");
    const matching = this.#feeds.filter((feed) => feedId === null || feed.feedId === feedId).reverse();
    const { offset, limit } = page(url, 50);
    const feed = matching.slice(offset, offset + limit).map((record) => feedListEntry(this.#view(record)));
    return { status: 200, body: { totalResults: matching.length, offset, limit, results: { feed } } };
  }

  /** Processes every feed that is due, in submission order: each item applies alone or fails alone. */
  #settle(): void {
    const now = this.#now();
    for (const feed of this.#feeds) {
      if (feed.results || now - feed.submittedAt < this.#feedProcessingMs) continue;
      feed.results = feed.parsed.ok ? feed.parsed.lines.map((line) => this.#applyLine(line)) : [];
    }
  }

  #applyLine(line: FeedLine): ItemIngestion {
    const sku = typeof line.sku === "string" ? line.sku : "";
    const errors: IngestionError[] = [];
    const dataError = (code: string, description: string) => errors.push({ type: "DATA_ERROR", code, description });
    if (!this.#items.has(sku)) dataError("CONTENT_NOT_FOUND.GMP_INVENTORY_API", `SKU ${JSON.stringify(line.sku)} is not in the seller's catalog.`);
    if (line.nodes.length === 0) dataError("INVALID_SHIP_NODES", "shipNodes must list at least one ship node.");
    for (const node of line.nodes) {
      const shipNode = node.shipNode === null ? this.defaultShipNode : node.shipNode;
      if (typeof shipNode !== "string" || !this.#nodes.has(shipNode)) dataError("INVALID_SHIP_NODE", `Ship node ${JSON.stringify(shipNode)} is not one of the seller's.`);
      const invalid = quantityError(node.quantity);
      if (invalid) dataError("INVALID_QUANTITY", invalid);
    }
    if (errors.length > 0) return { index: line.index, sku, ingestionStatus: "DATA_ERROR", ingestionErrors: errors };
    for (const node of line.nodes) {
      const shipNode = node.shipNode === null ? this.defaultShipNode : (node.shipNode as string);
      this.#quantities.set(this.#key(sku, shipNode), (node.quantity as { amount: number }).amount);
    }
    this.#stats.itemsApplied += 1;
    return { index: line.index, sku, ingestionStatus: "SUCCESS", ingestionErrors: [] };
  }

  #view(feed: FeedRecord): FakeWalmartFeed {
    const { feedId, feedType, submittedAt, fileBytes, parsed, results } = feed;
    const pending = () => (this.#now() - submittedAt < this.#feedProcessingMs / 2 ? "RECEIVED" : "INPROGRESS");
    const items: ItemIngestion[] =
      results ?? (parsed.ok ? parsed.lines.map((line) => ({ index: line.index, sku: typeof line.sku === "string" ? line.sku : "", ingestionStatus: "INPROGRESS", ingestionErrors: [] })) : []);
    return {
      feedId,
      feedType,
      submittedAt,
      fileBytes,
      feedStatus: results ? (parsed.ok ? "PROCESSED" : "ERROR") : pending(),
      modifiedAt: results ? submittedAt + this.#feedProcessingMs : submittedAt,
      items,
      error: parsed.ok ? null : { type: "DATA_ERROR", code: parsed.code, description: parsed.description },
    };
  }

  #throttle(state: Bucket, kind: ViolationKind, what: string): HttpAnswer | null {
    const waitMs = takeToken(state, this.#now());
    if (waitMs === 0) return null;
    return this.#tooMany(kind, `${what}: over ${Math.round(state.perMs * 60_000)} a minute (burst ${state.capacity}).`, waitMs);
  }

  /** 429 with `Retry-After` in whole seconds, at least 1, and a violation. */
  #tooMany(kind: ViolationKind, message: string, waitMs: number): HttpAnswer {
    this.#violation(kind, message);
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    return { status: 429, headers: { "retry-after": String(retryAfter) }, body: walmartErrors("REQUEST_THRESHOLD_VIOLATED.GMP_GATEWAY_API", message, undefined, "REQUEST") };
  }

  #violation(kind: ViolationKind, message: string): void {
    this.#stats.violations += 1;
    this.#violations.push({ kind, message, at: this.#now() });
  }

  #key(sku: string, shipNode: string): string {
    if (!this.#items.has(sku)) throw new Error(`no item ${sku}`);
    if (!this.#nodes.has(shipNode)) throw new Error(`no ship node ${shipNode}`);
    return `${sku}\u0000${shipNode}`;
  }
}

function notFound(url: URL): HttpAnswer {
  return { status: 404, body: walmartErrors("CONTENT_NOT_FOUND.GMP_GATEWAY_API", `No resource at ${url.pathname}.`, undefined, "REQUEST") };
}
