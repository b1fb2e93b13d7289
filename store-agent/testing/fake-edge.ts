import { StoreHealthReport, type StoreHealth } from "../../shared/schemas/store-health.ts";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StoreFeedQuery, type StoreFeedEntry, type StoreFeedPage, type StoreStock } from "../../shared/schemas/catalog.ts";
import type { Customer } from "../../shared/schemas/customers.ts";
import { normalEmail, normalPhone } from "../../shared/customer-contact.ts";
import { CreateHoldRequest, defaultLoyaltySettings, type LoyaltyAccount, type LoyaltyHold } from "../../shared/schemas/loyalty.ts";
import {
  describeIssues,
  maxReportedGaps,
  maxStoreBatch,
  maxStoreBatchBytes,
  PosTransaction,
  StoreTransactionBatch,
  transactionIdOf,
  type StoreTransactionBatchResult,
  type StoreTransactionResult,
} from "../../shared/schemas/store-transactions.ts";

export interface ReceivedBatch {
  idempotencyKey: string | undefined;
  sequences: number[];
  transactionIds: string[];
  /** Each envelope's traceparent, in order (null when it carried none). */
  traceparents: (string | null)[];
  bytes: number;
  /** What the fake did with it. */
  answer: "results" | "failed" | "dropped_after_apply" | "too_large" | "unauthorized" | "invalid";
}

export interface FakeEdgeOptions {
  location: string;
  storeKey: string;
  /** Listen on this port (0: any free one). */
  port?: number;
  /** The most entries a feed page carries, whatever `limit` the client asks for. */
  feedPageSize?: number;
}

/** A customer of the fake's directory, with their points (no lots: a balance is enough for the store's lookups). */
export interface FakeCustomer {
  id: string;
  name: string | null;
  loyaltyId: string | null;
  balance: number;
  /** As the edge stores them: lower-case, and E.164 (the fake reads numbers as the tenant's defaultCountry GB would). */
  email?: string;
  phone?: string;
  mergedInto?: string;
  erased?: boolean;
}

/** The answer a transaction id got the first time: a resend of a rejected one gets the rejection again. */
type FirstAnswer = { status: "accepted" } | { status: "rejected"; code: string; reason: string };

/** One entry of the feed at its latest state, and where it sits. */
interface FeedRow {
  /** Its position in its source (the catalog, or the stock): one half of the cursor. */
  seq: number;
  /** When it changed, across both sources: the order pages interleave them in. */
  at: number;
  entry: StoreFeedEntry;
}

/**
 * A test double of the edge's store endpoints, over real HTTP, held to
 * the same contract suite as the real edge (store-agent/testing/store-protocol-contract.ts):
 * every transaction id answered once and for good (accepted, then duplicate;
 * rejected, then the same rejection), the high-water mark and gaps, and a
 * feed with two-part cursors (catalog position-stock position) that carries
 * each item, promotion and stock figure once, at its latest state. An
 * accepted sale moves the stock it publishes. Faults are queued per request.
 * It also answers a store key's customer lookups, loyalty accounts and holds
 * (a balance per customer that active holds lock), outside the contract
 * suite: test-e2e/store-loyalty.test.ts runs the agent's lookups and
 * redemptions against the real edge.
 *
 * @example
 * const edge = await FakeEdge.start({ location: "store-001", storeKey });
 * edge.publish({ kind: "item", item }, { kind: "stock", stock });
 * edge.faults.push("503");
 */
export class FakeEdge {
  readonly location: string;
  readonly storeKey: string;
  readonly batches: ReceivedBatch[] = [];
  /** Transaction id → sequence, in the order first applied. */
  readonly applied = new Map<string, number>();
  /** The cursor of every feed request, in order (null: from the start). */
  readonly feedCursors: (string | null)[] = [];
  /** Every health report received, in order (the real edge keeps the latest per store). */
  readonly healthReports: StoreHealthReport[] = [];
  /** Each queued fault answers one push request instead of the normal answer. */
  readonly faults: ("503" | "drop_after_apply" | "reset")[] = [];
  /** A push body over this many bytes is answered 413. */
  maxBatchBytes = maxStoreBatchBytes;
  /** The tenant's customers by id (see {@link FakeEdge.putCustomer}). */
  readonly customers = new Map<string, FakeCustomer>();
  /** Every hold placed, in order; one sent again under the same Idempotency-Key is not placed again. */
  readonly holds: LoyaltyHold[] = [];
  readonly #holdsByKey = new Map<string, LoyaltyHold>();
  /** The programme's hold TTL, for a hold request that names none. */
  holdTtlSeconds = defaultLoyaltySettings.holdTtlSeconds;
  /** While true every request is dropped unanswered, as when the store's link is down. */
  unreachable = false;
  /** Return a reason to reject a transaction for good (the real edge rejects only invalid ones). */
  reject: (transaction: PosTransaction) => { code: string; reason: string } | null = () => null;
  readonly #answers = new Map<string, FirstAnswer>();
  /** Received sequence numbers above the high-water mark. */
  readonly #received = new Set<number>();
  #highWaterMark = 0;
  /** Items and promotions by `item:<sku>` / `promotion:<id>`; stock by `<sku>@<location>`. */
  readonly #catalog = new Map<string, FeedRow>();
  readonly #stock = new Map<string, FeedRow>();
  #catalogSeq = 0;
  #stockSeq = 0;
  #changes = 0;
  readonly #server: Server;
  readonly #feedPageSize: number;
  port = 0;

  private constructor(options: FakeEdgeOptions) {
    this.location = options.location;
    this.storeKey = options.storeKey;
    this.#feedPageSize = options.feedPageSize ?? Number.POSITIVE_INFINITY;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  }

  static async start(options: FakeEdgeOptions): Promise<FakeEdge> {
    const edge = new FakeEdge(options);
    await new Promise<void>((resolve, reject) => {
      edge.#server.once("error", reject);
      edge.#server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    edge.port = (edge.#server.address() as AddressInfo).port;
    return edge;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every sequence the fake was sent, in arrival order, counting repeats. */
  get sentSequences(): number[] {
    return this.batches.flatMap((b) => b.sequences);
  }

  /**
   * Changes the catalog or the stock, as an operator or a sale elsewhere
   * would: an entry replaces the earlier state of the same item, promotion or
   * (SKU, location), and moves to the end of the feed. Stock of another
   * location is served too, as a misbehaving edge would.
   */
  publish(...entries: StoreFeedEntry[]): void {
    for (const entry of entries) {
      if (entry.kind === "stock") {
        this.#stock.set(`${entry.stock.sku}@${entry.stock.location}`, { seq: ++this.#stockSeq, at: ++this.#changes, entry });
      } else {
        const key = entry.kind === "item" ? `item:${entry.item.sku}` : `promotion:${entry.promotion.id}`;
        this.#catalog.set(key, { seq: ++this.#catalogSeq, at: ++this.#changes, entry });
      }
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    const base = `/v1/stores/${this.location}`;
    const authorized = req.headers.authorization === `Bearer ${this.storeKey}`;
    if (this.unreachable) {
      req.socket.destroy();
      return;
    }
    if (url.pathname.startsWith("/v1/customers")) {
      if (!authorized) return problem(res, 401, "unauthorized");
      return this.#customers(req.method ?? "GET", url, req.headers["idempotency-key"] as string | undefined, text, res);
    }

    if (req.method === "GET" && url.pathname === `${base}/feed`) {
      if (!authorized) return problem(res, 401, "unauthorized");
      const query = StoreFeedQuery.safeParse({ cursor: url.searchParams.get("cursor") ?? undefined, limit: url.searchParams.get("limit") ?? undefined });
      if (!query.success) return problem(res, 400, "validation_failed", describeIssues(query.error));
      this.feedCursors.push(query.data.cursor ?? null);
      return send(res, 200, this.#feedPage(query.data.cursor ?? "0-0", Math.min(query.data.limit, this.#feedPageSize)));
    }
    if (req.method === "POST" && url.pathname === `${base}/health`) {
      if (!authorized) return problem(res, 401, "unauthorized");
      const report = StoreHealthReport.safeParse(parseJson(text));
      if (!report.success) return problem(res, 400, "validation_failed", describeIssues(report.error));
      this.healthReports.push(report.data);
      const at = new Date().toISOString();
      const health: StoreHealth = { ...report.data, location: this.location, status: "online", lastReportAt: at, onlineSince: at, offlineSince: null, oldestPendingAgeSeconds: null };
      return send(res, 200, health);
    }
    if (req.method !== "POST" || url.pathname !== `${base}/transactions`) return problem(res, 404, "not_found");

    const body = parseJson(text);
    const envelopes = Array.isArray((body as { transactions?: unknown } | undefined)?.transactions) ? ((body as { transactions: unknown[] }).transactions as Record<string, unknown>[]) : [];
    const received: ReceivedBatch = {
      idempotencyKey: req.headers["idempotency-key"] as string | undefined,
      sequences: envelopes.map((t) => Number(t?.sequence)),
      transactionIds: envelopes.map((t) => String((t?.transaction as { transactionId?: unknown } | undefined)?.transactionId)),
      traceparents: envelopes.map((t) => (typeof t?.traceparent === "string" ? t.traceparent : null)),
      bytes: Buffer.byteLength(text),
      answer: "results",
    };
    this.batches.push(received);
    if (!authorized) {
      received.answer = "unauthorized";
      return problem(res, 401, "unauthorized");
    }
    if (received.bytes > this.maxBatchBytes || envelopes.length > maxStoreBatch) {
      received.answer = "too_large";
      return problem(res, 413, "payload_too_large");
    }
    if (body === undefined) {
      received.answer = "invalid";
      return problem(res, 400, "malformed_json");
    }
    const batch = StoreTransactionBatch.safeParse(body);
    if (!batch.success) {
      received.answer = "invalid";
      return problem(res, 400, "validation_failed", describeIssues(batch.error));
    }
    const fault = this.faults.shift();
    if (fault === "503") {
      received.answer = "failed";
      return problem(res, 503, "internal_error");
    }
    if (fault === "reset") {
      received.answer = "failed";
      req.socket.destroy();
      return;
    }

    const results = batch.data.transactions.map(({ sequence, transaction }) => this.#ingest(sequence, transaction));
    const answer: StoreTransactionBatchResult = { location: this.location, results, ...this.#progress(batch.data.transactions.map((t) => t.sequence)) };
    if (fault === "drop_after_apply") {
      received.answer = "dropped_after_apply";
      req.socket.destroy();
      return;
    }
    send(res, 200, answer);
  }

  /** One transaction, as the edge's store ingest decides it: an id's first answer stands for good. */
  #ingest(sequence: number, transaction: unknown): StoreTransactionResult {
    const parsed = PosTransaction.safeParse(transaction);
    const transactionId = parsed.success ? parsed.data.transactionId : transactionIdOf(transaction);
    const first = transactionId === null ? undefined : this.#answers.get(transactionId);
    if (first) return first.status === "rejected" ? { sequence, transactionId, ...first } : { sequence, transactionId, status: "duplicate" };

    const rejection = parsed.success ? this.reject(parsed.data) : { code: "validation_failed", reason: describeIssues(parsed.error) };
    if (rejection) {
      // Without a valid id there is nothing to remember it by; validating it again gives the same answer.
      if (transactionId !== null) this.#answers.set(transactionId, { status: "rejected", ...rejection });
      return { sequence, transactionId, status: "rejected", ...rejection };
    }
    const sale = parsed.data!;
    this.#answers.set(sale.transactionId, { status: "accepted" });
    this.applied.set(sale.transactionId, sequence);
    this.#moveStock(sale);
    return { sequence, transactionId: sale.transactionId, status: "accepted" };
  }

  /** Adds or replaces a customer of the tenant, with `balance` points. */
  putCustomer(customer: FakeCustomer): void {
    this.customers.set(customer.id, customer);
  }

  /** Ends a hold as the edge would on a redemption, a release or its TTL: its points are no longer locked. */
  endHold(holdId: string, status: "redeemed" | "released" | "expired"): void {
    const hold = this.holds.find((h) => h.id === holdId);
    if (hold) Object.assign(hold, { status, closedAt: new Date().toISOString() });
  }

  /** The store key's view of the customer directory and of the points: lookups (contact masked away), accounts, holds. */
  #customers(method: string, url: URL, idempotencyKey: string | undefined, text: string, res: ServerResponse): void {
    const [, , , id, part, sub] = url.pathname.split("/").map(decodeURIComponent);
    if (method === "GET" && id === undefined) {
      const loyaltyId = url.searchParams.get("loyaltyId");
      const email = url.searchParams.get("email");
      const phone = url.searchParams.get("phone");
      let matches = (c: FakeCustomer) => c.loyaltyId !== null && c.loyaltyId === loyaltyId;
      if (email !== null) {
        const read = normalEmail(email);
        if (!read.ok) return problem(res, 422, "invalid_email");
        matches = (c) => c.email === read.value;
      } else if (phone !== null) {
        const read = normalPhone(phone, "GB");
        if (!read.ok) return problem(res, 422, "invalid_phone");
        matches = (c) => c.phone === read.value;
      }
      const found = [...this.customers.values()].filter((c) => !c.erased && matches(c));
      return send(res, 200, { customers: found.map((c) => customerView(this.customers.get(c.mergedInto ?? c.id) ?? c)) });
    }
    const customer = id === undefined ? undefined : this.customers.get(id);
    if (!customer) return problem(res, 404, "not_found");
    if (method === "GET" && part === undefined) return send(res, 200, customerView(customer));
    const active = this.holds.filter((h) => h.customerId === customer.id && h.status === "active" && Date.parse(h.expiresAt) > Date.now());
    const held = active.reduce((sum, h) => sum + h.points, 0);
    if (method === "GET" && part === "loyalty" && sub === undefined) {
      const account: LoyaltyAccount = { customerId: customer.id, balance: customer.balance, held, available: customer.balance - held, lots: [], holds: active, ledger: { entries: [], nextCursor: null } };
      return send(res, 200, account);
    }
    if (method === "POST" && part === "loyalty" && sub === "holds") {
      if (!idempotencyKey) return problem(res, 400, "idempotency_key_required");
      const replayed = this.#holdsByKey.get(idempotencyKey);
      if (replayed) return send(res, 201, replayed);
      const request = CreateHoldRequest.safeParse(parseJson(text));
      if (!request.success) return problem(res, 400, "validation_failed", describeIssues(request.error));
      if (customer.erased) return problem(res, 404, "not_found");
      if (request.data.points > customer.balance - held) return problem(res, 409, "insufficient_points");
      const now = Date.now();
      const hold: LoyaltyHold = {
        id: `hld_fake${this.holds.length + 1}`,
        customerId: customer.id,
        points: request.data.points,
        status: "active",
        reference: request.data.reference,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + (request.data.ttlSeconds ?? this.holdTtlSeconds) * 1000).toISOString(),
        closedAt: null,
      };
      this.holds.push(hold);
      this.#holdsByKey.set(idempotencyKey, hold);
      return send(res, 201, hold);
    }
    problem(res, 404, "not_found");
  }

  /** A sale takes its units off the location's stock; a return or a void puts them back. What is held back (onHand − available) stays. */
  #moveStock(transaction: PosTransaction): void {
    for (const line of transaction.lines) {
      const current = this.#stock.get(`${line.sku}@${this.location}`)?.entry;
      const was: StoreStock = current?.kind === "stock" ? current.stock : { sku: line.sku, location: this.location, onHand: 0, available: 0, leased: 0, updatedAt: "" };
      const onHand = was.onHand + (transaction.type === "sale" ? -line.qty : line.qty);
      const held = was.onHand - was.available;
      this.publish({ kind: "stock", stock: { ...was, onHand, available: Math.max(0, onHand - held), updatedAt: new Date().toISOString() } });
    }
  }

  /**
   * Records the sequences received and answers the high-water mark (every
   * number up to it received) and the gaps above it, the lowest first.
   */
  #progress(sequences: number[]): Pick<StoreTransactionBatchResult, "highWaterMark" | "gaps"> {
    for (const sequence of sequences) if (sequence > this.#highWaterMark) this.#received.add(sequence);
    while (this.#received.delete(this.#highWaterMark + 1)) this.#highWaterMark += 1;
    const gaps: StoreTransactionBatchResult["gaps"] = [];
    let expected = this.#highWaterMark + 1;
    for (const sequence of [...this.#received].sort((a, b) => a - b)) {
      if (sequence > expected) gaps.push({ from: expected, to: sequence - 1 });
      if (gaps.length === maxReportedGaps) break;
      expected = sequence + 1;
    }
    return { highWaterMark: this.#highWaterMark, gaps };
  }

  /** Both sources after their half of the cursor, interleaved in change order, at most `limit`. */
  #feedPage(cursor: string, limit: number): StoreFeedPage {
    let [catalogAt, stockAt] = cursor.split("-").map(Number) as [number, number];
    const after = (rows: Map<string, FeedRow>, seq: number) => [...rows.values()].filter((row) => row.seq > seq).sort((a, b) => a.seq - b.seq);
    const catalog = after(this.#catalog, catalogAt);
    const stock = after(this.#stock, stockAt);
    const page = [...catalog, ...stock].sort((a, b) => a.at - b.at).slice(0, limit);
    for (const row of page) {
      if (row.entry.kind === "stock") stockAt = row.seq;
      else catalogAt = row.seq;
    }
    return { entries: page.map((row) => row.entry), nextCursor: `${catalogAt}-${stockAt}`, hasMore: page.length < catalog.length + stock.length };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}



/** A customer as a store key reads it: no contact (the real edge masks it). */
function customerView(customer: FakeCustomer): Customer {
  const at = "2026-11-01T00:00:00.000Z";
  return {
    id: customer.id,
    email: null,
    phone: null,
    name: customer.erased ? null : customer.name,
    loyaltyId: customer.erased ? null : customer.loyaltyId,
    createdAt: at,
    updatedAt: at,
    mergedInto: customer.mergedInto ?? null,
    erased: customer.erased ?? false,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, code: string, detail = code): void {
  res
    .writeHead(status, { "content-type": "application/problem+json" })
    .end(JSON.stringify({ type: `https://shelfsync.dev/problems/${code}`, title: code, status, detail, code, instance: "fake" }));
}
