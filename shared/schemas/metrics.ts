import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common.ts";

/**
 * What the console charts: POS transactions the edge accepted, reservations
 * it took, orders it admitted.
 */
export const ThroughputMetric = z.enum(["pos_transactions", "reservations", "orders"]);
export type ThroughputMetric = z.infer<typeof ThroughputMetric>;

export const ThroughputQuery = z.object({
  hours: z.coerce.number().int().min(1).max(168).default(24).openapi({ description: "How many hours back, the current one included (at most a week)." }),
});

export const ThroughputPoint = z.object({ hour: Timestamp.openapi({ description: "The hour's first instant (UTC)." }), count: z.number().int() });

export const Throughput = z
  .object({
    from: Timestamp,
    to: Timestamp,
    source: z
      .enum(["analytics_engine", "edge"])
      .openapi({ description: "Where POS transactions and reservations were counted: Workers Analytics Engine where the edge can read it, else the tenant's own hourly counters. Orders always come from the tenant's order index (exact)." }),
    series: z.array(z.object({ metric: ThroughputMetric, points: z.array(ThroughputPoint).openapi({ description: "One per hour, oldest first, 0 where nothing was counted." }) })),
  })
  .openapi("Throughput");
export type Throughput = z.infer<typeof Throughput>;

/** The first instant of the UTC hour of `at` (ms). */
export function hourOf(at: number): number {
  return at - (at % 3_600_000);
}
