import { eq, sql } from "drizzle-orm";
import type { DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import { monthOf } from "../../shared/usage-month.ts";
import { usageMonths } from "../schema/usage-months.ts";

type Db = DrizzleSqliteDODatabase<{ usageMonths: typeof usageMonths }>;

/** Adds `amount` remote writes to the month of `at`; call in the transaction that records the call. */
export function countWrites(db: Db, at: number, amount: number): void {
  db.insert(usageMonths)
    .values({ month: monthOf(at), writes: amount })
    .onConflictDoUpdate({ target: usageMonths.month, set: { writes: sql`${usageMonths.writes} + ${amount}` } })
    .run();
}

/** The remote writes counted in `month` (YYYY-MM). */
export function writesIn(db: Db, month: string): number {
  return db.select({ writes: usageMonths.writes }).from(usageMonths).where(eq(usageMonths.month, month)).get()?.writes ?? 0;
}
