import { describe, expect, it } from "vitest";
import { StoreFeedPage, type StoreFeedEntry } from "../shared/schemas/catalog.ts";
import { call, createKey, setStock } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { catalogedSku, createStore, numbered, posTransaction, sendBatch, txId, type Store } from "./store-fixtures.ts";

function readFeed(store: Store, cursor: string | null, limit: number) {
  return call<StoreFeedPage>("GET", `/v1/stores/store-a/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { key: store.storeKey });
}

/** Reads pages of `limit` from `cursor` until hasMore is false; checks the paging contract on the way. */
async function readAll(store: Store, cursor: string | null, limit: number): Promise<{ entries: StoreFeedEntry[]; cursor: string }> {
  const entries: StoreFeedEntry[] = [];
  for (;;) {
    const page = await readFeed(store, cursor, limit);
    expect(page.status).toBe(200);
    // The agent parses every page with the shared schema.
    StoreFeedPage.parse(page.body);
    expect(page.body.entries.length).toBeLessThanOrEqual(limit);
    entries.push(...page.body.entries);
    cursor = page.body.nextCursor;
    if (!page.body.hasMore) return { entries, cursor };
    expect(page.body.entries).toHaveLength(limit);
  }
}

function keyOf(entry: StoreFeedEntry): string {
  if (entry.kind === "item") return `item:${entry.item.sku}`;
  if (entry.kind === "promotion") return `promotion:${entry.promotion.id}`;
  return `stock:${entry.stock.sku}@${entry.stock.location}`;
}

/** Reads the whole feed again until `accept` holds: stock reaches it after the SKU objects' publish delay. */
async function eventuallyFeed(store: Store, cursor: string | null, accept: (entries: StoreFeedEntry[]) => boolean): Promise<{ entries: StoreFeedEntry[]; cursor: string }> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const read = await readAll(store, cursor, 1000);
    if (accept(read.entries) || Date.now() > deadline) return read;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const stockCount = (entries: StoreFeedEntry[]) => entries.filter((entry) => entry.kind === "stock").length;

describe("a store's feed", () => {
  it("pages through catalog items, promotions and the store's own stock, each once, by cursor; then only what changed", async () => {
    const store = await createStore();
    const skus = [await catalogedSku(store, 10, ["0001234"]), await catalogedSku(store, 5), await catalogedSku(store, 0)];
    await setStock(store.tenant, skus[0]!, "store-b", 7);
    const promotion = await call("PUT", "/v1/promotions/summer-10", {
      key: store.tenant.adminKey,
      body: { skus: [skus[0], skus[1]], percentOff: 10, startsAt: "2026-06-01T00:00:00Z", endsAt: "2026-09-01T00:00:00Z" },
    });
    expect(promotion.status).toBe(200);
    await eventuallyFeed(store, null, (entries) => stockCount(entries) === 3);

    const { entries, cursor } = await readAll(store, null, 2);

    expect(entries.map(keyOf).sort()).toEqual([
      "promotion:summer-10",
      ...skus.map((sku) => `item:${sku}`),
      ...skus.map((sku) => `stock:${sku}@store-a`),
    ].sort());
    expect(entries.find((entry) => keyOf(entry) === `item:${skus[0]}`)).toEqual({
      kind: "item",
      item: { sku: skus[0], name: `Item ${skus[0]}`, barcodes: ["0001234"], price: 1999, currency: "USD", updatedAt: expect.any(String) },
    });
    expect(entries.find((entry) => keyOf(entry) === `stock:${skus[1]}@store-a`)).toEqual({
      kind: "stock",
      stock: { sku: skus[1], location: "store-a", onHand: 5, available: 5, leased: 0, updatedAt: expect.any(String) },
    });
    expect(entries.find((entry) => entry.kind === "promotion")).toEqual({
      kind: "promotion",
      promotion: { id: "summer-10", name: null, skus: [skus[0], skus[1]], percentOff: 10, amountOff: null, startsAt: "2026-06-01T00:00:00.000Z", endsAt: "2026-09-01T00:00:00.000Z", updatedAt: expect.any(String) },
    });

    // Nothing changed: an empty page at the same cursor.
    expect((await readFeed(store, cursor, 10)).body).toEqual({ entries: [], nextCursor: cursor, hasMore: false });

    // Two price changes, an unchanged PUT, a sale that takes onHand below zero.
    for (const price of [1500, 1200]) {
      expect((await call("PUT", `/v1/catalog/items/${skus[1]}`, { key: store.tenant.adminKey, body: { name: `Item ${skus[1]}`, price, currency: "USD" } })).status).toBe(200);
    }
    expect((await call("PUT", `/v1/catalog/items/${skus[0]}`, { key: store.tenant.adminKey, body: { name: `Item ${skus[0]}`, barcodes: ["0001234"], price: 1999, currency: "USD" } })).status).toBe(200);
    await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("T"), [{ sku: skus[2]!, qty: 2 }])]));

    const changed = await eventuallyFeed(store, cursor, (found) => stockCount(found) === 1);
    expect(changed.entries).toEqual([
      { kind: "item", item: expect.objectContaining({ sku: skus[1], price: 1200 }) },
      { kind: "stock", stock: expect.objectContaining({ sku: skus[2], location: "store-a", onHand: -2, available: 0 }) },
    ]);
  });

  it("is read with the store's key or an admin key, for a known location, with a cursor it gave", async () => {
    const store = await createStore();
    expect((await call("GET", "/v1/stores/store-a/feed", { key: store.tenant.adminKey })).status).toBe(200);
    expectProblem(await call("GET", "/v1/stores/store-a/feed", { key: store.otherStoreKey }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/stores/store-a/feed", { key: await createKey(store.tenant, { role: "readonly" }) }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/stores/store-a/feed"), 401, "unauthorized");
    expectProblem(await call("GET", "/v1/stores/store-x/feed", { key: store.tenant.adminKey }), 422, "unknown_location");
    for (const query of ["cursor=abc", "cursor=12", "cursor=-1-2", "limit=0", "limit=1001"]) {
      expectProblem(await call("GET", `/v1/stores/store-a/feed?${query}`, { key: store.storeKey }), 400, "validation_failed");
    }
  });
});
