import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

/*
 * A Business Central environment's API v2.0, as far as general journals go
 * (REFERENCE.md §4), with a Microsoft Entra token endpoint: journals,
 * journalLines, Microsoft.NAV.post (lines become G/L entries, 204),
 * generalLedgerEntries, and JSON $batch. It enforces the documented limits:
 * a $batch over 100 operations is refused, more than 6,000 requests in a
 * sliding 5 minutes (each $batch operation counted) answer 429; both count
 * as violations. It can answer 503 or apply a post and lose its answer.
 * Sales orders too: salesOrders (filtered by externalDocumentNumber, at
 * most 35 characters, upper-cased as BC's Code fields are; the customer
 * must exist) and their salesOrderLines (Item lines of known items); a
 * sales order's creation can be applied and its answer lost.
 */

const windowMs = 5 * 60_000;

export interface BcLine {
  id: string;
  journalId: string;
  lineNumber: number;
  accountType: string;
  accountNumber: string;
  postingDate: string;
  documentNumber: string;
  externalDocumentNumber: string;
  amount: number;
  description: string;
  comment: string;
}

export interface BcEntry {
  entryNumber: number;
  documentNumber: string;
  postingDate: string;
  accountNumber: string;
  debitAmount: number;
  creditAmount: number;
  description: string;
}

export interface BcSalesOrder {
  id: string;
  number: string;
  externalDocumentNumber: string;
  orderDate: string;
  customerNumber: string;
}

export interface BcSalesOrderLine {
  id: string;
  documentId: string;
  sequence: number;
  lineType: string;
  lineObjectNumber: string;
  quantity: number;
  unitPrice: number;
  discountAmount: number;
}

export interface FakeBusinessCentralOptions {
  /** Customer numbers a sales order may go under. */
  customers?: string[];
  /** Item numbers a sales order line may reference. */
  items?: string[];
  /** G/L account numbers of the chart; lines to others are refused. */
  accounts?: string[];
  requestsPerWindow?: number;
  maxBatchOperations?: number;
  /** How long each API request takes. */
  latencyMs?: number;
}

type Fault = "5xx" | "post-cut-after-apply" | "order-cut-after-apply";

interface Answer {
  status: number;
  body?: unknown;
}

export class FakeBusinessCentral {
  readonly directoryId = "contoso.onmicrosoft.com";
  readonly environment = "production";
  readonly companyId = randomUUID();
  readonly clientId = `bc-client-${randomUUID().slice(0, 8)}`;
  readonly clientSecret = `bc-secret-${randomUUID()}`;
  readonly stats = { calls: 0, tokensIssued: 0, batches: 0, maxBatchOperations: 0, posts: 0, linesCreated: 0, salesOrdersCreated: 0, salesOrderLinesCreated: 0, violations: 0 };
  readonly salesOrders = new Map<string, BcSalesOrder>();
  readonly salesOrderLines = new Map<string, BcSalesOrderLine>();
  readonly journals = new Map<string, { id: string; code: string; displayName: string }>();
  readonly lines = new Map<string, BcLine>();
  readonly entries: BcEntry[] = [];
  readonly #tokens = new Set<string>();
  readonly #requests: number[] = [];
  readonly #faults: Fault[] = [];
  readonly #options: Required<FakeBusinessCentralOptions>;
  #server: Server | null = null;
  #port = 0;

  private constructor(options: FakeBusinessCentralOptions) {
    this.#options = { customers: [], items: [], accounts: [], requestsPerWindow: 6_000, maxBatchOperations: 100, latencyMs: 0, ...options };
  }

  static async start(options: FakeBusinessCentralOptions = {}): Promise<FakeBusinessCentral> {
    const fake = new FakeBusinessCentral(options);
    fake.#server = createServer((req, res) => void fake.#handle(req, res));
    fake.#port = await listenOnLoopback(fake.#server, 0);
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get tokenUrl(): string {
    return `${this.url}/${this.directoryId}/oauth2/v2.0/token`;
  }

  failNext(...faults: Fault[]): void {
    this.#faults.push(...faults);
  }

  /** G/L entries by document number. */
  entriesOf(documentNumber: string): BcEntry[] {
    return this.entries.filter((entry) => entry.documentNumber === documentNumber);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.calls += 1;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.url);
    if (req.method === "POST" && url.pathname === `/${this.directoryId}/oauth2/v2.0/token`) return this.#token(text, res);
    const root = `/v2.0/${this.directoryId}/${this.environment}/api/v2.0/`;
    if (!url.pathname.startsWith(root)) return send(res, { status: 404, body: odataError("BadRequest_NotFound", "No such endpoint") });
    const token = req.headers.authorization?.replace(/^Bearer /, "");
    if (!token || !this.#tokens.has(token)) return send(res, { status: 401, body: odataError("Authentication_InvalidCredentials", "The token is not valid") });
    if (this.#options.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#options.latencyMs));
    const path = decodeURIComponent(url.pathname.slice(root.length));
    if (path === "$batch" && req.method === "POST") return send(res, this.#batch(text, req.headers.isolation === "snapshot"));
    if (!this.#admit(1)) return send(res, { status: 429, body: odataError("Application_TooManyRequests", "Too many requests"), retryAfter: 1 } as Answer);
    const fault = this.#faults[0] === "5xx" ? this.#faults.shift() : undefined;
    if (fault) return send(res, { status: 503, body: odataError("ServiceUnavailable", "try later") });
    const answer = this.#operation(req.method ?? "GET", `${path}${url.search}`, text ? JSON.parse(text) : undefined);
    if (answer.status === 204 && path.endsWith("Microsoft.NAV.post") && this.#faults[0] === "post-cut-after-apply") {
      this.#faults.shift();
      return void req.socket.destroy();
    }
    if (answer.status === 201 && /\/salesOrders$/.test(path) && this.#faults[0] === "order-cut-after-apply") {
      this.#faults.shift();
      return void req.socket.destroy();
    }
    send(res, answer);
  }

  /** Counts `count` requests into the sliding window; false (a violation) when it would go over. */
  #admit(count: number): boolean {
    const now = Date.now();
    while (this.#requests.length > 0 && this.#requests[0]! <= now - windowMs) this.#requests.shift();
    if (this.#requests.length + count > this.#options.requestsPerWindow) {
      this.stats.violations += 1;
      return false;
    }
    for (let i = 0; i < count; i++) this.#requests.push(now);
    return true;
  }

  #token(text: string, res: ServerResponse): void {
    const form = new URLSearchParams(text);
    if (form.get("grant_type") !== "client_credentials" || form.get("client_id") !== this.clientId || form.get("client_secret") !== this.clientSecret || form.get("scope") !== "https://api.businesscentral.dynamics.com/.default") {
      return send(res, { status: 401, body: { error: "invalid_client" } });
    }
    const token = randomUUID();
    this.#tokens.add(token);
    this.stats.tokensIssued += 1;
    send(res, { status: 200, body: { token_type: "Bearer", expires_in: 3599, access_token: token } });
  }

  #batch(text: string, snapshot: boolean): Answer {
    const requests = (JSON.parse(text) as { requests?: { id: string; method: string; url: string; body?: unknown }[] }).requests ?? [];
    this.stats.batches += 1;
    this.stats.maxBatchOperations = Math.max(this.stats.maxBatchOperations, requests.length);
    if (requests.length > this.#options.maxBatchOperations) {
      this.stats.violations += 1;
      return { status: 400, body: odataError("BadRequest", `The batch holds ${requests.length} operations; at most ${this.#options.maxBatchOperations}`) };
    }
    if (!this.#admit(requests.length)) return { status: 429, body: odataError("Application_TooManyRequests", "Too many requests") };
    const saved = snapshot ? { lines: new Map(this.lines), orderLines: new Map(this.salesOrderLines) } : null;
    const responses: { id: string; status: number; body?: unknown }[] = [];
    for (const request of requests) {
      const answer = this.#operation(request.method, request.url, request.body);
      responses.push({ id: request.id, status: answer.status, body: answer.body });
      if (saved && answer.status >= 400) {
        this.lines.clear();
        for (const [id, line] of saved.lines) this.lines.set(id, line);
        this.salesOrderLines.clear();
        for (const [id, line] of saved.orderLines) this.salesOrderLines.set(id, line);
        break;
      }
    }
    return { status: 200, body: { responses } };
  }

  #operation(method: string, target: string, body: unknown): Answer {
    const [path, query = ""] = target.split("?");
    const filter = /\$filter=(\w+) eq '([^']*)'/.exec(decodeURIComponent(query));
    const company = `companies(${this.companyId})`;
    const parts = /^companies\(([^)]+)\)\/(.*)$/.exec(path!);
    if (!parts || parts[1] !== this.companyId) return { status: 404, body: odataError("BadRequest_NotFound", `No company in ${path}`) };
    const rest = parts[2]!;
    if (rest === "journals" && method === "GET") return { status: 200, body: { value: [...this.journals.values()].filter((journal) => !filter || (journal as Record<string, unknown>)[filter[1]!] === filter[2]) } };
    if (rest === "journals" && method === "POST") {
      const { code, displayName } = body as { code: string; displayName: string };
      if ([...this.journals.values()].some((journal) => journal.code === code)) return { status: 400, body: odataError("Internal_EntityWithSameKeyExists", `Journal ${code} exists`) };
      const journal = { id: randomUUID(), code, displayName };
      this.journals.set(journal.id, journal);
      return { status: 201, body: journal };
    }
    if (rest === "generalLedgerEntries" && method === "GET") return { status: 200, body: { value: this.entries.filter((entry) => !filter || (entry as unknown as Record<string, unknown>)[filter[1]!] === filter[2]) } };
    const lineRoute = /^journals\(([^)]+)\)\/journalLines(?:\(([^)]+)\))?$/.exec(rest);
    if (lineRoute) {
      const journalId = lineRoute[1]!;
      if (!this.journals.has(journalId)) return { status: 404, body: odataError("BadRequest_NotFound", `No journal ${journalId}`) };
      if (method === "GET") return { status: 200, body: { value: [...this.lines.values()].filter((line) => line.journalId === journalId && (!filter || (line as unknown as Record<string, unknown>)[filter[1]!] === filter[2])) } };
      if (method === "DELETE" && lineRoute[2]) return this.lines.delete(lineRoute[2]) ? { status: 204 } : { status: 404, body: odataError("BadRequest_NotFound", "No such line") };
      if (method === "POST") {
        const input = body as Partial<BcLine>;
        if (!input.accountNumber || !this.#options.accounts.includes(input.accountNumber)) return { status: 400, body: odataError("Internal_RecordNotFound", `The G/L Account does not exist. Identification fields and values: No.='${input.accountNumber}'`) };
        if ((input.documentNumber ?? "").length > 20) return { status: 400, body: odataError("BadRequest_InvalidValue", "documentNumber is longer than 20 characters") };
        if ([...this.lines.values()].some((line) => line.journalId === journalId && line.lineNumber === input.lineNumber)) return { status: 400, body: odataError("Internal_EntityWithSameKeyExists", `Line ${input.lineNumber} exists`) };
        const line: BcLine = {
          id: randomUUID(),
          journalId,
          lineNumber: input.lineNumber ?? 10_000 * (this.lines.size + 1),
          accountType: input.accountType ?? "G/L Account",
          accountNumber: input.accountNumber,
          postingDate: input.postingDate ?? "",
          documentNumber: input.documentNumber ?? "",
          externalDocumentNumber: input.externalDocumentNumber ?? "",
          amount: input.amount ?? 0,
          description: input.description ?? "",
          comment: input.comment ?? "",
        };
        this.lines.set(line.id, line);
        this.stats.linesCreated += 1;
        return { status: 201, body: line };
      }
    }
    if (rest === "salesOrders" && method === "GET") return { status: 200, body: { value: [...this.salesOrders.values()].filter((order) => !filter || (order as unknown as Record<string, unknown>)[filter[1]!] === filter[2]) } };
    if (rest === "salesOrders" && method === "POST") {
      const input = body as Partial<BcSalesOrder>;
      if ((input.externalDocumentNumber ?? "").length > 35) return { status: 400, body: odataError("BadRequest_InvalidValue", "externalDocumentNumber is longer than 35 characters") };
      if (!input.customerNumber || !this.#options.customers.includes(input.customerNumber)) return { status: 400, body: odataError("Internal_RecordNotFound", `The Customer does not exist. Identification fields and values: No.='${input.customerNumber}'`) };
      const order: BcSalesOrder = { id: randomUUID(), number: String(101000 + this.salesOrders.size), externalDocumentNumber: (input.externalDocumentNumber ?? "").toUpperCase(), orderDate: input.orderDate ?? "", customerNumber: input.customerNumber };
      this.salesOrders.set(order.id, order);
      this.stats.salesOrdersCreated += 1;
      return { status: 201, body: order };
    }
    const orderLineRoute = /^salesOrders\(([^)]+)\)\/salesOrderLines$/.exec(rest);
    if (orderLineRoute) {
      const documentId = orderLineRoute[1]!;
      if (!this.salesOrders.has(documentId)) return { status: 404, body: odataError("BadRequest_NotFound", `No sales order ${documentId}`) };
      if (method === "GET") return { status: 200, body: { value: [...this.salesOrderLines.values()].filter((line) => line.documentId === documentId) } };
      if (method === "POST") {
        const input = body as Partial<BcSalesOrderLine>;
        if (input.lineType !== "Item" || !input.lineObjectNumber || !this.#options.items.includes(input.lineObjectNumber)) return { status: 400, body: odataError("Internal_RecordNotFound", `The Item does not exist. Identification fields and values: No.='${input.lineObjectNumber}'`) };
        if (typeof input.quantity !== "number" || input.quantity <= 0) return { status: 400, body: odataError("BadRequest_InvalidValue", "quantity must be positive") };
        if ([...this.salesOrderLines.values()].some((line) => line.documentId === documentId && line.sequence === input.sequence)) return { status: 400, body: odataError("Internal_EntityWithSameKeyExists", `Line ${input.sequence} exists`) };
        const line: BcSalesOrderLine = { id: randomUUID(), documentId, sequence: input.sequence ?? 10_000 * (this.salesOrderLines.size + 1), lineType: input.lineType, lineObjectNumber: input.lineObjectNumber, quantity: input.quantity, unitPrice: input.unitPrice ?? 0, discountAmount: input.discountAmount ?? 0 };
        this.salesOrderLines.set(line.id, line);
        this.stats.salesOrderLinesCreated += 1;
        return { status: 201, body: line };
      }
    }
    const postRoute = /^journals\(([^)]+)\)\/Microsoft\.NAV\.post$/.exec(rest);
    if (postRoute && method === "POST") {
      const lines = [...this.lines.values()].filter((line) => line.journalId === postRoute[1]);
      if (lines.length === 0) return { status: 400, body: odataError("Application_DialogException", "There is nothing to post.") };
      const byDocument = new Map<string, number>();
      for (const line of lines) byDocument.set(line.documentNumber, (byDocument.get(line.documentNumber) ?? 0) + Math.round(line.amount * 100));
      const unbalanced = [...byDocument].find(([, total]) => total !== 0);
      if (unbalanced) return { status: 400, body: odataError("Application_DialogException", `Document No. ${unbalanced[0]} is out of balance by ${unbalanced[1] / 100}.`) };
      for (const line of lines) {
        this.entries.push({ entryNumber: this.entries.length + 1, documentNumber: line.documentNumber, postingDate: line.postingDate, accountNumber: line.accountNumber, debitAmount: Math.max(0, line.amount), creditAmount: Math.max(0, -line.amount), description: line.description });
        this.lines.delete(line.id);
      }
      this.stats.posts += 1;
      return { status: 204 };
    }
    return { status: 404, body: odataError("BadRequest_MethodNotFound", `No ${method} ${company}/${rest}`) };
  }
}

function odataError(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function send(res: ServerResponse, answer: Answer & { retryAfter?: number }): void {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (answer.retryAfter) headers["retry-after"] = String(answer.retryAfter);
  res.writeHead(answer.status, headers).end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
}
