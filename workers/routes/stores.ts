import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { CatalogChange } from "../../durable/catalog-store.ts";
import type { LocationStockChange } from "../../durable/availability-index.ts";
import { AppError } from "../../shared/errors.ts";
import { validationHook } from "../../shared/problem.ts";
import { StoreFeedPage, StoreFeedQuery, type StoreFeedEntry } from "../../shared/schemas/catalog.ts";
import { LocationId } from "../../shared/schemas/common.ts";
import { maxStoreBatch, maxStoreBatchBytes, StoreTransactionBatch, StoreTransactionBatchResult } from "../../shared/schemas/store-transactions.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { availabilityIndex, catalogStore, storeIngest } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";
import { storeHeardFrom } from "../store-contact.ts";
import { usageMeter } from "../usage-meter.ts";

const storeRoles = ["admin", "store"] as const;
const StoreParams = z.object({ location: LocationId });

const stores = routesOf("Stores");

const postTransactions = stores.post("/v1/stores/{location}/transactions", "pushStoreTransactions", {
  summary: "A batch of POS transactions from the store's agent",
  description: [
    `At most ${maxStoreBatch} transactions and ${maxStoreBatchBytes} bytes (413 payload_too_large above).`,
    "Each transaction is accepted (its lines moved stock at the location), duplicate (its id was accepted before: nothing changed) or rejected (not a valid PosTransaction; the rest of the batch goes on).",
    "A sale is never refused: it may take onHand below zero; if it leaves reservations at the location uncovered, names a SKU the catalog does not know, or its tenders do not cover its total, it is applied and an exception is recorded (GET /v1/exceptions).",
    "A code neither the catalog nor the inventory knows moves no stock and makes no SKU: its lines are held, named by one unknown_sku exception per transaction, and applied when a replay of it finds the code in the catalog.",
    "Identifiers (SKU codes, transaction, terminal and customer ids) use the identifier character set (docs/security.md); amounts are integer minor units, a line's discount at most qty × unitPrice.",
    "Safe to resend as often as needed: transaction ids are remembered for good. No Idempotency-Key is needed.",
  ].join(" "),
  request: { params: StoreParams, body: body(StoreTransactionBatch) },
  responses: { 200: json(StoreTransactionBatchResult, "The answer per transaction, the high-water mark and the gaps") },
});

const readFeed = stores.get("/v1/stores/{location}/feed", "getStoreFeed", {
  summary: "Catalog items, promotions and the location's stock, changed since the cursor",
  description:
    "Start without a cursor to get everything once; then pass nextCursor back, at once while hasMore, later for what changed since. Each item, promotion and SKU appears once per page run, with its latest state, in change order.",
  request: { params: StoreParams, query: StoreFeedQuery },
  responses: { 200: json(StoreFeedPage, "A page of the feed") },
});

async function storeAccess(c: Context<AppEnv>, location: string) {
  const access = await authorize(c, { roles: storeRoles, location });
  if (!access.location) throw new AppError("unknown_location", `No location ${location}`);
  return access;
}

export const storeRoutes = createRouter()
  .openapi(
    postTransactions,
    async (c) => {
      const { location } = c.req.valid("param");
      const { transactions } = c.req.valid("json");
      const { principal } = await storeAccess(c, location);
      const { tenantId } = principal;
      if (principal.role === "store") storeHeardFrom(c, tenantId, location);
      const answer = await storeIngest(c.env, tenantId, location).ingest(transactions);
      usageMeter.countThroughput(c, tenantId, "pos_transactions", answer.results.filter((result) => result.status === "accepted").length);
      return c.json(answer, 200);
    },
    (result) => {
      const oversized = !result.success && result.target === "json" && result.error.issues.some((issue) => issue.code === "too_big" && issue.path.join(".") === "transactions");
      if (oversized) throw new AppError("payload_too_large", `At most ${maxStoreBatch} transactions in one batch; send the rest in the next`, { limit: maxStoreBatch });
      validationHook(result);
      return undefined;
    },
  )
  .openapi(readFeed, async (c) => {
    const { location } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { principal } = await storeAccess(c, location);
    if (principal.role === "store") storeHeardFrom(c, principal.tenantId, location);
    const [catalogAfter, stockAfter] = (cursor ?? "0-0").split("-").map(Number) as [number, number];
    const [catalog, stock] = await Promise.all([
      catalogStore(c.env, principal.tenantId).changes(catalogAfter, limit),
      availabilityIndex(c.env, principal.tenantId).stockChanges(location, stockAfter, limit),
    ]);
    return c.json(mergeFeed(catalog, stock, [catalogAfter, stockAfter], limit), 200);
  });

interface Source<T> {
  changes: T[];
  hasMore: boolean;
}

/**
 * Interleaves the catalog's and the location's stock changes by time, each
 * kept in its own order, so that a page always takes a prefix of both and the
 * cursor (one position per source) never skips a change.
 */
function mergeFeed(catalog: Source<CatalogChange>, stock: Source<LocationStockChange>, after: [number, number], limit: number): StoreFeedPage {
  const entries: StoreFeedEntry[] = [];
  let [catalogAt, stockAt] = after;
  let i = 0;
  let j = 0;
  while (entries.length < limit && (i < catalog.changes.length || j < stock.changes.length)) {
    const next = catalog.changes[i];
    const figures = stock.changes[j];
    if (next && (!figures || next.at <= Date.parse(figures.updatedAt))) {
      entries.push(next.kind === "item" ? { kind: "item", item: next.item } : { kind: "promotion", promotion: next.promotion });
      catalogAt = next.seq;
      i += 1;
    } else {
      const { seq, ...rest } = figures!;
      entries.push({ kind: "stock", stock: rest });
      stockAt = seq;
      j += 1;
    }
  }
  const hasMore = catalog.hasMore || stock.hasMore || i < catalog.changes.length || j < stock.changes.length;
  return { entries, nextCursor: `${catalogAt}-${stockAt}`, hasMore };
}
