import { createPublicKey, generateKeyPairSync, randomUUID, verify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

/*
 * A NetSuite account's REST web services, as far as journal entries go
 * (REFERENCE.md §4): the OAuth 2.0 client credentials (M2M) token endpoint,
 * which checks the client assertion's signature against the mapped
 * certificate, and PUT …/record/v1/journalentry/eid:<externalId>, an upsert.
 * It enforces the account's concurrency limit (requests over it answer 429
 * and count as violations), refuses unbalanced entries and unknown accounts
 * as NetSuite does (400), and can lose answers after applying them. Sales
 * orders are upserted the same way (PUT …/salesOrder/eid:<externalId>),
 * under the same concurrency limit: an external id outside NetSuite's
 * characters (letters, digits, '_', '-'), a missing customer, or an item
 * it does not know is refused (400).
 */

const tokenPath = "/services/rest/auth/oauth2/v1/token";
const journalPrefix = "/services/rest/record/v1/journalentry/eid:";
const salesOrderPrefix = "/services/rest/record/v1/salesOrder/eid:";

export interface NetSuiteSalesOrderLine {
  item: string;
  quantity: number;
  rate: number;
  amount: number;
}

/** A sales order upserted by external id: a non-posting record, as NetSuite keeps it. */
export interface NetSuiteSalesOrder {
  internalId: string;
  externalId: string;
  entity: string;
  tranDate: string;
  memo: string;
  shippingCost: number;
  items: NetSuiteSalesOrderLine[];
  /** PUTs that applied to it: 1 when created, more when upserted again. */
  writes: number;
}

export interface NetSuiteLine {
  account: string;
  debit: number;
  credit: number;
  memo: string;
  location?: string;
  department?: string;
  class?: string;
}

export interface NetSuiteJournal {
  internalId: string;
  externalId: string;
  tranDate: string;
  memo: string;
  subsidiary?: string;
  lines: NetSuiteLine[];
  /** PUTs that applied to it: 1 when created, more when upserted again. */
  writes: number;
}

export interface FakeNetSuiteOptions {
  /** Requests in flight at once (NetSuite's shared tier: 5). */
  concurrencyLimit?: number;
  /** How long each record request takes, so that concurrency shows. */
  latencyMs?: number;
  /** Account internal ids of the chart of accounts; others are refused (INVALID_KEY_OR_REF). */
  accounts?: string[];
  /** Item internal ids a sales order may reference; others are refused (INVALID_KEY_OR_REF). */
  items?: string[];
}

/** What `npm start`'s sandbox keeps across runs: the same port, integration record and journals, as a real account does. */
export interface FakeNetSuiteIdentity {
  port: number;
  clientId: string;
  certificateId: string;
  /** PKCS#8 PEM (EC P-256). */
  privateKey: string;
  journals?: NetSuiteJournal[];
}

export interface FakeNetSuiteStats {
  calls: number;
  tokensIssued: number;
  created: number;
  updated: number;
  refused: number;
  salesOrdersCreated: number;
  salesOrdersUpdated: number;
  /** Requests that broke the concurrency limit: a client that keeps to it has none. */
  violations: number;
  maxInFlight: number;
}

type Fault = "5xx" | "429" | "cut-after-apply";

export class FakeNetSuite {
  readonly accountId = "1234567";
  readonly clientId: string;
  readonly certificateId: string;
  /** The certificate's private key, PKCS#8 PEM (EC P-256): what the tenant gives its connection. */
  readonly privateKey: string;
  readonly stats: FakeNetSuiteStats = { calls: 0, tokensIssued: 0, created: 0, updated: 0, refused: 0, salesOrdersCreated: 0, salesOrdersUpdated: 0, violations: 0, maxInFlight: 0 };
  readonly #publicKey: KeyObject;
  readonly #tokens = new Set<string>();
  readonly #journals = new Map<string, NetSuiteJournal>();
  readonly #salesOrders = new Map<string, NetSuiteSalesOrder>();
  readonly #faults: Fault[] = [];
  readonly #options: Required<FakeNetSuiteOptions>;
  #inFlight = 0;
  #server: Server | null = null;
  #port = 0;

  private constructor(options: FakeNetSuiteOptions, identity?: FakeNetSuiteIdentity) {
    if (identity) {
      this.privateKey = identity.privateKey;
      this.#publicKey = createPublicKey(identity.privateKey);
      for (const journal of identity.journals ?? []) this.#journals.set(journal.externalId, journal);
    } else {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      this.privateKey = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      this.#publicKey = createPublicKey(publicKey.export({ type: "spki", format: "pem" }));
    }
    this.clientId = identity?.clientId ?? `ns-client-${randomUUID()}`;
    this.certificateId = identity?.certificateId ?? `ns-cert-${randomUUID().slice(0, 18)}`;
    this.#options = { concurrencyLimit: 5, latencyMs: 40, accounts: [], items: [], ...options };
  }

  /** On a port the OS chooses with a fresh key pair; or, given an `identity`, on its port with its credentials and journals (a sandbox kept across runs). */
  static async start(options: FakeNetSuiteOptions = {}, identity?: FakeNetSuiteIdentity): Promise<FakeNetSuite> {
    const fake = new FakeNetSuite(options, identity);
    fake.#server = createServer((req, res) => void fake.#handle(req, res));
    fake.#port = await listenOnLoopback(fake.#server, identity?.port ?? 0);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The next record requests fail so: a 503, a 429 with Retry-After: 1 (not a violation), or applied and then the connection cut before the answer. */
  failNext(...faults: Fault[]): void {
    this.#faults.push(...faults);
  }

  journal(externalId: string): NetSuiteJournal | undefined {
    return this.#journals.get(externalId);
  }

  journals(): NetSuiteJournal[] {
    return [...this.#journals.values()];
  }

  salesOrders(): NetSuiteSalesOrder[] {
    return [...this.#salesOrders.values()];
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.calls += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = new URL(req.url ?? "/", this.url).pathname;
    if (req.method === "POST" && path === tokenPath) return this.#token(text, res);
    if (path.startsWith(journalPrefix) || path.startsWith(salesOrderPrefix)) {
      this.#inFlight += 1;
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.#inFlight);
      try {
        if (this.#inFlight > this.#options.concurrencyLimit) {
          this.stats.violations += 1;
          return error(res, 429, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded. Request blocked.");
        }
        await new Promise((resolve) => setTimeout(resolve, this.#options.latencyMs));
        if (path.startsWith(salesOrderPrefix)) return this.#salesOrder(req, decodeURIComponent(path.slice(salesOrderPrefix.length)), text, res);
        return this.#journalEntry(req, decodeURIComponent(path.slice(journalPrefix.length)), text, res);
      } finally {
        this.#inFlight -= 1;
      }
    }
    error(res, 404, "NONEXISTENT_ID", `No route ${req.method} ${path}`);
  }

  #token(text: string, res: ServerResponse): void {
    const form = new URLSearchParams(text);
    if (form.get("grant_type") !== "client_credentials" || form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return oauthError(res, "unsupported_grant_type");
    }
    const [header, payload, signature] = (form.get("client_assertion") ?? "").split(".");
    if (!header || !payload || !signature) return oauthError(res, "invalid_request");
    const head = JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string; kid?: string };
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    const signed = verify("sha256", Buffer.from(`${header}.${payload}`), { key: this.#publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url"));
    const fresh = typeof claims.iat === "number" && typeof claims.exp === "number" && claims.exp - claims.iat <= 3600 && claims.exp * 1000 > Date.now();
    if (head.alg !== "ES256" || head.kid !== this.certificateId || claims.iss !== this.clientId || !claims.aud?.endsWith(tokenPath) || !claims.scope?.includes("rest_webservices") || !signed || !fresh) {
      return oauthError(res, "invalid_client");
    }
    const token = randomUUID();
    this.#tokens.add(token);
    this.stats.tokensIssued += 1;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ access_token: token, token_type: "bearer", expires_in: 3600 }));
  }

  /** The checks every upsert passes first: the token, the method, an injected fault. Returns the fault still to apply (a cut), or "answered". */
  #admit(req: IncomingMessage, res: ServerResponse): Fault | undefined | "answered" {
    const token = req.headers.authorization?.replace(/^Bearer /, "");
    if (!token || !this.#tokens.has(token)) return error(res, 401, "INVALID_LOGIN", "Invalid login attempt."), "answered";
    if (req.method !== "PUT") return error(res, 405, "METHOD_NOT_ALLOWED", "Only the upsert is served here"), "answered";
    const fault = this.#faults.shift();
    if (fault === "5xx") return error(res, 503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable"), "answered";
    if (fault === "429") {
      res.setHeader("retry-after", "1");
      return error(res, 429, "REQUEST_LIMIT_EXCEEDED", "Request limit exceeded. Try again later."), "answered";
    }
    return fault;
  }

  #salesOrder(req: IncomingMessage, externalId: string, text: string, res: ServerResponse): void {
    const fault = this.#admit(req, res);
    if (fault === "answered") return;
    if (!/^[A-Za-z0-9_-]+$/.test(externalId)) return this.#refuse(res, "INVALID_ID", `Invalid external id ${externalId}: letters, numbers, underscore and hyphen only.`);
    let body: { externalId?: string; entity?: { id?: string }; tranDate?: string; memo?: string; shippingCost?: number; item?: { items?: Record<string, unknown>[] } };
    try {
      body = JSON.parse(text);
    } catch {
      return error(res, 400, "INVALID_CONTENT", "The request body is not valid JSON");
    }
    if (!body.entity?.id || !/^\d+$/.test(body.entity.id)) return this.#refuse(res, "USER_ERROR", "Please enter value(s) for: Customer");
    if (!body.tranDate) return this.#refuse(res, "USER_ERROR", "Please enter value(s) for: Date");
    const items: NetSuiteSalesOrderLine[] = [];
    for (const line of body.item?.items ?? []) {
      const item = (line.item as { id?: string } | undefined)?.id;
      if (!item || !this.#options.items.includes(item)) return this.#refuse(res, "INVALID_KEY_OR_REF", `Invalid item reference key ${item}.`);
      if (typeof line.quantity !== "number" || line.quantity <= 0) return this.#refuse(res, "USER_ERROR", "Please enter value(s) for: Quantity");
      items.push({ item, quantity: line.quantity, rate: Number(line.rate ?? 0), amount: Number(line.amount ?? 0) });
    }
    if (items.length === 0) return this.#refuse(res, "USER_ERROR", "You must enter at least one line item for this transaction.");
    const existing = this.#salesOrders.get(externalId);
    const order: NetSuiteSalesOrder = {
      internalId: existing?.internalId ?? String(5000 + this.#salesOrders.size),
      externalId,
      entity: body.entity.id,
      tranDate: body.tranDate,
      memo: body.memo ?? "",
      shippingCost: body.shippingCost ?? 0,
      items,
      writes: (existing?.writes ?? 0) + 1,
    };
    this.#salesOrders.set(externalId, order);
    if (existing) this.stats.salesOrdersUpdated += 1;
    else this.stats.salesOrdersCreated += 1;
    if (fault === "cut-after-apply") {
      req.socket.destroy();
      return;
    }
    res.writeHead(204, { location: `${this.url}/services/rest/record/v1/salesOrder/${order.internalId}` }).end();
  }

  #journalEntry(req: IncomingMessage, externalId: string, text: string, res: ServerResponse): void {
    const fault = this.#admit(req, res);
    if (fault === "answered") return;
    let body: { tranDate?: string; memo?: string; subsidiary?: { id?: string }; line?: { items?: Record<string, unknown>[] } };
    try {
      body = JSON.parse(text);
    } catch {
      return error(res, 400, "INVALID_CONTENT", "The request body is not valid JSON");
    }
    const items = body.line?.items ?? [];
    const lines: NetSuiteLine[] = [];
    for (const item of items) {
      const account = (item.account as { id?: string } | undefined)?.id;
      if (!account || !this.#options.accounts.includes(account)) return this.#refuse(res, "INVALID_KEY_OR_REF", `Invalid account reference key ${account}.`);
      const debit = typeof item.debit === "number" ? item.debit : 0;
      const credit = typeof item.credit === "number" ? item.credit : 0;
      if ((debit > 0) === (credit > 0)) return this.#refuse(res, "USER_ERROR", "Each line needs a debit or a credit.");
      const ref = (name: string) => (item[name] as { id?: string } | undefined)?.id;
      lines.push({ account, debit, credit, memo: String(item.memo ?? ""), location: ref("location"), department: ref("department"), class: ref("class") });
    }
    const cents = (pick: (line: NetSuiteLine) => number) => lines.reduce((total, line) => total + Math.round(pick(line) * 100), 0);
    if (lines.length === 0 || cents((line) => line.debit) !== cents((line) => line.credit)) return this.#refuse(res, "USER_ERROR", "The transaction is out of balance.");
    if (!body.tranDate) return this.#refuse(res, "USER_ERROR", "Please enter value(s) for: Date");
    const existing = this.#journals.get(externalId);
    const journal: NetSuiteJournal = {
      internalId: existing?.internalId ?? String(1000 + this.#journals.size),
      externalId,
      tranDate: body.tranDate,
      memo: body.memo ?? "",
      subsidiary: body.subsidiary?.id,
      lines,
      writes: (existing?.writes ?? 0) + 1,
    };
    this.#journals.set(externalId, journal);
    if (existing) this.stats.updated += 1;
    else this.stats.created += 1;
    if (fault === "cut-after-apply") {
      req.socket.destroy();
      return;
    }
    res.writeHead(204, { location: `${this.url}/services/rest/record/v1/journalentry/${journal.internalId}` }).end();
  }

  #refuse(res: ServerResponse, code: string, detail: string): void {
    this.stats.refused += 1;
    error(res, 400, code, detail);
  }
}

/** NetSuite's REST error body (RFC 9457 with o:errorDetails). */
function error(res: ServerResponse, status: number, code: string, detail: string): void {
  res.writeHead(status, { "content-type": "application/vnd.oracle.resource+json; type=error" }).end(
    JSON.stringify({ type: "https://www.rfc-editor.org/rfc/rfc9110.html", title: status === 429 ? "Too Many Requests" : "Error", status, "o:errorDetails": [{ detail, "o:errorCode": code }] }),
  );
}

function oauthError(res: ServerResponse, code: string): void {
  res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: code }));
}
