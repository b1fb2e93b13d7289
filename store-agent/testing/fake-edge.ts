import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { StoreFeedEntry, StoreFeedPage } from "../../shared/schemas/catalog.ts";
import { PosTransaction, StoreTransactionBatch, type StoreTransactionResult } from "../../shared/schemas/store-transactions.ts";

export interface ReceivedBatch {
  idempotencyKey: string | undefined;
  sequences: number[];
  transactionIds: string[];
  bytes: number;
  /** What the fake did with it. */
  answer: "results" | "failed" | "dropped_after_apply" | "too_large" | "unauthorized";
}

export interface FakeEdgeOptions {
  location: string;
  storeKey: string;
  /** Listen on this port (0: any free one). */
  port?: number;
  feedPageSize?: number;
}

/**
 * A test double of the edge's two store endpoints, over real HTTP. It keeps
 * what a real edge must: every transaction id applied once, for good, and
 * the store's high-water mark and gaps. Faults are queued per request.
 */
export class FakeEdge {
  readonly location: string;
  readonly storeKey: string;
  readonly batches: ReceivedBatch[] = [];
  /** Transaction id → sequence, in the order first applied. */
  readonly applied = new Map<string, number>();
  readonly feedEntries: StoreFeedEntry[] = [];
  /** The cursor of every feed request, in order (null: from the start). */
  readonly feedCursors: (string | null)[] = [];
  /** Each queued fault answers one push request instead of the normal answer. */
  readonly faults: ("503" | "drop_after_apply" | "reset")[] = [];
  /** A push body over this many bytes is answered 413. */
  maxBatchBytes = Number.POSITIVE_INFINITY;
  /** Return a reason to reject a transaction for good. */
  reject: (transaction: PosTransaction) => { code: string; reason: string } | null = () => null;
  #received = new Set<number>();
  #server: Server;
  #feedPageSize: number;
  port = 0;

  private constructor(options: FakeEdgeOptions) {
    this.location = options.location;
    this.storeKey = options.storeKey;
    this.#feedPageSize = options.feedPageSize ?? 100;
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

    if (req.method === "GET" && url.pathname === `${base}/feed`) {
      if (!authorized) return problem(res, 401, "unauthorized");
      const cursor = url.searchParams.get("cursor");
      this.feedCursors.push(cursor);
      const start = Number(cursor ?? "0");
      const entries = this.feedEntries.slice(start, start + this.#feedPageSize);
      const end = start + entries.length;
      const page: StoreFeedPage = { entries, nextCursor: String(end), hasMore: end < this.feedEntries.length };
      return send(res, 200, page);
    }
    if (req.method !== "POST" || url.pathname !== `${base}/transactions`) return problem(res, 404, "not_found");

    const batch = StoreTransactionBatch.parse(JSON.parse(text));
    const received: ReceivedBatch = {
      idempotencyKey: req.headers["idempotency-key"] as string | undefined,
      sequences: batch.transactions.map((t) => t.sequence),
      transactionIds: batch.transactions.map((t) => (t.transaction as { transactionId: string }).transactionId),
      bytes: Buffer.byteLength(text),
      answer: "results",
    };
    this.batches.push(received);
    if (!authorized) {
      received.answer = "unauthorized";
      return problem(res, 401, "unauthorized");
    }
    if (received.bytes > this.maxBatchBytes) {
      received.answer = "too_large";
      return problem(res, 413, "payload_too_large");
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

    const results: StoreTransactionResult[] = batch.transactions.map(({ sequence, transaction }) => {
      this.#received.add(sequence);
      const parsed = PosTransaction.safeParse(transaction);
      if (!parsed.success) return { sequence, transactionId: null, status: "rejected", code: "validation_failed", reason: parsed.error.issues[0]?.message };
      const { transactionId } = parsed.data;
      if (this.applied.has(transactionId)) return { sequence, transactionId, status: "duplicate" };
      const rejection = this.reject(parsed.data);
      if (rejection) return { sequence, transactionId, status: "rejected", ...rejection };
      this.applied.set(transactionId, sequence);
      return { sequence, transactionId, status: "accepted" };
    });
    if (fault === "drop_after_apply") {
      received.answer = "dropped_after_apply";
      req.socket.destroy();
      return;
    }
    send(res, 200, { location: this.location, results, ...this.#progress() });
  }

  #progress(): { highWaterMark: number; gaps: { from: number; to: number }[] } {
    let highWaterMark = 0;
    while (this.#received.has(highWaterMark + 1)) highWaterMark += 1;
    const gaps: { from: number; to: number }[] = [];
    const max = Math.max(0, ...this.#received);
    let from: number | null = null;
    for (let s = highWaterMark + 1; s <= max + 1; s++) {
      if (!this.#received.has(s) && s <= max) from ??= s;
      else if (from !== null) {
        gaps.push({ from, to: s - 1 });
        from = null;
      }
    }
    return { highWaterMark, gaps };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function problem(res: ServerResponse, status: number, code: string): void {
  res.writeHead(status, { "content-type": "application/problem+json" }).end(JSON.stringify({ type: `https://shelfsync.dev/problems/${code}`, title: code, status, detail: code, code, instance: "fake" }));
}
