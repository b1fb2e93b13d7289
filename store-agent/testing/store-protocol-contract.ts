import { describe, expect, it } from "vitest";
import type { StoreFeedEntry, StoreFeedPage } from "../../shared/schemas/catalog.ts";
import { maxReportedGaps, maxStoreBatch, type PosTransaction, type StoreTransactionBatchResult } from "../../shared/schemas/store-transactions.ts";

/** One store at the edge under test, new for each test: nothing pushed, nothing in its catalog. */
export interface ContractStore {
  /** The edge's base URL. */
  url: string;
  location: string;
  /** A store key bound to `location`. */
  storeKey: string;
  /** Puts a catalog item, new or changed, as an operator does. */
  putItem(sku: string, price: number): Promise<void>;
  /** Sets the location's onHand of a SKU (nothing reserved, no safety stock), as an operator does. */
  setOnHand(sku: string, onHand: number): Promise<void>;
}

/** Where the contract runs: the FakeEdge, or the real Worker in Miniflare. */
export interface StoreProtocolTarget {
  /** A store of its own for one test; whatever must be closed afterwards is the target's to close. */
  newStore(): Promise<ContractStore>;
}

interface Answer<T> {
  status: number;
  contentType: string | null;
  body: T;
}

type Envelope = [sequence: number, transaction: unknown];

const sku = "TEE-RED-M";
/** How long the feed may take to show a change: the real edge publishes stock to its read model after the write. */
const eventually = { timeout: 15_000, interval: 100 };

function sale(transactionId: string, lines: { sku: string; qty: number }[] = [{ sku, qty: 1 }], type: PosTransaction["type"] = "sale"): PosTransaction {
  const total = lines.reduce((sum, line) => sum + line.qty * 1999, 0);
  return {
    transactionId,
    terminalId: "T01",
    type,
    currency: "USD",
    lines: lines.map((line) => ({ ...line, unitPrice: 1999, discount: 0, tax: 0 })),
    tenders: [{ type: "card", amount: type === "sale" ? total : -total }],
    occurredAt: "2026-11-23T10:00:00.000Z",
  };
}

const id = (n: number) => `T01-${String(n).padStart(6, "0")}`;

async function call<T>(url: string, init: RequestInit, key: string): Promise<Answer<T>> {
  const response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get("content-type"), body: (text ? JSON.parse(text) : null) as T };
}

function push(store: ContractStore, envelopes: Envelope[], key = store.storeKey): Promise<Answer<StoreTransactionBatchResult>> {
  const body = JSON.stringify({ transactions: envelopes.map(([sequence, transaction]) => ({ sequence, transaction })) });
  return call(`${store.url}/v1/stores/${store.location}/transactions`, { method: "POST", headers: { "content-type": "application/json" }, body }, key);
}

/** Pushes and expects a 200: the batch answer. */
async function pushed(store: ContractStore, envelopes: Envelope[]): Promise<StoreTransactionBatchResult> {
  const answer = await push(store, envelopes);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

function feed(store: ContractStore, query: Record<string, string>, key = store.storeKey): Promise<Answer<StoreFeedPage>> {
  return call(`${store.url}/v1/stores/${store.location}/feed?${new URLSearchParams(query)}`, { method: "GET" }, key);
}

/** Every page from `cursor` (the start when null) until the edge says there is no more. */
async function readFeed(store: ContractStore, cursor: string | null, limit?: number): Promise<{ pages: StoreFeedPage[]; entries: StoreFeedEntry[]; cursor: string }> {
  const pages: StoreFeedPage[] = [];
  for (;;) {
    const answer = await feed(store, { ...(cursor !== null && { cursor }), ...(limit !== undefined && { limit: String(limit) }) });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    pages.push(answer.body);
    cursor = answer.body.nextCursor;
    if (!answer.body.hasMore) break;
    if (pages.length > 100) throw new Error("the feed did not end within 100 pages");
  }
  return { pages, entries: pages.flatMap((page) => page.entries), cursor };
}

const items = (entries: StoreFeedEntry[]) => entries.flatMap((e) => (e.kind === "item" ? [[e.item.sku, e.item.price] as const] : []));
const stock = (entries: StoreFeedEntry[]) => entries.flatMap((e) => (e.kind === "stock" ? [[e.stock.sku, e.stock.location, e.stock.onHand, e.stock.available] as const] : []));
const bySku = <T extends readonly [string, ...unknown[]]>(rows: T[]) => [...rows].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** onHand of `sku` at the store, as the whole feed reports it now (undefined: no figure yet). */
async function onHandInFeed(store: ContractStore, of = sku): Promise<number | undefined> {
  return stock((await readFeed(store, null)).entries).find(([s, at]) => s === of && at === store.location)?.[2];
}

async function stocked(target: () => StoreProtocolTarget, onHand = 50): Promise<ContractStore> {
  const store = await target().newStore();
  await store.putItem(sku, 1999);
  await store.setOnHand(sku, onHand);
  return store;
}

function expectProblem(answer: Answer<unknown>, status: number, code: string): void {
  expect([answer.status, answer.contentType?.split(";")[0], (answer.body as { code?: string } | null)?.code], JSON.stringify(answer.body)).toEqual([status, "application/problem+json", code]);
}

/**
 * The store protocol as the agent relies on it (docs/store-agent.md, "The
 * replay protocol"), run against a target: the FakeEdge the agent's unit
 * tests use, and the real Worker. Each test makes a store of its own.
 *
 * @example
 * describe("the FakeEdge", () => storeProtocolContract(() => ({ newStore: newFakeStore })));
 */
export function storeProtocolContract(target: () => StoreProtocolTarget): void {
  describe("POST /v1/stores/{location}/transactions", () => {
    it("answers each transaction of a batch accepted, in order, with the high-water mark", async () => {
      const store = await stocked(target);
      expect(await pushed(store, [[1, sale(id(1))], [2, sale(id(2))], [3, sale(id(3))]])).toEqual({
        location: store.location,
        results: [1, 2, 3].map((n) => ({ sequence: n, transactionId: id(n), status: "accepted" })),
        highWaterMark: 3,
        gaps: [],
      });
    });

    it("answers an id it applied duplicate, in a later batch or the same one, and moves the stock once", async () => {
      const store = await stocked(target, 20);
      await pushed(store, [[1, sale(id(1))], [2, sale(id(2))], [3, sale(id(3))]]);
      const again = await pushed(store, [[1, sale(id(1))], [2, sale(id(2))], [3, sale(id(3))], [4, sale(id(4))], [5, sale(id(4))]]);
      expect(again.results.map((r) => [r.sequence, r.transactionId, r.status])).toEqual([
        [1, id(1), "duplicate"],
        [2, id(2), "duplicate"],
        [3, id(3), "duplicate"],
        [4, id(4), "accepted"],
        [5, id(4), "duplicate"],
      ]);
      expect(again).toMatchObject({ highWaterMark: 5, gaps: [] });
      await expect.poll(() => onHandInFeed(store), eventually).toBe(16);
    });

    it("rejects an invalid transaction alone, and answers its id with the same rejection, word for word, on every resend, corrected or not", async () => {
      const store = await stocked(target, 20);
      const invalid = { ...sale(id(2)), lines: [] };
      const first = await pushed(store, [[1, sale(id(1))], [2, invalid], [3, sale(id(3))]]);
      expect(first.results.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted"]);
      const rejection = first.results[1]!;
      expect(rejection).toEqual({ sequence: 2, transactionId: id(2), status: "rejected", code: "validation_failed", reason: expect.stringContaining("lines") });
      expect(first).toMatchObject({ highWaterMark: 3, gaps: [] });

      expect((await pushed(store, [[2, invalid]])).results).toEqual([rejection]);
      // The id is spent: a corrected body under it is never applied.
      expect((await pushed(store, [[2, sale(id(2))]])).results).toEqual([rejection]);
      expect((await pushed(store, [[4, sale(id(4))], [5, sale(id(2))]])).results.map((r) => r.status)).toEqual(["accepted", "rejected"]);
      await expect.poll(() => onHandInFeed(store), eventually).toBe(17);
    });

    it("rejects a transaction without a valid id, and counts its sequence number as received", async () => {
      const store = await stocked(target);
      const answer = await pushed(store, [[1, sale(id(1))], [2, { transactionId: 42, lines: "none" }]]);
      expect(answer.results[1]).toEqual({ sequence: 2, transactionId: null, status: "rejected", code: "validation_failed", reason: expect.stringContaining("transactionId") });
      expect(answer).toMatchObject({ highWaterMark: 2, gaps: [] });
      expect((await pushed(store, [[2, { transactionId: 42, lines: "none" }]])).results).toEqual([answer.results[1]]);
    });

    it("reports the high-water mark and the gaps above it, and closes them as the missing numbers arrive", async () => {
      const store = await stocked(target);
      const progress = async (...sequences: number[]) => {
        const { highWaterMark, gaps } = await pushed(store, sequences.map((n): Envelope => [n, sale(id(n))]));
        return { highWaterMark, gaps };
      };
      expect(await progress(1, 2)).toEqual({ highWaterMark: 2, gaps: [] });
      expect(await progress(5, 6)).toEqual({ highWaterMark: 2, gaps: [{ from: 3, to: 4 }] });
      expect(await progress(9)).toEqual({ highWaterMark: 2, gaps: [{ from: 3, to: 4 }, { from: 7, to: 8 }] });
      expect(await progress(4)).toEqual({ highWaterMark: 2, gaps: [{ from: 3, to: 3 }, { from: 7, to: 8 }] });
      expect(await progress(3, 8)).toEqual({ highWaterMark: 6, gaps: [{ from: 7, to: 7 }] });
      expect(await progress(7)).toEqual({ highWaterMark: 9, gaps: [] });
      // A resend below the mark changes nothing.
      expect(await progress(2)).toEqual({ highWaterMark: 9, gaps: [] });
    });

    it(`reports at most ${maxReportedGaps} gaps, the lowest first`, async () => {
      const store = await target().newStore();
      // Every other number, as rejected transactions: cheap for the edge, and received all the same.
      const evens = Array.from({ length: maxReportedGaps + 2 }, (_, i): Envelope => [2 * (i + 1), { ...sale(id(2 * (i + 1))), lines: [] }]);
      const { highWaterMark, gaps } = await pushed(store, evens);
      expect(highWaterMark).toBe(0);
      expect(gaps).toHaveLength(maxReportedGaps);
      expect([gaps[0], gaps.at(-1)]).toEqual([{ from: 1, to: 1 }, { from: 2 * maxReportedGaps - 1, to: 2 * maxReportedGaps - 1 }]);
      expect((await pushed(store, [[1, { ...sale(id(1)), lines: [] }]])).highWaterMark).toBe(2);
    });

    it(`refuses a batch of more than ${maxStoreBatch} transactions with 413 payload_too_large, and receives none of it`, async () => {
      const store = await stocked(target);
      const tooMany = Array.from({ length: maxStoreBatch + 1 }, (_, i): Envelope => [10 + i, sale(`BIG-${i}`)]);
      expectProblem(await push(store, tooMany), 413, "payload_too_large");
      expect(await pushed(store, [[1, sale(id(1))]])).toMatchObject({ results: [{ sequence: 1, status: "accepted" }], highWaterMark: 1, gaps: [] });
    });

    it("refuses a key it does not know with 401 unauthorized, on both endpoints, and records nothing", async () => {
      const store = await stocked(target);
      const wrongKey = `${store.storeKey.slice(0, -4)}zzzz`;
      expectProblem(await push(store, [[1, sale(id(1))]], wrongKey), 401, "unauthorized");
      expectProblem(await feed(store, {}, wrongKey), 401, "unauthorized");
      expect((await pushed(store, [[1, sale(id(1))]])).results[0]!.status).toBe("accepted");
    });
  });

  describe("GET /v1/stores/{location}/feed", () => {
    it("serves every item and the location's stock once, in pages of at most `limit`, with two-part cursors; the last cursor has nothing new", async () => {
      const store = await target().newStore();
      for (const [n, code] of ["A-1", "B-2", "C-3"].entries()) {
        await store.putItem(code, 1000 * (n + 1));
        await store.setOnHand(code, 10 * (n + 1));
      }
      const everything = [
        ["A-1", 1000],
        ["B-2", 2000],
        ["C-3", 3000],
      ];
      const figures = [
        ["A-1", store.location, 10, 10],
        ["B-2", store.location, 20, 20],
        ["C-3", store.location, 30, 30],
      ];
      let read = await readFeed(store, null, 2);
      await expect
        .poll(async () => {
          read = await readFeed(store, null, 2);
          return { items: bySku(items(read.entries)), stock: bySku(stock(read.entries)) };
        }, eventually)
        .toEqual({ items: everything, stock: figures });

      expect(read.entries).toHaveLength(6);
      expect(read.pages.map((page) => page.entries.length)).toEqual([2, 2, 2]);
      expect(read.pages.map((page) => page.hasMore)).toEqual([true, true, false]);
      for (const page of read.pages) expect(page.nextCursor).toMatch(/^\d+-\d+$/);
      // The catalog keeps its change order.
      expect(items(read.entries).map(([code]) => code)).toEqual(["A-1", "B-2", "C-3"]);

      const after = await feed(store, { cursor: read.cursor });
      expect([after.status, after.body]).toEqual([200, { entries: [], nextCursor: read.cursor, hasMore: false }]);
    });

    it("from a cursor it gave, serves only what changed since: each item once, at its latest state, in change order", async () => {
      const store = await target().newStore();
      for (const code of ["A-1", "B-2"]) {
        await store.putItem(code, 1000);
        await store.setOnHand(code, 5);
      }
      let cursor = "";
      await expect
        .poll(async () => {
          const read = await readFeed(store, null);
          cursor = read.cursor;
          return stock(read.entries).length;
        }, eventually)
        .toBe(2);

      await store.putItem("A-1", 2500);
      await store.putItem("B-2", 1500);
      await store.putItem("A-1", 2600);
      await store.putItem("D-4", 100);
      const changed = await readFeed(store, cursor);
      expect(items(changed.entries)).toEqual([
        ["B-2", 1500],
        ["A-1", 2600],
        ["D-4", 100],
      ]);
      expect(changed.cursor).toMatch(/^\d+-\d+$/);
      expect(changed.cursor).not.toBe(cursor);
    });

    it("serves the stock an accepted sale or return moved, after the cursor the agent holds", async () => {
      const store = await stocked(target, 10);
      let cursor = "";
      await expect
        .poll(async () => {
          const read = await readFeed(store, null);
          cursor = read.cursor;
          return stock(read.entries);
        }, eventually)
        .toEqual([[sku, store.location, 10, 10]]);

      await pushed(store, [[1, sale(id(1), [{ sku, qty: 3 }])], [2, sale(id(2), [{ sku, qty: 1 }], "return")]]);
      await expect
        .poll(async () => {
          const read = await readFeed(store, cursor);
          return stock(read.entries).at(-1);
        }, eventually)
        .toEqual([sku, store.location, 8, 8]);
    });

    it("refuses a cursor it did not give (a plain number, say) and a bad limit with 400 validation_failed", async () => {
      const store = await target().newStore();
      expectProblem(await feed(store, { cursor: "7" }), 400, "validation_failed");
      expectProblem(await feed(store, { cursor: "7-x" }), 400, "validation_failed");
      expectProblem(await feed(store, { limit: "0" }), 400, "validation_failed");
      const start = await feed(store, {});
      expect(start.status).toBe(200);
      expect(start.body.nextCursor).toMatch(/^\d+-\d+$/);
    });
  });
}
