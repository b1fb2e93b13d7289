import { eq } from "drizzle-orm";
import type { StoreFeedEntry, StoreFeedPage } from "../shared/schemas/catalog.ts";
import { recordPullFailure } from "./agent-state.ts";
import { systemAgentClock, type AgentClock } from "./clock.ts";
import type { AgentDatabase, WriteStatement } from "./db/client.ts";
import { agentState, catalogBarcodes, catalogItems, promotionSkus, promotions, stock } from "./db/schema.ts";
import type { EdgeClient } from "./edge-client.ts";
import { silentLogger, type Logger } from "./log.ts";
import { PeriodicTask } from "./periodic-task.ts";

export interface FeedPullerOptions {
  store: AgentDatabase;
  edge: EdgeClient;
  location: string;
  intervalMs?: number;
  log?: Logger;
  /** The time and the wait between pulls; the system clock unless a test moves one by hand. */
  clock?: AgentClock;
}

export type PullResult = { ok: true; pages: number; entries: number } | { ok: false; reason: string };

/**
 * Keeps the local copy of the store's catalog, prices, promotions and stock
 * in step with the edge's feed. Each page is applied together with the
 * cursor after it in one transaction, so a crash never skips or half-applies
 * a page.
 *
 * @example
 * const puller = new FeedPuller({ store, edge, location: "store-001" });
 * await puller.pullAll(); // until the feed has no more
 * puller.start();         // and then every 30 s
 */
export class FeedPuller {
  readonly #store: AgentDatabase;
  readonly #edge: EdgeClient;
  readonly #location: string;
  readonly #intervalMs: number;
  readonly #log: Logger;
  readonly #clock: AgentClock;
  readonly #task: PeriodicTask;
  /** Pulls run one at a time, whether from the loop or a caller. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: FeedPullerOptions) {
    this.#store = options.store;
    this.#edge = options.edge;
    this.#location = options.location;
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#log = options.log ?? silentLogger;
    this.#clock = options.clock ?? systemAgentClock;
    this.#task = new PeriodicTask((signal) => this.pullAll(signal), this.#intervalMs, this.#clock, this.#log, "pull_failed");
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Pulls pages from the stored cursor until the edge says there is no more. */
  pullAll(signal?: AbortSignal): Promise<PullResult> {
    const result = this.#turn.then(() => this.#pullAll(signal));
    this.#turn = result.catch(() => undefined);
    return result;
  }

  async #pullAll(signal?: AbortSignal): Promise<PullResult> {
    let pages = 0;
    let entries = 0;
    for (;;) {
      const state = await this.#store.db.select({ cursor: agentState.feedCursor }).from(agentState).where(eq(agentState.id, 1)).get();
      const cursor = state?.cursor ?? null;
      const outcome = await this.#edge.pull(cursor, signal);
      if (outcome.kind !== "ok") {
        if (signal?.aborted) return { ok: false, reason: "stopped" };
        const reason = outcome.kind === "refused" ? `${outcome.status} ${outcome.code}: ${outcome.detail}` : outcome.reason;
        const error = { at: this.#clock.now(), message: reason, ...(outcome.status !== undefined && { status: outcome.status }), ...(outcome.kind === "refused" && { code: outcome.code }) };
        await recordPullFailure(this.#store, error, outcome.kind === "refused" || outcome.status === 429);
        this.#log({ level: "warn", event: "pull_failed", reason });
        return { ok: false, reason };
      }
      await this.#apply(outcome.value);
      pages += 1;
      entries += outcome.value.entries.length;
      // A cursor that does not move would loop forever; the next interval tries again.
      if (!outcome.value.hasMore || outcome.value.nextCursor === cursor) break;
    }
    if (entries > 0) this.#log({ event: "pulled", pages, entries });
    return { ok: true, pages, entries };
  }

  async #apply(page: StoreFeedPage): Promise<void> {
    const now = this.#clock.now();
    const statements = page.entries.flatMap((entry) => this.#statements(entry));
    statements.push(
      this.#store.db
        .update(agentState)
        .set({ feedCursor: page.nextCursor, lastPullOkAt: now, lastPullError: null, edgeReachable: true, edgeCheckedAt: now })
        .where(eq(agentState.id, 1)),
    );
    await this.#store.write(statements);
  }

  #statements(entry: StoreFeedEntry): WriteStatement[] {
    const db = this.#store.db;
    switch (entry.kind) {
      case "item": {
        const { sku, name, price, currency, updatedAt, barcodes } = entry.item;
        return [
          db.insert(catalogItems).values({ sku, name, price, currency, updatedAt }).onConflictDoUpdate({ target: catalogItems.sku, set: { name, price, currency, updatedAt } }),
          db.delete(catalogBarcodes).where(eq(catalogBarcodes.sku, sku)),
          ...barcodes.map((barcode) => db.insert(catalogBarcodes).values({ barcode, sku }).onConflictDoUpdate({ target: catalogBarcodes.barcode, set: { sku } })),
        ];
      }
      case "promotion": {
        const p = entry.promotion;
        const row = {
          name: p.name,
          percentOff: p.percentOff,
          amountOff: p.amountOff,
          startsAt: Date.parse(p.startsAt),
          endsAt: Date.parse(p.endsAt),
          updatedAt: p.updatedAt,
        };
        return [
          db.insert(promotions).values({ id: p.id, ...row }).onConflictDoUpdate({ target: promotions.id, set: row }),
          db.delete(promotionSkus).where(eq(promotionSkus.promotionId, p.id)),
          ...p.skus.map((sku) => db.insert(promotionSkus).values({ promotionId: p.id, sku }).onConflictDoNothing()),
        ];
      }
      case "stock": {
        const { sku, location, onHand, available, leased, updatedAt } = entry.stock;
        if (location !== this.#location) return [];
        return [db.insert(stock).values({ sku, onHand, available, leased, updatedAt }).onConflictDoUpdate({ target: stock.sku, set: { onHand, available, leased, updatedAt } })];
      }
    }
  }
}
