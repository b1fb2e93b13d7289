import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FakeFault } from "./shopify-admin.ts";
import { bucket, header, isRecord, send, takeToken } from "./walmart-wire.ts";
import type { Bucket, HttpAnswer } from "./walmart-wire.ts";
import {
  applyUpdate,
  checkPatches,
  defaultRates,
  invalidInput,
  issueCodes,
  lwaError,
  marketplaceIdsOf,
  messagePatches,
  parseJson,
  parseListingsFeed,
  processingReport,
  spError,
  spRoute,
} from "./amazon-wire.ts";
import type { AvailabilityUpdate, BucketName, FeedMessage, Issue, ParsedFeedDocument, Rate, ReportIssue, Route } from "./amazon-wire.ts";
import { AmazonOrderBook, defaultListingLagMs } from "./amazon-orders.ts";
import { listenOnLoopback } from "./loopback.ts";

export type { BucketName, FakeFault, Rate };

const tokenLifetimeSeconds = 3600;
const usMarketplace = "ATVPDKIKX0DER";

/** One selling partner's LWA credentials; clientId and clientSecret are the application's. */
export interface AmazonSeller {
  sellerId: string;
  refreshToken: string;
  clientId: string;
  clientSecret: string;
}

export interface FakeAmazonOptions {
  /** Epoch ms: token expiry, patch visibility, feed processing and every bucket read this clock. */
  now?: () => number;
  /** The loopback port to listen on; 0, the default, lets the OS choose. */
  port?: number;
  /** The first seller's credentials; each field has a default. */
  seller?: Partial<AmazonSeller>;
  /** The marketplace `addListing` uses when given none (default: US, ATVPDKIKX0DER). */
  marketplaceId?: string;
  /** Server-clock ms from an ACCEPTED patch to its quantity showing (default 100). */
  patchVisibleAfterMs?: number;
  /** Server-clock ms from createFeed to DONE/FATAL: IN_QUEUE for the first half, IN_PROGRESS for the second (default 1000). */
  feedProcessingMs?: number;
  /** Overrides of the usage plans (defaults: `defaultRates`). */
  rates?: Partial<Record<BucketName, Rate>>;
  /** Server-clock ms: a searchOrders without an explicit bound lists orders updated before now minus this (default 2 minutes). */
  listingLagMs?: number;
  /** At most this many orders on one page of searchOrders, whatever maxResultsPerPage asks (default 100). */
  searchPageLimit?: number;
}

export interface FakeAmazonStats {
  /** Every HTTP request received, faults and refusals included. */
  calls: number;
  /** patchListingsItem calls answered ACCEPTED. */
  patches: number;
  feedsCreated: number;
  /** createFeedDocument calls answered with a document. */
  feedDocumentsCreated: number;
  /** Feed documents created and never named by a createFeed (read it once the client is idle). */
  feedDocumentsUnused: number;
  /** Feed messages applied at processing. */
  messagesApplied: number;
  /** Requests that broke a documented or configured limit: a client that models the limits has none. */
  violations: number;
  tokensIssued: number;
}

export type ViolationKind = "rate_limited" | "feed_too_many_messages";

export interface Violation {
  kind: ViolationKind;
  /** The bucket that refused, or JSON_LISTINGS_FEED for a feed over 25,000 messages. */
  bucket: BucketName;
  sellerId: string;
  message: string;
  at: number;
}

export type ProcessingStatus = "IN_QUEUE" | "IN_PROGRESS" | "DONE" | "FATAL";

interface Listing {
  sellerId: string;
  sku: string;
  productType: string;
  marketplaceId: string;
  /** Quantity by fulfillment channel code, as getListingsItem shows it now. */
  availability: Map<string, number>;
  createdAt: number;
  updatedAt: number;
}

/** An ACCEPTED patch not yet visible; pending patches apply in acceptance order. */
interface PendingPatch {
  dueAt: number;
  listing: Listing;
  updates: AvailabilityUpdate[];
}

interface FeedDocument {
  feedDocumentId: string;
  sellerId: string;
  contentType: string;
  /** Null until uploaded. */
  content: Buffer | null;
  /** Server-clock ms: the presigned upload URL expires 5 minutes after this. */
  createdAt: number;
  /** Whether a createFeed named it. */
  used: boolean;
}

/** The presigned upload URL of a feed document expires after 5 minutes (CreateFeedDocumentResponse.url). */
export const feedDocumentUrlLifetimeMs = 5 * 60_000;

interface FeedRecord {
  feedId: string;
  sellerId: string;
  marketplaceIds: string[];
  inputFeedDocumentId: string;
  createdAt: number;
  /** Set once, when processed; its messages applied in the same step. */
  outcome: { status: "DONE" | "FATAL"; resultFeedDocumentId: string } | null;
}

/**
 * A loopback HTTP server playing both Login with Amazon (`POST /auth/o2/token`)
 * and one SP-API region endpoint: listings items (patch and get), the Feeds
 * API 2021-06-30 with JSON_LISTINGS_FEED, the presigned upload/download
 * URLs of feed documents, and orders (searchOrders, getOrder, confirmShipment:
 * `orders`, in ./amazon-orders.ts). Usage plans are token buckets per seller (and one
 * per application for patchListingsItem) on the server's clock. ACCEPTED
 * patches and feeds settle lazily, before any request or read, so no timer runs.
 *
 * @example
 * const amazon = await FakeAmazon.start({ now: () => clock });
 * amazon.addListing(amazon.seller.sellerId, "SKU-1", "SHIRT");
 * // … connection: tokenUrl `${amazon.url}/auth/o2/token`, baseUrl amazon.url
 * expect(amazon.quantity(amazon.seller.sellerId, "SKU-1")).toBe(7);
 * expect(amazon.stats.violations).toBe(0);
 */
export class FakeAmazon {
  readonly seller: AmazonSeller;
  readonly marketplaceId: string;
  readonly #server: Server;
  readonly #requestedPort: number;
  readonly #now: () => number;
  readonly #patchVisibleAfterMs: number;
  readonly #feedProcessingMs: number;
  readonly #rates: Record<BucketName, Rate>;
  readonly #sellers = new Map<string, AmazonSeller>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #tokens = new Map<string, { sellerId: string; expiresAt: number }>();
  readonly #listings = new Map<string, Listing>();
  readonly #pending: PendingPatch[] = [];
  readonly #documents = new Map<string, FeedDocument>();
  readonly #feeds: FeedRecord[] = [];
  readonly #violations: Violation[] = [];
  readonly #faults: { fault: FakeFault; path: RegExp | undefined }[] = [];
  /** The sellers' orders: add, pay and cancel them, and read what was shipped. */
  readonly orders: AmazonOrderBook;
  readonly #stats: FakeAmazonStats = { calls: 0, patches: 0, feedsCreated: 0, feedDocumentsCreated: 0, feedDocumentsUnused: 0, messagesApplied: 0, violations: 0, tokensIssued: 0 };
  #nextFeedId = 50_001_019_000;
  #port = 0;

  private constructor(options: FakeAmazonOptions) {
    this.seller = {
      sellerId: options.seller?.sellerId ?? "A1FAKESELLER01",
      refreshToken: options.seller?.refreshToken ?? "Atzr|fake-refresh-token-1",
      clientId: options.seller?.clientId ?? "amzn1.application-oa2-client.fake",
      clientSecret: options.seller?.clientSecret ?? "fake-lwa-client-secret",
    };
    this.#sellers.set(this.seller.refreshToken, this.seller);
    this.marketplaceId = options.marketplaceId ?? usMarketplace;
    this.#now = options.now ?? Date.now;
    this.#requestedPort = options.port ?? 0;
    this.#patchVisibleAfterMs = options.patchVisibleAfterMs ?? 100;
    this.#feedProcessingMs = options.feedProcessingMs ?? 1000;
    this.#rates = { ...defaultRates, ...options.rates };
    this.orders = new AmazonOrderBook(this.#now, { sellerId: this.seller.sellerId, marketplaceId: this.marketplaceId, listingLagMs: options.listingLagMs ?? defaultListingLagMs, pageLimit: options.searchPageLimit ?? 100 });
    this.#server = createServer((req, res) => {
      // A bug in the fake answers 500 with its message rather than passing for a network fault.
      this.#handle(req, res).catch((error: unknown) => (res.headersSent ? res.socket?.destroy() : send(res, spError(500, "InternalFailure", String(error)))));
    });
  }

  static async start(options: FakeAmazonOptions = {}): Promise<FakeAmazon> {
    const fake = new FakeAmazon(options);
    fake.#port = await listenOnLoopback(fake.#server, fake.#requestedPort);
    return fake;
  }

  /** Both the LWA host (token URL `${url}/auth/o2/token`) and the SP-API region endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Another selling partner authorizing the same application (same clientId and clientSecret by default). */
  addSeller(seller: Pick<AmazonSeller, "sellerId" | "refreshToken"> & Partial<AmazonSeller>): AmazonSeller {
    const full = { clientId: this.seller.clientId, clientSecret: this.seller.clientSecret, ...seller };
    this.#sellers.set(full.refreshToken, full);
    return full;
  }

  /** A listing of `sellerId` with no fulfillment availability yet. */
  addListing(sellerId: string, sku: string, productType: string, marketplaceId = this.marketplaceId): void {
    const now = this.#now();
    this.#listings.set(this.#key(sellerId, sku), { sellerId, sku, productType, marketplaceId, availability: new Map(), createdAt: now, updatedAt: now });
  }

  /** What getListingsItem shows now for the channel: null when the listing has no entry for it. */
  quantity(sellerId: string, sku: string, channelCode = "DEFAULT"): number | null {
    this.#settle();
    return this.#listing(sellerId, sku).availability.get(channelCode) ?? null;
  }

  /** Sets a quantity behind the client's back (a sale elsewhere); patches still pending apply over it. */
  setQuantity(sellerId: string, sku: string, quantity: number, channelCode = "DEFAULT"): void {
    this.#settle();
    this.#listing(sellerId, sku).availability.set(channelCode, quantity);
  }

  /** The next `times` requests (only those whose path matches `path`, when given) meet this fault, in the order injected. */
  injectFault(fault: FakeFault, times = 1, path?: RegExp): void {
    for (let i = 0; i < times; i += 1) this.#faults.push({ fault, path });
  }

  get stats(): FakeAmazonStats {
    this.#settle();
    const feedDocumentsUnused = [...this.#documents.values()].filter((document) => !document.used).length;
    return { ...this.#stats, feedDocumentsUnused };
  }

  get violations(): readonly Violation[] {
    return this.#violations;
  }

  /** A feed's processing status as getFeed would answer now. */
  feedStatus(feedId: string): ProcessingStatus | null {
    this.#settle();
    const feed = this.#feeds.find((f) => f.feedId === feedId);
    return feed ? this.#status(feed) : null;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#stats.calls += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const pathname = new URL(req.url ?? "/", "http://fake").pathname;
    const index = this.#faults.findIndex(({ path }) => path === undefined || path.test(pathname));
    const fault = index === -1 ? undefined : this.#faults.splice(index, 1)[0]!.fault;
    if (fault?.kind === "status") return send(res, spError(fault.status, "InternalFailure", `fake fault: HTTP ${fault.status}`));
    // A hung request keeps its socket open until close() destroys every connection.
    if (fault?.kind === "hang" && !fault.apply) return;
    const answer = this.#answer(req, Buffer.concat(chunks));
    if (fault?.kind === "hang") return;
    if (fault?.kind === "cut-after-apply") {
      req.socket.destroy();
      return;
    }
    if (Buffer.isBuffer(answer.body)) {
      res.writeHead(answer.status, { "content-length": answer.body.length, ...answer.headers });
      res.end(answer.body);
      return;
    }
    send(res, answer);
  }

  /** Runs one request to its answer synchronously, so requests never interleave: each one is atomic. */
  #answer(req: IncomingMessage, raw: Buffer): HttpAnswer {
    this.#settle();
    const url = new URL(req.url ?? "/", "http://fake");
    const method = req.method ?? "GET";
    if (url.pathname === "/auth/o2/token" && method === "POST") return this.#token(req, raw);
    const documentId = /^\/(uploads|downloads)\/([^/]+)$/.exec(url.pathname);
    if (documentId?.[1] === "uploads" && method === "PUT") return this.#upload(req, decodeURIComponent(documentId[2] ?? ""), raw);
    if (documentId?.[1] === "downloads" && method === "GET") return this.#download(decodeURIComponent(documentId[2] ?? ""));
    const route = spRoute(method, url.pathname);
    if (!route) return spError(404, "NotFound", `No operation at ${method} ${url.pathname}.`);
    const answer = this.#operation(req, route, url, raw);
    return { ...answer, headers: { "x-amzn-RateLimit-Limit": String(this.#rates[route.operation].rate), ...answer.headers } };
  }

  #operation(req: IncomingMessage, route: Route, url: URL, raw: Buffer): HttpAnswer {
    const sellerId = this.#authenticate(req);
    if (typeof sellerId !== "string") return sellerId;
    const limited = this.#throttle(route.operation, sellerId);
    if (limited) return limited;
    const [first = "", second = ""] = route.params;
    switch (route.operation) {
      case "patchListingsItem":
        return this.#patchListingsItem(sellerId, first, second, url, raw);
      case "getListingsItem":
        return this.#getListingsItem(sellerId, first, second, url);
      case "createFeedDocument":
        return this.#createFeedDocument(sellerId, raw);
      case "getFeedDocument":
        return this.#getFeedDocument(sellerId, first);
      case "createFeed":
        return this.#createFeed(sellerId, raw);
      case "getFeed":
        return this.#getFeed(sellerId, first);
      case "searchOrders":
      case "getOrder":
      case "confirmShipment":
        return this.orders.answer(route.operation, sellerId, route.params, url, raw);
    }
  }

  /** LWA's refresh-token grant: a wrong client is 401 invalid_client, a wrong refresh token 400 invalid_grant. */
  #token(req: IncomingMessage, raw: Buffer): HttpAnswer {
    if (!req.headers["content-type"]?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return lwaError(400, "invalid_request", "The request must be application/x-www-form-urlencoded.");
    }
    const form = new URLSearchParams(raw.toString("utf8"));
    const missing = ["grant_type", "refresh_token", "client_id", "client_secret"].find((name) => !form.get(name));
    if (missing) return lwaError(400, "invalid_request", `The request is missing a required parameter : ${missing}`);
    if (form.get("grant_type") !== "refresh_token") return lwaError(400, "unsupported_grant_type", "The fake grants refresh_token only.");
    const clientOk = [...this.#sellers.values()].some((s) => s.clientId === form.get("client_id") && s.clientSecret === form.get("client_secret"));
    if (!clientOk) return lwaError(401, "invalid_client", "Client authentication failed");
    const seller = this.#sellers.get(form.get("refresh_token") ?? "");
    if (!seller || seller.clientId !== form.get("client_id")) return lwaError(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token");
    const accessToken = `Atza|fake-${randomUUID()}`;
    this.#tokens.set(accessToken, { sellerId: seller.sellerId, expiresAt: this.#now() + tokenLifetimeSeconds * 1000 });
    this.#stats.tokensIssued += 1;
    return { status: 200, body: { access_token: accessToken, refresh_token: seller.refreshToken, token_type: "bearer", expires_in: tokenLifetimeSeconds } };
  }

  /** The seller the `x-amz-access-token` was issued to, or the 403 SP-API answers. */
  #authenticate(req: IncomingMessage): string | HttpAnswer {
    const token = this.#tokens.get(header(req, "x-amz-access-token") ?? "");
    if (!token) return spError(403, "Unauthorized", "Access to requested resource is denied.", "The access token you provided is revoked, malformed or invalid.");
    if (this.#now() >= token.expiresAt) return spError(403, "Unauthorized", "Access to requested resource is denied.", "The access token you provided has expired.");
    return token.sellerId;
  }

  #patchListingsItem(sellerId: string, pathSellerId: string, sku: string, url: URL, raw: Buffer): HttpAnswer {
    const refused = this.#listingRequest(sellerId, pathSellerId, url);
    if (refused) return refused;
    const body = parseJson(raw);
    if (!isRecord(body) || typeof body["productType"] !== "string" || !Array.isArray(body["patches"]) || body["patches"].length === 0) {
      return invalidInput("The body must be { productType, patches: [1 or more] }.");
    }
    const submissionId = randomUUID().replaceAll("-", "");
    const listing = this.#visibleListing(sellerId, sku, marketplaceIdsOf(url));
    const outcome = this.#checkMessage(listing, sku, body["productType"], body["patches"]);
    if (!outcome.ok || !listing) return { status: 200, body: { sku, status: "INVALID", submissionId, issues: outcome.ok ? [] : outcome.issues } };
    this.#pending.push({ dueAt: this.#now() + this.#patchVisibleAfterMs, listing, updates: outcome.updates });
    this.#stats.patches += 1;
    return { status: 200, body: { sku, status: "ACCEPTED", submissionId, issues: [] } };
  }

  #getListingsItem(sellerId: string, pathSellerId: string, sku: string, url: URL): HttpAnswer {
    const refused = this.#listingRequest(sellerId, pathSellerId, url);
    if (refused) return refused;
    const listing = this.#visibleListing(sellerId, sku, marketplaceIdsOf(url));
    if (!listing) return spError(404, "NOT_FOUND", `SKU '${sku}' not found in marketplace ${marketplaceIdsOf(url).join(",")}`);
    const included = (url.searchParams.get("includedData") ?? "summaries").split(",");
    const body: Record<string, unknown> = { sku };
    if (included.includes("summaries")) {
      const iso = (ms: number) => new Date(ms).toISOString();
      body["summaries"] = [{ marketplaceId: listing.marketplaceId, productType: listing.productType, conditionType: "new_new", status: ["BUYABLE"], createdDate: iso(listing.createdAt), lastUpdatedDate: iso(listing.updatedAt) }];
    }
    if (included.includes("fulfillmentAvailability")) {
      body["fulfillmentAvailability"] = [...listing.availability].map(([fulfillmentChannelCode, quantity]) => ({ fulfillmentChannelCode, quantity }));
    }
    return { status: 200, body };
  }

  /** A listings call names the token's seller and at least one marketplace. */
  #listingRequest(sellerId: string, pathSellerId: string, url: URL): HttpAnswer | null {
    if (pathSellerId !== sellerId) return spError(403, "Unauthorized", "Access to requested resource is denied.", `The access token was not issued for seller ${pathSellerId}.`);
    if (marketplaceIdsOf(url).length === 0) return invalidInput("marketplaceIds is required.");
    return null;
  }

  #visibleListing(sellerId: string, sku: string, marketplaceIds: string[]): Listing | undefined {
    const listing = this.#listings.get(this.#key(sellerId, sku));
    return listing && marketplaceIds.includes(listing.marketplaceId) ? listing : undefined;
  }

  /** The checks a patch call and a feed message share: the listing exists, its productType matches, the patches read. */
  #checkMessage(listing: Listing | undefined, sku: string, productType: unknown, patches: unknown): { ok: true; updates: AvailabilityUpdate[] } | { ok: false; issues: Issue[] } {
    if (!listing) return { ok: false, issues: [{ code: issueCodes.unknownSku, message: `SKU '${sku}' has no listing for this seller in the marketplace.`, severity: "ERROR" }] };
    if (productType !== listing.productType) {
      return { ok: false, issues: [{ code: issueCodes.productTypeMismatch, message: `The listing's productType is ${listing.productType}, not ${String(productType)}.`, severity: "ERROR" }] };
    }
    return checkPatches(patches);
  }

  #createFeedDocument(sellerId: string, raw: Buffer): HttpAnswer {
    const body = parseJson(raw);
    if (!isRecord(body) || typeof body["contentType"] !== "string" || body["contentType"] === "") return invalidInput("contentType is required.");
    const feedDocumentId = `amzn1.tortuga.4.na.${randomUUID()}`;
    this.#documents.set(feedDocumentId, { feedDocumentId, sellerId, contentType: body["contentType"], content: null, createdAt: this.#now(), used: false });
    this.#stats.feedDocumentsCreated += 1;
    return { status: 201, body: { feedDocumentId, url: `${this.url}/uploads/${encodeURIComponent(feedDocumentId)}` } };
  }

  #getFeedDocument(sellerId: string, feedDocumentId: string): HttpAnswer {
    const document = this.#documents.get(feedDocumentId);
    if (!document || document.sellerId !== sellerId) return spError(404, "NotFound", `No feed document ${feedDocumentId}.`);
    return { status: 200, body: { feedDocumentId, url: `${this.url}/downloads/${encodeURIComponent(feedDocumentId)}` } };
  }

  /** The presigned PUT: no auth header, but the Content-Type must be the one given to createFeedDocument (it is signed). */
  #upload(req: IncomingMessage, feedDocumentId: string, raw: Buffer): HttpAnswer {
    const document = this.#documents.get(feedDocumentId);
    if (!document) return { status: 404, body: Buffer.from("NoSuchUpload"), headers: { "content-type": "text/plain" } };
    if (this.#now() - document.createdAt > feedDocumentUrlLifetimeMs) return { status: 403, body: Buffer.from("AccessDenied: Request has expired"), headers: { "content-type": "text/plain" } };
    const normalize = (value: string | undefined) => (value ?? "").toLowerCase().replaceAll(" ", "");
    if (normalize(req.headers["content-type"]) !== normalize(document.contentType)) {
      return { status: 403, body: Buffer.from(`SignatureDoesNotMatch: Content-Type must be ${document.contentType}`), headers: { "content-type": "text/plain" } };
    }
    document.content = raw;
    return { status: 200, body: Buffer.alloc(0) };
  }

  #download(feedDocumentId: string): HttpAnswer {
    const document = this.#documents.get(feedDocumentId);
    if (!document?.content) return { status: 404, body: Buffer.from("NoSuchKey"), headers: { "content-type": "text/plain" } };
    return { status: 200, body: document.content, headers: { "content-type": document.contentType } };
  }

  #createFeed(sellerId: string, raw: Buffer): HttpAnswer {
    const body = parseJson(raw);
    if (!isRecord(body)) return invalidInput("The body must be { feedType, marketplaceIds, inputFeedDocumentId }.");
    if (body["feedType"] !== "JSON_LISTINGS_FEED") return invalidInput("This fake accepts feedType JSON_LISTINGS_FEED only.");
    const marketplaceIds = body["marketplaceIds"];
    if (!Array.isArray(marketplaceIds) || marketplaceIds.length === 0 || !marketplaceIds.every((id) => typeof id === "string")) return invalidInput("marketplaceIds must list at least one marketplace.");
    const inputFeedDocumentId = body["inputFeedDocumentId"];
    const document = typeof inputFeedDocumentId === "string" ? this.#documents.get(inputFeedDocumentId) : undefined;
    if (!document || document.sellerId !== sellerId) return invalidInput("inputFeedDocumentId is not a feed document of this seller.");
    const limited = this.#take("JSON_LISTINGS_FEED", sellerId);
    if (limited) return limited;
    const feedId = String((this.#nextFeedId += 1));
    this.#feeds.push({ feedId, sellerId, marketplaceIds: marketplaceIds as string[], inputFeedDocumentId: document.feedDocumentId, createdAt: this.#now(), outcome: null });
    document.used = true;
    this.#stats.feedsCreated += 1;
    return { status: 202, body: { feedId } };
  }

  #getFeed(sellerId: string, feedId: string): HttpAnswer {
    const feed = this.#feeds.find((f) => f.feedId === feedId && f.sellerId === sellerId);
    if (!feed) return spError(404, "NotFound", `No feed ${feedId}.`);
    const iso = (ms: number) => new Date(ms).toISOString();
    const status = this.#status(feed);
    return {
      status: 200,
      body: {
        feedId,
        feedType: "JSON_LISTINGS_FEED",
        marketplaceIds: feed.marketplaceIds,
        createdTime: iso(feed.createdAt),
        processingStatus: status,
        ...(status === "IN_QUEUE" ? {} : { processingStartTime: iso(feed.createdAt + this.#feedProcessingMs / 2) }),
        ...(feed.outcome ? { processingEndTime: iso(feed.createdAt + this.#feedProcessingMs), resultFeedDocumentId: feed.outcome.resultFeedDocumentId } : {}),
      },
    };
  }

  #status(feed: FeedRecord): ProcessingStatus {
    if (feed.outcome) return feed.outcome.status;
    return this.#now() - feed.createdAt < this.#feedProcessingMs / 2 ? "IN_QUEUE" : "IN_PROGRESS";
  }

  /** Applies what is due, in time order: visible patches and feeds interleave as their due times do. */
  #settle(): void {
    const now = this.#now();
    for (;;) {
      const patch = this.#pending[0];
      const feed = this.#feeds.find((f) => !f.outcome);
      const feedDue = feed ? feed.createdAt + this.#feedProcessingMs : Number.POSITIVE_INFINITY;
      const patchDue = patch ? patch.dueAt : Number.POSITIVE_INFINITY;
      if (Math.min(feedDue, patchDue) > now) return;
      if (patch && patchDue <= feedDue) {
        this.#pending.shift();
        for (const update of patch.updates) applyUpdate(patch.listing.availability, update);
        patch.listing.updatedAt = patchDue;
      } else if (feed) {
        this.#process(feed, feedDue);
      }
    }
  }

  /** Processes one feed: a document that is not a JSON_LISTINGS_FEED is FATAL; otherwise each message applies or fails alone. */
  #process(feed: FeedRecord, at: number): void {
    const content = this.#documents.get(feed.inputFeedDocumentId)?.content;
    const parsed: ParsedFeedDocument = content ? parseListingsFeed(content.toString("utf8")) : { ok: false, message: "The input feed document was never uploaded." };
    const fatal = (message: string) => this.#finish(feed, "FATAL", processingReport(feed.sellerId, feed.feedId, 0, [{ code: issueCodes.fatalDocument, message, severity: "ERROR" }]));
    if (!parsed.ok) {
      if (parsed.tooManyMessages) this.#violation("feed_too_many_messages", "JSON_LISTINGS_FEED", feed.sellerId, parsed.message);
      return fatal(parsed.message);
    }
    if (parsed.sellerId !== feed.sellerId) return fatal(`header.sellerId ${parsed.sellerId} is not the seller who created the feed.`);
    const issues: ReportIssue[] = [];
    for (const message of parsed.messages) {
      for (const issue of this.#applyMessage(feed, message, at)) issues.push({ messageId: message.messageId, ...issue });
    }
    this.#finish(feed, "DONE", processingReport(feed.sellerId, feed.feedId, parsed.messages.length, issues));
  }

  #applyMessage(feed: FeedRecord, message: FeedMessage, at: number): Issue[] {
    const invalid = (text: string): Issue[] => [{ code: issueCodes.invalidMessage, message: text, severity: "ERROR" }];
    if (!Number.isInteger(message.messageId) || message.messageId < 1) return invalid("messageId must be a whole number from 1.");
    if (typeof message.sku !== "string" || message.sku === "") return invalid("sku is required.");
    if (message.operationType !== "PATCH" && message.operationType !== "PARTIAL_UPDATE") {
      return [{ code: issueCodes.unsupported, message: `operationType ${String(message.operationType)} is not supported by this fake (PATCH and PARTIAL_UPDATE are).`, severity: "ERROR" }];
    }
    const listing = this.#visibleListing(feed.sellerId, message.sku, feed.marketplaceIds);
    const outcome = this.#checkMessage(listing, message.sku, message.productType, messagePatches(message));
    if (!outcome.ok || !listing) return outcome.ok ? [] : outcome.issues;
    for (const update of outcome.updates) applyUpdate(listing.availability, update);
    listing.updatedAt = at;
    this.#stats.messagesApplied += 1;
    return [];
  }

  #finish(feed: FeedRecord, status: "DONE" | "FATAL", report: object): void {
    const resultFeedDocumentId = `amzn1.tortuga.4.na.${randomUUID()}`;
    this.#documents.set(resultFeedDocumentId, { feedDocumentId: resultFeedDocumentId, sellerId: feed.sellerId, contentType: "application/json; charset=UTF-8", content: Buffer.from(JSON.stringify(report)), createdAt: this.#now(), used: true });
    feed.outcome = { status, resultFeedDocumentId };
  }

  /** The operation's per-seller bucket; a patch also takes from the application's, and gives the seller's token back when that one refuses. */
  #throttle(operation: BucketName, sellerId: string): HttpAnswer | null {
    const limited = this.#take(operation, sellerId);
    if (limited || operation !== "patchListingsItem") return limited;
    const application = this.#take("patchListingsItem/application", sellerId, "");
    if (application) this.#bucket(operation, sellerId).tokens += 1;
    return application;
  }

  /** `owner` is the seller a bucket belongs to, "" for the application's own. */
  #take(name: BucketName, sellerId: string, owner = sellerId): HttpAnswer | null {
    if (takeToken(this.#bucket(name, owner), this.#now()) === 0) return null;
    const { rate, burst } = this.#rates[name];
    const message = `${name}${owner ? ` for ${owner}` : " (all sellers)"}: over ${rate} a second (burst ${burst}).`;
    this.#violation("rate_limited", name, sellerId, message);
    return spError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.", message);
  }

  #bucket(name: BucketName, sellerId: string): Bucket {
    const key = `${name}\u0000${sellerId}`;
    let state = this.#buckets.get(key);
    if (!state) {
      const { rate, burst } = this.#rates[name];
      state = bucket(rate * 60, burst, this.#now());
      this.#buckets.set(key, state);
    }
    return state;
  }

  #violation(kind: ViolationKind, name: BucketName, sellerId: string, message: string): void {
    this.#stats.violations += 1;
    this.#violations.push({ kind, bucket: name, sellerId, message, at: this.#now() });
  }

  #listing(sellerId: string, sku: string): Listing {
    const listing = this.#listings.get(this.#key(sellerId, sku));
    if (!listing) throw new Error(`no listing ${sku} for seller ${sellerId}`);
    return listing;
  }

  #key(sellerId: string, sku: string): string {
    return `${sellerId}\u0000${sku}`;
  }
}
