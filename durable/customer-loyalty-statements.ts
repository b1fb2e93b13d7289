import { eq, min, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import * as schema from "./schema/customer-loyalty.ts";

const { lots, holds, entries, sources, account } = schema;

type Placeholders<K extends string> = Record<K, ReturnType<typeof sql.placeholder>>;
const placeholders = <K extends string>(...names: K[]) => Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as unknown as Placeholders<K>;

/**
 * The customer object's statements on the path every POS sale takes (the
 * source key, the lot, the ledger entry, the debt, the next expiry), built
 * once per object (docs/decisions/0010): drizzle building the SQL of each
 * query cost more than SQLite running it. Same SQL and values as the builder
 * would produce; no `$defaultFn` column in a prepared insert.
 */
export function prepareLoyaltyStatements(db: DrizzleSqliteDODatabase<typeof schema>) {
  return {
    sourceByKey: db.select().from(sources).where(eq(sources.key, sql.placeholder("key"))).prepare(),
    insertSource: db.insert(sources).values(placeholders("key", "outcome", "at")).prepare(),
    insertLot: db
      .insert(lots)
      .values(placeholders("id", "earned", "remaining", "held", "expiredPoints", "reversed", "earnedAt", "expiresAt", "expired", "reference", "sourceKey"))
      .prepare(),
    insertEntry: db.insert(entries).values(placeholders("type", "balanceDelta", "heldDelta", "source", "reference", "holdId", "at")).prepare(),
    moveLot: db
      .update(lots)
      .set({ remaining: sql`${lots.remaining} + ${sql.placeholder("remainingDelta")}`, held: sql`${lots.held} + ${sql.placeholder("heldDelta")}` })
      .where(eq(lots.id, sql.placeholder("id")))
      .prepare(),
    debt: db.select({ debt: account.debt }).from(account).where(eq(account.id, 1)).prepare(),
    nextLotExpiry: db.select({ at: min(lots.expiresAt) }).from(lots).where(eq(lots.expired, false)).prepare(),
    nextHoldExpiry: db.select({ at: min(holds.expiresAt) }).from(holds).where(eq(holds.status, "active")).prepare(),
  };
}
